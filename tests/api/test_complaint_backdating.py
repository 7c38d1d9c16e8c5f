"""A complaint's receipt may be backdated within a declared window of working days, never into the
future (000 §16: the deadline runs from receipt). The rule on fixed dates, then through the API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from activities.calendar import load_calendar
from domain.calendar import WorkingCalendar
from domain.complaint_receipt import earliest_receipt, receipt_problem
from tests.support import Api

SHANGHAI = ZoneInfo("Asia/Shanghai")
COMPLAINT = {
    "customer_name": "新乡宏达物流",
    "channel": "phone",
    "category": "delivery",
    "severity": "ordinary",
    "description": "补登记: 电话投诉柴油延误",
}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("now", "window", "earliest"),
    [
        ("2026-11-30 10:00", 3, "2026-11-25 00:00"),  # Monday: back over the weekend to Wednesday
        ("2026-10-09 10:00", 3, "2026-09-29 00:00"),  # after National Day: the holidays do not count
        ("2026-10-09 10:00", 1, "2026-10-08 00:00"),
        ("2026-11-30 10:00", 0, "2026-11-30 00:00"),  # no window: today only
        ("2026-11-29 10:00", 1, "2026-11-27 00:00"),  # registered on a Sunday: the Friday before
    ],
)
def test_the_window_counts_working_days(now: str, window: int, earliest: str) -> None:
    assert earliest_receipt(at(now), WorkingCalendar(), window) == at(earliest)


@pytest.mark.rule("000-16-clock-from-receipt")
def test_receipt_problems() -> None:
    now, calendar = at("2026-11-30 10:00"), WorkingCalendar()
    assert receipt_problem(at("2026-11-25 00:00"), now, calendar, 3) is None
    assert receipt_problem(now, now, calendar, 3) is None
    too_old = receipt_problem(at("2026-11-24 23:59"), now, calendar, 3)
    assert too_old is not None and "at most 3 working days" in too_old and "2026-11-25T00:00:00+08:00" in too_old
    assert receipt_problem(now + timedelta(seconds=1), now, calendar, 3) == "received_at lies in the future"
    naive = receipt_problem(datetime(2026, 11, 30, 9), now, calendar, 3)
    assert naive is not None and "time zone" in naive


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.rule("000-16-clock-from-receipt")
async def test_the_api_accepts_the_window_and_refuses_older_or_future_receipts(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    now = datetime.now(UTC)
    async with sessions() as session:
        calendar = await load_calendar(session)
    earliest = earliest_receipt(now, calendar, 3)  # the default window

    for accepted in (now - timedelta(minutes=5), earliest + timedelta(minutes=1)):
        created = await api.post(
            "/api/v1/complaints", "sales_clerk", json={**COMPLAINT, "received_at": accepted.isoformat()}
        )
        assert created.status_code == 201, (accepted, created.text)
    detail = (await api.get(f"/api/v1/complaints/{created.json()['process_id']}", "auditor")).json()
    assert datetime.fromisoformat(detail["received_at"]) == earliest + timedelta(minutes=1)

    for refused in (earliest - timedelta(minutes=1), now - timedelta(days=30), datetime(2026, 8, 15, tzinfo=UTC)):
        response = await api.post(
            "/api/v1/complaints", "sales_clerk", json={**COMPLAINT, "received_at": refused.isoformat()}
        )
        assert response.status_code == 422, (refused, response.text)
        assert "at most 3 working days" in response.json()["detail"]
        assert earliest.isoformat() in response.json()["detail"]

    future = await api.post(
        "/api/v1/complaints", "sales_clerk", json={**COMPLAINT, "received_at": (now + timedelta(minutes=5)).isoformat()}
    )
    assert future.status_code == 422 and "future" in future.json()["detail"]
    no_zone = await api.post(
        "/api/v1/complaints", "sales_clerk", json={**COMPLAINT, "received_at": "2026-11-30T09:00:00"}
    )
    assert no_zone.status_code == 422
