"""The working-day calendar's month grid (web/admin_calendar.py) over the real app, on SQLite and
PostgreSQL: the official holidays and make-up days of a known year, a year beyond the known data said
so above the grid and on every day, an administrator's change of one day through the form (CSRF) —
the same change and audit line as PUT /api/v1/calendar/days/{day} — and everyone else refused."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import CalendarChange, CalendarDay
from tests.inbox_support import add_user
from tests.support import Api
from tests.web.pages_support import Browser, open_browser, signed_in

pytestmark = pytest.mark.asyncio(loop_scope="session")
UNKNOWN_YEAR = 2093  # no test enters a schedule for it


def cell(page: str, day: str) -> str:
    found = re.search(rf'<td class="day [^"]*"\s+data-day="{day}".*?</td>', page, re.S)
    assert found, f"no cell for {day}"
    return found[0]


def kind(page: str, day: str) -> str:
    found = re.search(r'data-kind="(\w+)"', cell(page, day))
    assert found
    return found[1]


async def changes(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        return await session.scalar(select(func.count()).select_from(CalendarChange)) or 0


async def test_a_known_month_shows_holidays_and_make_up_days(api: Api, browsers: list[Browser]) -> None:
    admin = await signed_in(api, browsers, "admin")
    assert 'id="nav-calendar"' in (await admin.get("/")).text  # the header leads administrators here
    page = await admin.get("/admin/calendar", params={"year": "2025", "month": "10"})
    assert page.status_code == 200, page.text
    assert 'id="calendar-known"' in page.text and 'id="calendar-unknown"' not in page.text
    assert kind(page.text, "2025-10-01") == "holiday" and "节假日" in cell(page.text, "2025-10-01")  # 国庆
    assert kind(page.text, "2025-10-11") == "makeup" and "调休上班" in cell(page.text, "2025-10-11")  # a Saturday
    assert kind(page.text, "2025-10-09") == "workday" and kind(page.text, "2025-10-18") == "weekend"
    assert "outside" in cell(page.text, "2025-09-29")  # the week of the 1st, from Monday, in September
    assert 'id="calendar-edit"' in page.text and 'name="csrf_token"' in page.text
    assert 'href="/admin/calendar?year=2025&amp;month=9"' in page.text


async def test_a_year_beyond_the_known_data_says_so(api: Api, browsers: list[Browser]) -> None:
    admin = await signed_in(api, browsers, "admin")
    page = await admin.get("/admin/calendar", params={"year": str(UNKNOWN_YEAR), "month": "10"})
    assert page.status_code == 200
    assert 'id="calendar-unknown"' in page.text and "超出已知数据" in page.text
    october_first = cell(page.text, f"{UNKNOWN_YEAR}-10-01")  # a Thursday: no holiday is known
    assert 'data-known="false"' in october_first and kind(page.text, f"{UNKNOWN_YEAR}-10-01") == "workday"
    assert "超出已知数据" in october_first


async def test_an_administrator_sets_a_day_through_the_form(
    api: Api, browsers: list[Browser], sessions: async_sessionmaker[AsyncSession]
) -> None:
    day = f"{UNKNOWN_YEAR}-03-10"  # a Tuesday
    admin = await signed_in(api, browsers, "admin")
    await admin.get("/admin/calendar", params={"year": str(UNKNOWN_YEAR), "month": "3"})
    before = await changes(sessions)
    saved = await admin.post("/admin/calendar/days", {"day": day, "is_working_day": "false", "note": "年终盘点停业"})
    assert saved.status_code == 303 and saved.headers["location"] == f"/admin/calendar?year={UNKNOWN_YEAR}&month=3"
    page = await admin.get(saved.headers["location"])
    assert kind(page.text, day) == "holiday"
    assert "年终盘点停业" in cell(page.text, day) and "管理员设定" in cell(page.text, day)
    assert await changes(sessions) == before + 1  # the API's audit line, once
    answered = await api.get(f"/api/v1/calendar/days?year={UNKNOWN_YEAR}", "admin")
    assert {"day": day, "is_working_day": False, "source": "admin", "note": "年终盘点停业"} in answered.json()

    # Another administrator reading English sees the same day in their words.
    reader = open_browser(api, browsers)
    await reader.sign_in(await add_user(sessions, "admin"))
    assert (await reader.post("/locale", {"locale": "en", "next": "/admin/calendar"})).status_code == 303
    english = await reader.get("/admin/calendar", params={"year": str(UNKNOWN_YEAR), "month": "3"})
    assert "set by an administrator" in cell(english.text, day) and "beyond the known data" in english.text


async def test_only_administrators_change_the_calendar(
    api: Api, browsers: list[Browser], sessions: async_sessionmaker[AsyncSession]
) -> None:
    day = date(UNKNOWN_YEAR, 4, 14)
    clerk = await signed_in(api, browsers, "sales_clerk")
    assert 'id="nav-calendar"' not in (await clerk.get("/")).text
    page = await clerk.get("/admin/calendar", params={"year": str(UNKNOWN_YEAR), "month": "4"})
    assert page.status_code == 200 and 'id="calendar-grid"' in page.text and 'id="calendar-edit"' not in page.text
    before = await changes(sessions)
    refused = await clerk.post("/admin/calendar/days", {"day": day.isoformat(), "is_working_day": "false", "note": "x"})
    assert refused.status_code == 403 and "仅系统管理员" in refused.text

    admin = await signed_in(api, browsers, "admin")
    await admin.get("/admin/calendar")
    form = {"day": day.isoformat(), "is_working_day": "false", "note": "x"}
    no_token = await admin.post("/admin/calendar/days", form, csrf=False)
    assert no_token.status_code == 403
    empty_note = await admin.post(
        "/admin/calendar/days", {"day": day.isoformat(), "is_working_day": "false", "note": ""}
    )
    assert empty_note.status_code == 422 and "原因" in empty_note.text and "<html" in empty_note.text  # words, not JSON
    assert (await admin.get("/admin/calendar", params={"year": "2101"})).status_code == 422
    assert await changes(sessions) == before
    async with sessions() as session:
        assert await session.get(CalendarDay, day) is None
