"""The working-day calendar's year view and an administrator's change of one day: GET /api/v1/calendar/days,
PUT /api/v1/calendar/days/{day} (api/routes/calendar.py) and the administrators' month grid
(web/admin_calendar.py) call these, so the page and the API cannot disagree."""

from __future__ import annotations

from datetime import UTC, date, datetime

from pydantic import BaseModel, Field
from sqlalchemy import select, union
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from activities.calendar import load_calendar
from api.errors import Invalid
from api.gateway import signal_all
from db.models import CalendarChange, CalendarDay, Complaint, Task
from domain.calendar import official_last_year
from domain.examples import examples
from domain.models import Actor, CalendarChanged, ProcessStatus
from domain.text import FIRST_YEAR, LAST_YEAR, StoredText


class DayEntry(BaseModel):
    model_config = examples({"is_working_day": False, "note": "年终盘点, 公司停业一天"})

    is_working_day: bool
    note: StoredText = Field(min_length=1, max_length=200, description="why: e.g. company closure for stock-taking")


class DayOut(BaseModel):
    day: date
    is_working_day: bool
    source: str  # official | admin | weekend-only (provisional)
    note: str | None = None


async def year_days(session: AsyncSession, year: int) -> list[DayOut]:
    """Every non-ordinary day of a year: holidays, make-up working days, closures, and their source."""
    calendar = await load_calendar(session)
    notes = {d.day: d.note for d in await session.scalars(select(CalendarDay))}
    out: list[DayOut] = []
    day = date(year, 1, 1)
    while day.year == year:
        working = calendar.is_working_day(day)
        if working != (day.weekday() < 5) or day in notes:
            if day in calendar.overrides:
                source = "admin"
            elif year <= official_last_year() or calendar.is_known_year(year):
                source = "official"
            else:
                source = "weekend-only (provisional)"
            out.append(DayOut(day=day, is_working_day=working, source=source, note=notes.get(day)))
        day = date.fromordinal(day.toordinal() + 1)
    return out


async def record_change(session: AsyncSession, actor: Actor, action: str, detail: dict[str, object]) -> None:
    session.add(CalendarChange(changed_by=actor.username, changed_at=datetime.now(UTC), action=action, detail=detail))


async def notify_provisional(session: AsyncSession, temporal: Client, years: list[int], actor: Actor) -> int:
    """After the change is committed: every running process holding a provisional deadline gets the
    signal `calendar_changed` and re-plans it (the workflow asks for the deadline again, moves its
    timer and records old and new deadline). A process that ended meanwhile is skipped. Answers how
    many were told."""
    await session.commit()  # the workflows read the calendar: they must see the change
    runs = await session.execute(
        union(
            select(Task.workflow_id, Task.process_id).where(Task.status == "open", Task.due_provisional.is_(True)),
            select(Complaint.workflow_id, Complaint.process_id).where(
                Complaint.due_provisional.is_(True), Complaint.status != ProcessStatus.closed.value
            ),
        )
    )
    signal = CalendarChanged(years=years, changed_by=actor.username)
    notified, _skipped = await signal_all(temporal, list(runs.tuples()), "calendar_changed", signal)
    return notified


async def set_calendar_day(
    session: AsyncSession, temporal: Client, actor: Actor, day: date, entry: DayEntry
) -> tuple[DayOut, int]:
    """A company closure (or an extra working day) that overrides the official schedule; the running
    processes with a provisional deadline are told at once (the second value: how many)."""
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise Invalid(f"day must lie between the years {FIRST_YEAR} and {LAST_YEAR}")
    now = datetime.now(UTC)
    row = await session.get(CalendarDay, day)
    if row is None:
        session.add(
            CalendarDay(
                day=day, is_working_day=entry.is_working_day, note=entry.note, updated_by=actor.username, updated_at=now
            )
        )
    else:
        row.is_working_day, row.note, row.updated_by, row.updated_at = (
            entry.is_working_day,
            entry.note,
            actor.username,
            now,
        )
    await record_change(session, actor, "set_day", {"day": day.isoformat(), **entry.model_dump()})
    notified = await notify_provisional(session, temporal, [day.year], actor)
    return DayOut(day=day, is_working_day=entry.is_working_day, source="admin", note=entry.note), notified
