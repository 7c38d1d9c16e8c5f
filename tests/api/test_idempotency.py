"""`Idempotency-Key` on every create through the real API (dev server, real worker, both databases):
the same key and body answer the same and create nothing more; another body is refused; racing
duplicates never make a second record."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import Complaint, IdempotencyKey, Process, TradeDeal
from tests import trade_support as data
from tests.support import Api, application

pytestmark = pytest.mark.asyncio(loop_scope="session")


def complaint(marker: str, **change: Any) -> dict[str, Any]:
    return {
        "customer_name": "新乡宏达物流",
        "channel": "phone",
        "category": "delivery",
        "severity": "ordinary",
        "description": f"柴油延误 {marker}",
        **change,
    }


async def post(api: Api, url: str, user: str, body: dict[str, Any], key: str | bytes | None) -> httpx.Response:
    headers = await api.headers(user) | ({"Idempotency-Key": key} if key else {})
    return await api.client.post(url, json=body, headers=headers)


async def complaints_with(sessions: async_sessionmaker[AsyncSession], marker: str) -> int:
    async with sessions() as session:
        query = select(func.count()).select_from(Complaint).where(Complaint.description.contains(marker))
        return int(await session.scalar(query) or 0)


async def test_same_key_and_body_replay_the_answer_and_create_one_complaint(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    marker, key = uuid.uuid4().hex, str(uuid.uuid4())
    first = await post(api, "/api/v1/complaints", "sales_clerk", complaint(marker), key)
    assert first.status_code == 201, first.text
    again = await post(api, "/api/v1/complaints", "sales_clerk", complaint(marker), key)
    assert again.status_code == 201 and again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert await complaints_with(sessions, marker) == 1
    # Without a key a double submit is the user's choice: two complaints.
    for _ in range(2):
        assert (await post(api, "/api/v1/complaints", "sales_clerk", complaint(marker), None)).status_code == 201
    assert await complaints_with(sessions, marker) == 3


async def test_same_key_with_another_body_or_endpoint_is_422(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    marker, key = uuid.uuid4().hex, str(uuid.uuid4())
    assert (await post(api, "/api/v1/complaints", "sales_clerk", complaint(marker), key)).status_code == 201
    other = await post(api, "/api/v1/complaints", "sales_clerk", complaint(marker, severity="major"), key)
    assert other.status_code == 422 and "different request" in other.json()["detail"]
    elsewhere = await post(api, "/api/v1/onboarding", "sales_clerk", application(), key)
    assert elsewhere.status_code == 422 and "different request" in elsewhere.json()["detail"]
    assert await complaints_with(sessions, marker) == 1
    # The same JSON in another key order is the same request.
    reordered = dict(reversed(list(complaint(marker).items())))
    assert (await post(api, "/api/v1/complaints", "sales_clerk", reordered, key)).status_code == 201
    assert await complaints_with(sessions, marker) == 1


async def test_keys_belong_to_their_user(api: Api, sessions: async_sessionmaker[AsyncSession]) -> None:
    marker, key = uuid.uuid4().hex, str(uuid.uuid4())
    mine = await post(api, "/api/v1/complaints", "sales_clerk", complaint(marker), key)
    theirs = await post(api, "/api/v1/complaints", "marketing_reviewer", complaint(marker), key)
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["process_id"] != theirs.json()["process_id"]
    assert await complaints_with(sessions, marker) == 2


async def test_racing_duplicates_make_one_record(api: Api, sessions: async_sessionmaker[AsyncSession]) -> None:
    marker, key = uuid.uuid4().hex, str(uuid.uuid4())
    answers = await asyncio.gather(
        *(post(api, "/api/v1/complaints", "sales_clerk", complaint(marker), key) for _ in range(6))
    )
    codes = [a.status_code for a in answers]
    assert set(codes) <= {201, 409} and 201 in codes, [a.text for a in answers]
    assert len({a.json()["process_id"] for a in answers if a.status_code == 201}) == 1
    assert all("in progress" in a.json()["detail"] for a in answers if a.status_code == 409)
    assert await complaints_with(sessions, marker) == 1


async def test_a_refused_request_releases_its_key(api: Api, sessions: async_sessionmaker[AsyncSession]) -> None:
    marker, key = uuid.uuid4().hex, str(uuid.uuid4())
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    refused = await post(api, "/api/v1/complaints", "sales_clerk", complaint(marker, received_at=future), key)
    assert refused.status_code == 422
    corrected = await post(api, "/api/v1/complaints", "sales_clerk", complaint(marker), key)
    assert corrected.status_code == 201 and "Idempotent-Replayed" not in corrected.headers
    assert await complaints_with(sessions, marker) == 1


async def test_keys_expire(api: Api, sessions: async_sessionmaker[AsyncSession]) -> None:
    marker, key = uuid.uuid4().hex, str(uuid.uuid4())
    assert (await post(api, "/api/v1/complaints", "sales_clerk", complaint(marker), key)).status_code == 201
    async with sessions.begin() as session:
        old = datetime.now(UTC) - timedelta(hours=25)  # the default keeps keys 24 hours
        await session.execute(update(IdempotencyKey).where(IdempotencyKey.key == key).values(created_at=old))
    fresh = await post(api, "/api/v1/complaints", "sales_clerk", complaint(marker, severity="major"), key)
    assert fresh.status_code == 201 and "Idempotent-Replayed" not in fresh.headers
    assert await complaints_with(sessions, marker) == 2


async def test_malformed_keys_are_422(api: Api) -> None:
    for key in ("x" * 201, "with space", "中文".encode()):
        response = await post(api, "/api/v1/complaints", "sales_clerk", complaint("bad-key"), key)
        assert response.status_code == 422, (key, response.text)


async def test_onboarding_with_a_key_answers_the_same_process(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    body, key = application(), str(uuid.uuid4())
    first = await post(api, "/api/v1/onboarding", "sales_clerk", body, key)
    assert first.status_code == 201, first.text
    again = await post(api, "/api/v1/onboarding", "sales_clerk", body, key)
    assert again.status_code == 201 and again.json() == first.json()
    without_key = await post(api, "/api/v1/onboarding", "sales_clerk", body, None)
    assert without_key.status_code == 409  # the workflow id per customer refuses a second one
    async with sessions() as session:
        count = await session.scalar(
            select(func.count()).select_from(Process).where(Process.process_id == first.json()["process_id"])
        )
    assert count == 1


async def test_deal_bid_and_payment_form_with_keys(api: Api, sessions: async_sessionmaker[AsyncSession]) -> None:
    """The deal, a bid and a payment form, each posted twice with its key: one of each."""
    today = data.china_day(datetime.now(UTC))
    body = data.trade_application()
    code = body["partner"]["credit_code"]
    key = str(uuid.uuid4())
    first = await post(api, "/api/v1/trade", "sales_clerk", body, key)
    assert first.status_code == 201, first.text
    assert (await post(api, "/api/v1/trade", "sales_clerk", body, key)).json() == first.json()
    async with sessions() as session:
        deals = await session.scalar(
            select(func.count()).select_from(TradeDeal).where(TradeDeal.partner_credit_code == code)
        )
    assert deals == 1
    pid = first.json()["process_id"]

    for user in ("marketing_reviewer", "business_vp"):
        assert (await api.decide(user, pid, "approve", "ok")).status_code == 200
    meeting = await api.post(
        f"/api/v1/trade/{pid}/leadership-decision", "leadership_secretary", json=data.leadership(today)
    )
    assert meeting.status_code == 200, meeting.text
    deadline = datetime.now(UTC) + timedelta(seconds=8)
    assert (await api.post(f"/api/v1/trade/{pid}/tender", "sales_clerk", json=data.tender(deadline))).status_code == 200
    bids = [
        data.bid("国控石化", "29800000.00", "state_controlled"),
        data.bid("民营石化", "29500000.00"),
        data.bid("另一民营石化", "29900000.00"),
    ]
    bid_key = str(uuid.uuid4())
    bid = await post(api, f"/api/v1/trade/{pid}/bids", "sales_clerk", bids[0], bid_key)
    assert bid.status_code == 200, bid.text
    replay = await post(api, f"/api/v1/trade/{pid}/bids", "sales_clerk", bids[0], bid_key)
    assert replay.status_code == 200 and replay.json() == bid.json() and replay.headers["Idempotent-Replayed"]
    for other in bids[1:]:
        assert (
            await post(api, f"/api/v1/trade/{pid}/bids", "sales_clerk", other, str(uuid.uuid4()))
        ).status_code == 200
    state = await _wait_for_stage(api, pid, "evaluation")
    assert [len(b["revisions"]) for b in state["tenders"][0]["bids"]] == [1, 1, 1]  # no revision from the replay

    evaluated = await api.post(f"/api/v1/trade/{pid}/evaluation", "sales_clerk", json={"rationale": "国有控股优先"})
    assert evaluated.status_code == 200, evaluated.text
    # 000 §7 (四): the winner is not the reviewed partner, so it is reviewed before the award.
    for user in ("marketing_reviewer", "business_vp"):
        assert (await api.decide(user, pid, "approve", "中标人资信审查通过")).status_code == 200
    meeting = await api.post(
        f"/api/v1/trade/{pid}/leadership-decision", "leadership_secretary", json=data.leadership(today)
    )
    assert meeting.status_code == 200, meeting.text
    assert (await api.decide("business_vp", pid, "approve", "同意定标")).status_code == 200
    assert (await api.post(f"/api/v1/trade/{pid}/contract", "sales_clerk", json=data.contract())).status_code == 200
    assert (await api.decide("legal_reviewer", pid, "approve", "合规")).status_code == 200
    signed = await api.post(f"/api/v1/trade/{pid}/contract/sign", "sales_clerk", json=data.signing(today))
    assert signed.status_code == 200, signed.text
    moved = await api.post(f"/api/v1/trade/{pid}/title-transfer", "sales_clerk", json=data.title_transfer(today))
    assert moved.status_code == 200, moved.text

    form, form_key = data.payment_form("18000000.00", today), str(uuid.uuid4())
    filed = await post(api, f"/api/v1/trade/{pid}/payments", "sales_clerk", form, form_key)
    assert filed.status_code == 200, filed.text
    refiled = await post(api, f"/api/v1/trade/{pid}/payments", "sales_clerk", form, form_key)
    assert refiled.status_code == 200 and refiled.json() == filed.json()
    payments = (await api.get(f"/api/v1/trade/{pid}", "auditor")).json()["payments"]
    assert len(payments) == 1


async def _wait_for_stage(api: Api, pid: str, stage: str) -> dict[str, Any]:
    for _ in range(160):
        state: dict[str, Any] = (await api.get(f"/api/v1/trade/{pid}", "auditor")).json()
        if state["stage"] == stage:
            return state
        await asyncio.sleep(0.25)
    raise AssertionError(f"deal never reached {stage}: {state['stage']}")
