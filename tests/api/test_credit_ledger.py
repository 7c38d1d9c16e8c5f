"""The credit ledger through the real API (000 §13; 001 §3; 003 §6), on SQLite and PostgreSQL: the
credit guard and its 409s, 20 concurrent postings, the risk turning high, the policy versions, who
reads what."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import AdminAudit, Customer, CustomerLedgerEntry, Notification
from tests.activities.test_credit_store import make_credit_customer
from tests.support import Api

pytestmark = pytest.mark.asyncio(loop_scope="session")

P = "/api/v1"


def posting(kind: str, amount: str, *, days_ago: int = 0, reference: str | None = None) -> dict[str, Any]:
    return {
        "kind": kind,
        "amount": amount,
        "reference": reference or f"ERP-{uuid.uuid4().hex[:12]}",
        "occurred_at": (datetime.now(UTC) - timedelta(days=days_ago)).isoformat(),
    }


async def post(api: Api, customer_id: int, user: str, body: dict[str, Any]) -> Any:
    return await api.post(f"{P}/customers/{customer_id}/ledger", user, json=body)


@pytest.mark.rule("001-credit-3-gm-delivery-beyond-limit")
async def test_receipts_reduce_outstanding_and_the_limit_holds(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """000 §13: a credit customer owes up to its limit; beyond it 409 over_limit (the GM decides, 001 §3)."""
    customer_id = await make_credit_customer(sessions, limit=Decimal("1000.00"), term_days=30)
    booked = await post(api, customer_id, "sales_clerk", posting("delivery", "800.00"))
    assert booked.status_code == 201, booked.text
    body = booked.json()
    assert body["standing"]["outstanding"] == "800.00" and body["balance_after"] == "-800.00"
    assert date.fromisoformat(body["due_on"]) > date.fromisoformat(body["occurred_at"][:10])
    assert (await post(api, customer_id, "sales_clerk", posting("receipt", "300.00"))).status_code == 403
    receipt = await post(api, customer_id, "finance_reviewer", posting("receipt", "300.00"))
    assert receipt.status_code == 201 and receipt.json()["standing"]["outstanding"] == "500.00"
    refused = await post(api, customer_id, "sales_clerk", posting("delivery", "600.00"))
    assert refused.status_code == 409, refused.text
    answer = refused.json()
    assert answer["error"] == "over_limit" and "short by 100.00" in answer["detail"]
    assert answer["approval_process_id"], answer  # the GM's approval started (001 §3)
    credit = (await api.get(f"{P}/customers/{customer_id}/credit", "marketing_manager")).json()
    assert credit["balance"] == "-500.00" and credit["available"] == "500.00" and credit["settlement"] == "periodic"
    page = await api.get(f"{P}/customers/{customer_id}/ledger", "marketing_manager", params={"order": "newest"})
    kinds = [(e["kind"], e["due_on"] is not None) for e in page.json()["entries"]]
    assert kinds == [("receipt", False), ("delivery", True)]  # the refused delivery booked nothing
    second = await api.get(
        f"{P}/customers/{customer_id}/ledger", "marketing_manager", params={"order": "newest", "offset": 1, "limit": 1}
    )
    assert [e["kind"] for e in second.json()["entries"]] == ["delivery"]


@pytest.mark.rule("001-credit-3-gm-delivery-beyond-limit")
async def test_the_general_manager_approves_a_delivery_beyond_the_limit(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """001 §3 总经理负责审批超过信用范围的特殊协议: approved, the refused delivery is booked, once."""
    customer_id = await make_credit_customer(sessions, limit=Decimal("100.00"))
    refused = await post(api, customer_id, "sales_clerk", posting("delivery", "150.00", reference="OVER-1"))
    assert refused.status_code == 409 and refused.json()["error"] == "over_limit", refused.text
    process_id = refused.json()["approval_process_id"]
    decided = await api.decide("general_manager", process_id, "approve", "特殊协议, 同意")
    assert decided.status_code == 200, decided.text
    for _ in range(100):
        credit = (await api.get(f"{P}/customers/{customer_id}/credit", "finance_reviewer")).json()
        if credit["balance"] != "0.00":
            break
        await asyncio.sleep(0.1)
    assert credit["balance"] == "-150.00" and credit["outstanding"] == "150.00"
    async with sessions() as session:
        rows = list(
            await session.scalars(select(CustomerLedgerEntry).where(CustomerLedgerEntry.customer_id == customer_id))
        )
    assert len(rows) == 1 and rows[0].process_id is not None and rows[0].reference == "OVER-1"


@pytest.mark.rule("000-13-payment-before-goods")
async def test_a_prepaid_customer_pays_before_goods(api: Api, sessions: async_sessionmaker[AsyncSession]) -> None:
    """000 §13 坚持先款后货: no credit account, no delivery beyond the receipts."""
    customer_id = await make_credit_customer(sessions, unit="DEPOT-ZZ")
    assert (await post(api, customer_id, "finance_reviewer", posting("receipt", "50.00"))).status_code == 201
    assert (await post(api, customer_id, "depot_manager", posting("delivery", "20.00"))).status_code == 201
    refused = await post(api, customer_id, "depot_manager", posting("delivery", "30.01"))
    assert refused.status_code == 409 and refused.json()["error"] == "payment_before_goods"
    assert "approval_process_id" not in refused.json()
    # another depot's manager neither reads nor books this depot's customer (000 §5 分级实施)
    assert (await api.get(f"{P}/customers/{customer_id}/credit", "depot_manager_b")).status_code == 404
    assert (await post(api, customer_id, "depot_manager_b", posting("delivery", "1.00"))).status_code == 404
    tomorrow = posting("delivery", "1.00", days_ago=-1)
    assert (await post(api, customer_id, "depot_manager", tomorrow)).status_code == 422


async def test_twenty_concurrent_postings_neither_lose_nor_overdraw(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """One guarded UPDATE per delivery: 20 at once against a limit of 15 of them."""
    customer_id = await make_credit_customer(sessions, limit=Decimal("1500.00"))
    await api.headers("sales_clerk")
    answers = await asyncio.gather(
        *(post(api, customer_id, "sales_clerk", posting("delivery", "100.00")) for _ in range(20))
    )
    codes = sorted(a.status_code for a in answers)
    assert codes == [201] * 15 + [409] * 5, [a.text for a in answers if a.status_code not in (201, 409)]
    credit = (await api.get(f"{P}/customers/{customer_id}/credit", "finance_reviewer")).json()
    assert credit["balance"] == "-1500.00" and credit["available"] == "0.00"
    async with sessions() as session:
        count = await session.scalar(select(func.count()).where(CustomerLedgerEntry.customer_id == customer_id))
    assert count == 15


@pytest.mark.rule("003-6-risk-levels", "003-6-high-risk-measures")
async def test_long_overdue_turns_high_and_blocks_credit(api: Api, sessions: async_sessionmaker[AsyncSession]) -> None:
    """003 §6: overdue past the policy's threshold — high risk, finance and marketing told, credit sales
    wait for the review (409 credit_blocked); the customer shows in the credit lists."""
    customer_id = await make_credit_customer(sessions, limit=Decimal("10000.00"), term_days=30)
    old = await post(api, customer_id, "finance_reviewer", posting("delivery", "1000.00", days_ago=120))
    assert old.status_code == 201 and old.json()["standing"]["risk_level"] == "high"
    blocked = await post(api, customer_id, "sales_clerk", posting("delivery", "10.00"))
    assert blocked.status_code == 409 and blocked.json()["error"] == "credit_blocked"
    async with sessions() as session:
        code = await session.scalar(select(Customer.credit_code).where(Customer.id == customer_id))
        roles = set(
            await session.scalars(
                select(Notification.recipient_role).where(Notification.notification_id.like(f"credit-high-{code}-%"))
            )
        )
    assert roles == {"finance_reviewer", "marketing_manager"}
    high = (await api.get(f"{P}/credit/customers", "marketing_manager", params={"risk": "high", "limit": 500})).json()
    assert customer_id in {row["customer_id"] for row in high["items"]}
    assert (await api.get(f"{P}/credit/customers", "sales_clerk")).status_code == 403


async def test_the_over_limit_list_names_customers_beyond_their_limit(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    # a credit customer's delivery the GM approved beyond its limit (001 §3), through the store; a
    # prepaid customer is never ratified onto credit (000 §9 (一), tests/activities/test_customer_gate.py)
    customer_id = await make_credit_customer(sessions, limit=Decimal("50.00"))
    from activities.credit_store import CreditStore
    from domain.ledger import LedgerEntry, LedgerKind

    await CreditStore(sessions).book_approved_delivery(
        LedgerEntry(
            customer_id=customer_id,
            kind=LedgerKind.delivery,
            amount=Decimal("120.00"),
            reference="GM-OK-1",
            occurred_at=datetime.now(UTC),
            recorded_by="general_manager",
            process_id=f"over-{uuid.uuid4()}",
        )
    )
    found: list[dict[str, Any]] = []
    offset = 0
    while True:
        page = (await api.get(f"{P}/credit/over-limit", "auditor", params={"offset": offset, "limit": 500})).json()
        found += page["items"]
        if len(page["items"]) < 500:
            break
        offset += 500
    mine = [row for row in found if row["customer_id"] == customer_id]
    assert mine and mine[0]["over_limit_by"] == "70.00" and mine[0]["outstanding"] == "120.00"


async def test_the_policy_is_versioned_through_an_approved_rule_change(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """001 信用审核 每年终…制定和调整下年度的信用管理政策: a new version from its date, drafted and then
    approved by the business VP and the general manager (issue 20 item 7), recorded in its process."""
    current = (await api.get(f"{P}/credit/policy", "finance_reviewer")).json()
    start = date.today() + timedelta(days=7000)  # far ahead: no other test meets this version
    body = {
        "effective_from": start.isoformat(),
        "limit_by_grade": {"A": "6000000.00", "B": "2500000.00", "C": "600000.00"},
        "max_term_days": 45,
        "risk": {"high_overdue_days": 90, "high_overdue_share": "0.6", "medium_overdue_days": 5},
        "collection_working_days": 2,
        "reason": "年终调整下年度信用管理政策",
    }
    change = {"rule": "credit_policy", "payload": body}
    assert (await api.post(f"{P}/rule-changes", "finance_reviewer", json=change)).status_code == 403
    headers = await api.headers("admin")
    assert (await api.client.put(f"{P}/credit/policy", json=body, headers=headers)).status_code == 405
    drafted = await api.post(f"{P}/rule-changes", "admin", json=change)
    assert drafted.status_code == 201, drafted.text
    process_id = drafted.json()["process_id"]
    for user in ("business_vp", "general_manager"):
        assert (await api.decide(user, process_id, "approve", "同意")).status_code == 200
    later = (await api.get(f"{P}/credit/policy", "auditor", params={"on": start.isoformat()})).json()
    version = later["version"]
    assert version > current["version"] and later["max_term_days"] == 45 and later["process_id"] == process_id
    assert (await api.get(f"{P}/credit/policy", "auditor")).json()["version"] == current["version"]
    versions = (await api.get(f"{P}/credit/policy/versions", "auditor")).json()
    assert [v["version"] for v in versions][-1] == version
    past = {"rule": "credit_policy", "payload": body | {"effective_from": "2020-01-01"}}
    assert (await api.post(f"{P}/rule-changes", "admin", json=past)).status_code == 422
    trail = (await api.get(f"{P}/processes/{process_id}/history", "auditor")).json()
    assert [e["actor"] for e in trail if e["action"] == "decision"] == ["business_vp", "general_manager"]


# --- issue 20: a ledger entry is corrected by a reversing entry, never an edit ----------------------


def reversal_url(customer_id: int, entry_id: int) -> str:
    return f"/api/v1/customers/{customer_id}/ledger/{entry_id}/reversal"


async def test_finance_reverses_an_entry_once_with_an_audit_row(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    customer_id = await make_credit_customer(sessions, limit=Decimal("1000.00"))
    delivered = await post(api, customer_id, "sales_clerk", posting("delivery", "300.00"))
    assert delivered.status_code == 201, delivered.text
    entry_id = delivered.json()["id"]

    refused = await api.post(reversal_url(customer_id, entry_id), "sales_clerk", json={"reason": "错单"})
    assert refused.status_code == 403
    reversed_ = await api.post(reversal_url(customer_id, entry_id), "finance_reviewer", json={"reason": "ERP 错单"})
    assert reversed_.status_code == 201, reversed_.text
    body = reversed_.json()
    assert (body["kind"], body["amount"], body["reverses_id"], body["balance_after"]) == (
        "receipt",
        "300.00",
        entry_id,
        "0.00",
    )
    async with sessions() as session:
        original = await session.get(CustomerLedgerEntry, entry_id)
        target = f"customer {customer_id} entry {entry_id}"
        audit = (await session.scalars(select(AdminAudit).where(AdminAudit.target == target))).all()
    assert original is not None and (original.kind, original.amount) == ("delivery", Decimal("300.00"))  # unedited
    assert [(a.action, a.actor, (a.after or {}).get("reason")) for a in audit] == [
        ("ledger_reversal", "finance_reviewer", "ERP 错单")
    ]

    again = await api.post(reversal_url(customer_id, entry_id), "finance_reviewer", json={"reason": "再冲"})
    assert again.status_code == 409 and "reversed already" in again.json()["detail"], again.text
    of_reversal = await api.post(reversal_url(customer_id, body["id"]), "finance_reviewer", json={"reason": "x"})
    assert of_reversal.status_code == 409, of_reversal.text
    other = await make_credit_customer(sessions, limit=Decimal("10.00"))
    elsewhere = await api.post(reversal_url(other, entry_id), "finance_reviewer", json={"reason": "x"})
    assert elsewhere.status_code == 404
    async with sessions() as session:
        count = await session.scalar(select(func.count()).where(CustomerLedgerEntry.customer_id == customer_id))
        audits = await session.scalar(select(func.count()).where(AdminAudit.action == "ledger_reversal"))
    assert count == 2 and audits is not None and audits >= 1
    credit = (await api.get(f"/api/v1/customers/{customer_id}/credit", "finance_reviewer")).json()
    assert (credit["balance"], credit["available"]) == ("0.00", "1000.00")
    ledger = (await api.get(f"/api/v1/customers/{customer_id}/ledger", "finance_reviewer")).json()
    assert {e["id"]: e["reverses_id"] for e in ledger["entries"]} == {entry_id: None, body["id"]: entry_id}
