"""The working-day calendar: deadline look-ups for everyone, maintenance for administrators."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel, Field
from sqlalchemy import delete, select

from activities.calendar import load_calendar
from api.deps import SessionDep, SettingsDep, TemporalDep, require_any_role
from api.errors import Invalid
from api.services.calendar import DayEntry, DayOut, notify_provisional, record_change, set_calendar_day, year_days
from db.models import CalendarChange, CalendarDay, CalendarYear
from domain.calendar import official_last_year
from domain.china_time import ChinaTime
from domain.complaints import DEADLINE_WORKING_DAYS, Severity
from domain.examples import examples
from domain.models import Actor
from domain.roles import Role
from domain.text import FIRST_YEAR, LAST_YEAR, StoredText, fit

router = APIRouter(prefix="/calendar", tags=["calendar"])
Admin = Depends(require_any_role(Role.admin))
Overseer = Annotated[Actor, Depends(require_any_role(Role.admin, Role.auditor))]
# The years an administrator maintains (the official data starts in 2004).
MaintainedYear = Annotated[int, Path(ge=2004, le=2100)]


class DeadlineOut(BaseModel):
    start: ChinaTime
    working_days: int
    deadline: ChinaTime
    provisional: bool
    unknown_years: list[int]
    message: str | None = None


class YearSchedule(BaseModel):
    """A later year's official schedule (国务院办公厅 notice): holidays and make-up working days."""

    model_config = examples(
        {
            "source": "国办发明电〔2029〕7号",
            "holidays": ["2030-01-01", "2030-10-01", "2030-10-02"],
            "workdays": ["2030-09-29"],
        }
    )

    source: StoredText = Field(min_length=1, max_length=300, description="e.g. the State Council notice number")
    holidays: list[date] = Field(default_factory=list)
    workdays: list[date] = Field(default_factory=list, description="make-up working days (调休), often weekends")


def provisional_message(unknown_years: list[int]) -> str | None:
    if not unknown_years:
        return None
    years = ", ".join(str(y) for y in unknown_years)
    return (
        f"provisional: no official holiday schedule is known for {years}; weekends only were counted. "
        "An administrator can enter the schedule under PUT /api/v1/calendar/years/{year}."
    )


@router.get("/deadline", response_model=DeadlineOut)
async def deadline(
    session: SessionDep,
    settings: SettingsDep,
    start: Annotated[datetime, Query(description="ISO datetime; without a zone it is taken as Asia/Shanghai")],
    working_days: Annotated[int | None, Query(ge=0, le=366)] = None,
    severity: Annotated[Severity | None, Query(description="complaint severity instead of working_days")] = None,
) -> DeadlineOut:
    """N working days from a moment: same clock time on the N-th following working day (000 §16)."""
    if (working_days is None) == (severity is None):
        raise Invalid("give exactly one of working_days or severity")
    if not FIRST_YEAR <= start.year <= LAST_YEAR:  # year 9999 plus a few days is past the calendar's end
        raise Invalid(f"start must lie between the years {FIRST_YEAR} and {LAST_YEAR}")
    days = working_days if working_days is not None else DEADLINE_WORKING_DAYS[severity]  # type: ignore[index]
    hours = settings.office_hours()
    if start.tzinfo is None:
        start = start.replace(tzinfo=ZoneInfo(hours.timezone))
    calendar = await load_calendar(session, hours)
    result = calendar.add_working_days(start, days)
    unknown = list(result.unknown_years)
    return DeadlineOut(
        start=start,
        working_days=days,
        deadline=result.deadline,
        provisional=result.provisional,
        unknown_years=unknown,
        message=provisional_message(unknown),
    )


@router.get("/days", response_model=list[DayOut])
async def days_of_year(session: SessionDep, year: Annotated[int, Query(ge=2004, le=2100)]) -> list[DayOut]:
    """Every non-ordinary day of a year: holidays, make-up working days, closures, and their source."""
    return await year_days(session, year)


REPLANNED_HEADER = "X-Processes-Notified"


@router.put("/years/{year}", response_model=list[DayOut])
async def maintain_year(
    year: MaintainedYear,
    schedule: YearSchedule,
    session: SessionDep,
    temporal: TemporalDep,
    response: Response,
    actor: Actor = Admin,
) -> list[DayOut]:
    """Enter a year's official schedule; its deadlines stop being provisional. Replaces earlier entries.

    Running processes with a provisional deadline are told at once (header `X-Processes-Notified`)."""
    if year <= official_last_year():
        raise Invalid(f"{year} is covered by the official data; use PUT /calendar/days/{{day}} for closures")
    wrong = [d.isoformat() for d in [*schedule.holidays, *schedule.workdays] if d.year != year]
    if wrong:
        raise Invalid([f"{d} is not in {year}" for d in wrong])
    clash = sorted(set(schedule.holidays) & set(schedule.workdays))
    if clash:
        raise Invalid([f"{d.isoformat()} is listed as both holiday and working day" for d in clash])
    now = datetime.now(UTC)
    await session.execute(
        delete(CalendarDay).where(CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))
    )
    for day in schedule.holidays:
        session.add(
            CalendarDay(
                day=day, is_working_day=False, note=fit(schedule.source, 200), updated_by=actor.username, updated_at=now
            )
        )
    for day in schedule.workdays:
        session.add(
            CalendarDay(
                day=day,
                is_working_day=True,
                note=fit(f"调休 {schedule.source}", 200),
                updated_by=actor.username,
                updated_at=now,
            )
        )
    entry = await session.get(CalendarYear, year)
    if entry is None:
        session.add(CalendarYear(year=year, source=schedule.source, updated_by=actor.username, updated_at=now))
    else:
        entry.source, entry.updated_by, entry.updated_at = schedule.source, actor.username, now
    await record_change(session, actor, "maintain_year", {"year": year, **schedule.model_dump(mode="json")})
    response.headers[REPLANNED_HEADER] = str(await notify_provisional(session, temporal, [year], actor))
    return await days_of_year(session, year)


@router.put("/days/{day}", response_model=DayOut)
async def set_day(
    day: date, entry: DayEntry, session: SessionDep, temporal: TemporalDep, response: Response, actor: Actor = Admin
) -> DayOut:
    """A company closure (or an extra working day) that overrides the official schedule.

    Running processes with a provisional deadline are told at once (header `X-Processes-Notified`)."""
    answer, notified = await set_calendar_day(session, temporal, actor, day, entry)
    response.headers[REPLANNED_HEADER] = str(notified)
    return answer


@router.get("/changes")
async def changes(session: SessionDep, actor: Overseer) -> list[dict[str, object]]:
    rows = await session.scalars(select(CalendarChange).order_by(CalendarChange.id))
    return [{"at": r.changed_at, "by": r.changed_by, "action": r.action, "detail": r.detail} for r in rows]
