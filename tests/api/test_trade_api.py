"""External purchase and sale (000 §7, 003 §5) end to end through the HTTP API only: real API, real
worker, real Temporal dev server, SQLite and PostgreSQL. The bidding deadline is a real durable
timer a few seconds ahead (no time skipping on the dev server)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import Process
from tests import trade_support as data
from tests.support import Api

pytestmark = pytest.mark.asyncio(loop_scope="session")

BIDDING_SECONDS = 6  # room for the bids on a loaded machine; the test then polls until the timer fired


def today() -> Any:
    return data.china_day(datetime.now(UTC))


async def ok(response: Any, code: int = 200) -> dict[str, Any]:
    assert response.status_code == code, response.text
    body: dict[str, Any] = response.json()
    return body


async def deal_state(api: Api, process_id: str, user: str = "auditor") -> dict[str, Any]:
    return await ok(await api.get(f"/api/v1/trade/{process_id}", user))


async def wait_for_stage(api: Api, process_id: str, stage: str) -> dict[str, Any]:
    """The deadline is a durable timer on the dev server: poll the deal until the tender closed."""
    for _ in range(120):
        state = await deal_state(api, process_id)
        if state["stage"] == stage:
            return state
        await asyncio.sleep(0.25)
    raise AssertionError(f"deal never reached {stage}: {state['stage']}")


@pytest.mark.rule("000-7-documents", "000-7-fuel-oil-approval", "000-7-naphtha-scope", "000-7-marketing-screens")
async def test_partner_application_names_each_problem(api: Api) -> None:
    missing = await api.post(
        "/api/v1/trade", "sales_clerk", json=data.trade_application(drop=("hazardous_chemicals_trading_license",))
    )
    assert missing.status_code == 422
    assert missing.json()["detail"] == ["missing document: hazardous_chemicals_trading_license (危险化学品经营许可证)"]

    fuel = data.trade_application(products=("fuel_oil",), drop=("fuel_oil_approval", "tax_registration"))
    detail = (await api.post("/api/v1/trade", "sales_clerk", json=fuel)).json()["detail"]
    assert "missing document: tax_registration (税务登记证)" in detail
    assert "missing document: fuel_oil_approval (燃料油经营许可批文 (省级商务厅))" in detail

    naphtha = data.trade_application(products=("naphtha",), business_scope="成品油批发")
    refused = await api.post("/api/v1/trade", "sales_clerk", json=naphtha)
    assert refused.status_code == 422 and "naphtha" in refused.json()["detail"][0]
    allowed = data.trade_application(products=("naphtha",), business_scope="成品油、石脑油批发")
    assert (await api.post("/api/v1/trade", "sales_clerk", json=allowed)).status_code == 201

    assert (await api.post("/api/v1/trade", "finance_reviewer", json=data.trade_application())).status_code == 403


@pytest.mark.rule("000-7-naphtha-scope")
async def test_a_scope_that_excludes_naphtha_is_no_naphtha_licence(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """000 §7 (四) item 8: "不含石脑油" names naphtha only to exclude it — refused at filing (422, the
    article named), and nothing is started."""
    deals = select(func.count()).select_from(Process).where(Process.process_type == "external_trade")
    async with sessions() as session:
        before = await session.scalar(deals)
    excluded = data.trade_application(products=("naphtha",), business_scope="危险化学品经营（不含石脑油）")
    refused = await api.post("/api/v1/trade", "sales_clerk", json=excluded)
    assert refused.status_code == 422, refused.text
    assert any("000 §7 (四) item 8" in line for line in refused.json()["detail"])
    async with sessions() as session:
        assert await session.scalar(deals) == before


@pytest.mark.rule("000-7-state-owned-first")
async def test_state_owned_partners_are_listed_first(api: Api) -> None:
    private = await ok(
        await api.post("/api/v1/trade", "sales_clerk", json=data.trade_application(ownership="private")), 201
    )
    owned = await ok(
        await api.post("/api/v1/trade", "sales_clerk", json=data.trade_application(ownership="state_controlled")), 201
    )
    deals = await ok(await api.get("/api/v1/trade", "auditor", params={"status": "running"}))
    ids = [d["process_id"] for d in deals]  # type: ignore[union-attr]
    assert ids.index(owned["process_id"]) < ids.index(private["process_id"])
    flags = {d["process_id"]: d["preferred"] for d in deals}  # type: ignore[union-attr]
    assert flags[owned["process_id"]] and not flags[private["process_id"]]


async def test_whole_deal_over_http(api: Api) -> None:
    # The deal names its co-handlers (000 §7): marketing colleagues who may act on it with the applicant.
    not_marketing = {**data.trade_application(), "co_handlers": ["legal_reviewer"]}
    refused = await api.post("/api/v1/trade", "sales_clerk", json=not_marketing)
    assert refused.status_code == 422 and "co_handler legal_reviewer" in refused.json()["detail"][0]
    application = {**data.trade_application(), "co_handlers": ["marketing_reviewer"]}
    started = await ok(await api.post("/api/v1/trade", "sales_clerk", json=application), 201)
    pid = started["process_id"]
    assert (started["status"], started["stage"], started["current_step"]) == (
        "running",
        "partner_review",
        "marketing_credit_review",
    )

    # 2. credit review → business VP → leadership meeting (its minutes, not an inbox click).
    await ok(await api.decide("marketing_reviewer", pid, "approve", "资质齐全, 国有控股"))
    await ok(await api.decide("business_vp", pid, "approve", "同意上会"))
    via_inbox = await api.decide("leadership_secretary", pid, "approve", "同意")
    assert via_inbox.status_code == 422 and "leadership-decision" in via_inbox.json()["detail"]
    meeting = data.leadership(today())
    assert (await api.post(f"/api/v1/trade/{pid}/leadership-decision", "business_vp", json=meeting)).status_code == 403
    one_attendee = {**meeting, "attendees": ["张明"]}
    assert (
        await api.post(f"/api/v1/trade/{pid}/leadership-decision", "leadership_secretary", json=one_attendee)
    ).status_code == 422
    view = await ok(await api.post(f"/api/v1/trade/{pid}/leadership-decision", "leadership_secretary", json=meeting))
    assert view["stage"] == "tender_opening"
    assert (await api.task_for("sales_clerk", pid))["step"] == "open_tender"

    # 3. tender: three bidders and one revision before the deadline; a late bid afterwards.
    deadline = datetime.now(UTC) + timedelta(seconds=BIDDING_SECONDS)
    assert (
        await api.post(f"/api/v1/trade/{pid}/bids", "sales_clerk", json=data.bid("早到", "1.00"))
    ).status_code == 409
    view = await ok(await api.post(f"/api/v1/trade/{pid}/tender", "sales_clerk", json=data.tender(deadline)))
    assert (view["stage"], view["tender_number"]) == ("bidding", 1)
    bids = [data.bid(name, amount, ownership) for name, amount, ownership in _BIDS]
    for body in bids:
        await ok(await api.post(f"/api/v1/trade/{pid}/bids", "sales_clerk", json=body))
    assert (await api.post(f"/api/v1/trade/{pid}/bids", "legal_reviewer", json=bids[0])).status_code == 403
    # Issue 10: a marketing user neither applicant nor named on the deal may not bid on it (nor see it).
    assert (await api.post(f"/api/v1/trade/{pid}/bids", "marketing_manager", json=bids[0])).status_code == 404
    revised = {**bids[0], "amount": "29400000.00"}
    await ok(await api.post(f"/api/v1/trade/{pid}/bids", "marketing_reviewer", json=revised))
    bidding = await ok(await api.get("/api/v1/tenders", "auditor", params={"status": "bidding"}))
    assert any(t["process_id"] == pid for t in bidding)  # type: ignore[union-attr]

    state = await wait_for_stage(api, pid, "evaluation")
    late = await api.post(f"/api/v1/trade/{pid}/bids", "sales_clerk", json=data.bid("迟到石化", "1.00"))
    assert late.status_code == 409 and late.json()["detail"].startswith("bidding closed at")
    tender = state["tenders"][0]
    assert [len(b["revisions"]) for b in tender["bids"]] == [2, 1, 1]
    proposal = [r["credit_code"] for r in tender["proposed_ranking"]]
    assert proposal[0] == bids[1]["bidder"]["credit_code"]  # the state-controlled bidder first (000 §7 (二))

    bad_ranking = {"ranking": proposal[:2], "rationale": "漏排一家"}
    assert (await api.post(f"/api/v1/trade/{pid}/evaluation", "sales_clerk", json=bad_ranking)).status_code == 422
    view = await ok(
        await api.post(f"/api/v1/trade/{pid}/evaluation", "sales_clerk", json={"rationale": "国有控股优先, 价格合理"})
    )
    # 000 §7 (四): the winner is not the partner reviewed above, so it is reviewed before the award.
    assert (view["stage"], view["current_step"]) == ("partner_review", "marketing_credit_review")
    await ok(await api.decide("marketing_reviewer", pid, "approve", "中标人资质齐全"))
    await ok(await api.decide("business_vp", pid, "approve", "同意上会"))
    view = await ok(await api.post(f"/api/v1/trade/{pid}/leadership-decision", "leadership_secretary", json=meeting))
    assert view["current_step"] == "award_approval"
    view = await ok(await api.decide("business_vp", pid, "approve", "同意定标"))
    customer_id = view["customer_id"]
    assert view["current_step"] == "contract_drafting" and customer_id is not None  # the inbox's answer

    # 4. contract: legal returns it, marketing revises, legal approves; signing; title transfer.
    await ok(await api.post(f"/api/v1/trade/{pid}/contract", "sales_clerk", json=data.contract("31000000.00")))
    view = await ok(await api.decide("legal_reviewer", pid, "return", "金额与中标价不符"))
    assert view["current_step"] == "contract_drafting"
    await ok(await api.post(f"/api/v1/trade/{pid}/contract", "sales_clerk", json=data.contract("30000000.00")))
    assert (await api.task_for("legal_reviewer", pid))["round"] == 2
    await ok(await api.decide("legal_reviewer", pid, "approve", "修改后合规"))
    too_early = await api.post(f"/api/v1/trade/{pid}/payments", "sales_clerk", json=data.payment_form("1.00", today()))
    assert too_early.status_code == 409
    await ok(await api.post(f"/api/v1/trade/{pid}/contract/sign", "sales_clerk", json=data.signing(today())))
    view = await ok(
        await api.post(f"/api/v1/trade/{pid}/title-transfer", "sales_clerk", json=data.title_transfer(today()))
    )
    assert (view["stage"], view["outstanding"]) == ("payment", "30000000.00")

    # 5. payments: above the outstanding amount refused; two instalments approved, paid and settled.
    over = await api.post(
        f"/api/v1/trade/{pid}/payments", "sales_clerk", json=data.payment_form("30000000.01", today())
    )
    assert over.status_code == 422 and "outstanding" in over.json()["detail"]
    # Issue 10: money goes only to the counterparty's account on record (its customer file).
    elsewhere = {**data.payment_form("1.00", today()), "bank_account": "6222 0000 1111 2222"}
    wrong = await api.post(f"/api/v1/trade/{pid}/payments", "sales_clerk", json=elsewhere)
    assert wrong.status_code == 422 and "account on record" in wrong.json()["detail"]
    stranger = await api.post(f"/api/v1/trade/{pid}/payments", "marketing_manager", json=elsewhere)
    assert stranger.status_code == 404
    for number, amount in ((1, "18000000.00"), (2, "12000000.00")):
        await ok(
            await api.post(f"/api/v1/trade/{pid}/payments", "sales_clerk", json=data.payment_form(amount, today()))
        )
        for user in ("finance_reviewer", "business_vp", "chief_accountant"):
            await ok(await api.decide(user, pid, "approve", "同意付款"))
        paid = data.paid(datetime.now(UTC), f"TX-{number}")
        assert (
            await api.post(f"/api/v1/trade/{pid}/payments/{number}/paid", "sales_clerk", json=paid)
        ).status_code == 403
        await ok(await api.post(f"/api/v1/trade/{pid}/payments/{number}/paid", "finance_reviewer", json=paid))
        settle = data.settlement(today(), f"RK-{number}")
        view = await ok(
            await api.post(f"/api/v1/trade/{pid}/payments/{number}/settlement", "finance_reviewer", json=settle)
        )
    assert (view["status"], view["stage"], view["outstanding"]) == ("approved", "completed", "0.00")

    # 6. auditors: one history, the whole deal, tenders by status, the customer with its trail.
    history = await ok(await api.get(f"/api/v1/processes/{pid}/history", "auditor"))
    actions = [(e["actor"], e["action"], e["step"]) for e in history]  # type: ignore[index, union-attr]
    for expected in (
        ("sales_clerk", "submitted", None),
        ("marketing_reviewer", "decision", "marketing_credit_review"),
        ("leadership_secretary", "decision", "leadership_meeting"),
        ("sales_clerk", "tender_opened", "tender_opening"),
        ("marketing_reviewer", "bid", "bidding"),
        ("system", "tender_closed", "bidding"),
        ("sales_clerk", "evaluated", "evaluation"),
        ("business_vp", "decision", "award_approval"),
        ("system", "customer_created", None),
        ("legal_reviewer", "decision", "legal_review"),
        ("sales_clerk", "contract_signed", "contract_signing"),
        ("sales_clerk", "title_transferred", "title_transfer"),
        ("sales_clerk", "payment_filed", "payment"),
        ("chief_accountant", "decision", "chief_accountant_approval"),
        ("finance_reviewer", "payment_made", "record_payment"),
        ("finance_reviewer", "settled", "settlement"),
        ("system", "closed", None),
    ):
        assert expected in actions, expected
    assert [a for a in actions if a[1] == "bid"].__len__() == 4
    leadership = next(e for e in history if e["step"] == "leadership_meeting" and e["action"] == "decision")  # type: ignore[index]
    assert "纪要" in leadership["comment"] and "张明" in leadership["comment"]  # type: ignore[index]

    final = await deal_state(api, pid)
    assert final["leadership"]["attendees"] == meeting["attendees"]
    assert [d["round"] for d in final["contract"]["review_decisions"]] == [1, 2]
    assert [p["status"] for p in final["payments"]] == ["settled", "settled"]
    awarded = await ok(await api.get("/api/v1/tenders", "auditor", params={"status": "awarded"}))
    row = next(t for t in awarded if t["process_id"] == pid)  # type: ignore[union-attr]
    assert row["winner_credit_code"] == proposal[0] and row["bidder_count"] == 3 and len(row["ranking"]) == 3
    assert final["winner_reviews"][0]["credit_code"] == proposal[0] and final["winner_reviews"][0]["passed"]
    customer = await ok(await api.get(f"/api/v1/customers/{customer_id}", "auditor"))
    assert customer["kind"] == "external_trade" and customer["credit_code"] == proposal[0]
    assert any(e["action"] == "tender_closed" for e in customer["approval_trail"])
    # Issue 10: a depot does not read a head-office customer file (nor its trail of bids and accounts);
    # head-office finance reads the file, but the deal's trail only as a reader of the deal.
    assert (await api.get(f"/api/v1/customers/{customer_id}", "depot_manager")).status_code == 404
    desk = await ok(await api.get(f"/api/v1/customers/{customer_id}", "marketing_manager"))
    assert desk["credit_code"] == proposal[0] and desk["approval_trail"] == []
    listed = await ok(await api.get("/api/v1/processes", "auditor", params={"process_type": "external_trade"}))
    assert any(p["process_id"] == pid and p["status"] == "approved" for p in listed)  # type: ignore[union-attr]


async def test_two_bidders_reopen_over_http(api: Api) -> None:
    pid = (await ok(await api.post("/api/v1/trade", "sales_clerk", json=data.trade_application()), 201))["process_id"]
    await ok(await api.decide("marketing_reviewer", pid, "approve", "ok"))
    await ok(await api.decide("business_vp", pid, "approve", "ok"))
    await ok(
        await api.post(
            f"/api/v1/trade/{pid}/leadership-decision", "leadership_secretary", json=data.leadership(today())
        )
    )
    deadline = datetime.now(UTC) + timedelta(seconds=BIDDING_SECONDS)
    await ok(await api.post(f"/api/v1/trade/{pid}/tender", "sales_clerk", json=data.tender(deadline)))
    for name, amount, ownership in _BIDS[:2]:
        await ok(await api.post(f"/api/v1/trade/{pid}/bids", "sales_clerk", json=data.bid(name, amount, ownership)))
    await wait_for_stage(api, pid, "no_award")
    assert (await api.task_for("sales_clerk", pid))["step"] == "no_award_decision"
    reopen = {
        "decision": "reopen",
        "reason": "投标人不足三家",
        "bidding_deadline": (datetime.now(UTC) + timedelta(days=7)).isoformat(),
    }
    view = await ok(await api.post(f"/api/v1/trade/{pid}/tender/no-award-decision", "sales_clerk", json=reopen))
    assert (view["stage"], view["tender_number"]) == ("bidding", 2)
    no_award = await ok(await api.get("/api/v1/tenders", "auditor", params={"status": "no_award"}))
    assert any(t["process_id"] == pid and t["number"] == 1 for t in no_award)  # type: ignore[union-attr]


async def test_trade_flow_is_documented_in_openapi(api: Api) -> None:
    spec = (await api.client.get("/openapi.json")).json()
    for path in (
        "/api/v1/trade",
        "/api/v1/trade/{process_id}",
        "/api/v1/trade/{process_id}/leadership-decision",
        "/api/v1/trade/{process_id}/tender",
        "/api/v1/trade/{process_id}/bids",
        "/api/v1/trade/{process_id}/tender/no-award-decision",
        "/api/v1/trade/{process_id}/evaluation",
        "/api/v1/trade/{process_id}/contract",
        "/api/v1/trade/{process_id}/contract/sign",
        "/api/v1/trade/{process_id}/title-transfer",
        "/api/v1/trade/{process_id}/payments",
        "/api/v1/trade/{process_id}/payments/{number}/paid",
        "/api/v1/trade/{process_id}/payments/{number}/settlement",
        "/api/v1/tenders",
    ):
        assert path in spec["paths"], path
    tag = next(t for t in spec["tags"] if t["name"].startswith("external trade"))
    assert "leadership-decision" in tag["description"] and "no-award-decision" in tag["description"]


_BIDS = (
    ("郑州民营石化有限公司", "29500000.00", "private"),
    ("河南能源化工集团有限公司", "30000000.00", "state_controlled"),
    ("洛阳民营油品贸易有限公司", "29000000.00", "private"),
)
