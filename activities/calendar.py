"""Working-day deadlines for workflows. An activity, so that a replay reads the deadline from the
history and never recomputes it from calendar data an administrator changed since (issue: 调休)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from db.models import CalendarDay, CalendarYear
from domain.calendar import OfficeHours, WorkingCalendar


class DeadlineQuery(BaseModel):
    start: datetime
    working_days: int = Field(ge=0)
    following: int = Field(default=0, ge=0, le=10, description="also the next deadlines, each N more days on")
    replaces: datetime | None = None  # a re-plan: the deadline this one replaces (echoed for the history)


class DeadlineAnswer(BaseModel):
    deadline: datetime
    provisional: bool
    unknown_years: list[int] = Field(default_factory=list)
    following: list[datetime] = Field(default_factory=list)  # escalation moments, fixed with the deadline
    start: datetime | None = None  # the question, echoed: a local activity's marker keeps only the answer
    working_days: int | None = None
    replaces: datetime | None = None


async def load_calendar(session: AsyncSession, hours: OfficeHours | None = None) -> WorkingCalendar:
    """The official schedule plus every administrator entry in the database."""
    days = await session.execute(select(CalendarDay.day, CalendarDay.is_working_day))
    years = await session.scalars(select(CalendarYear.year))
    return WorkingCalendar(
        overrides={day: working for day, working in days.all()},
        maintained_years=list(years),
        hours=hours or OfficeHours(),
    )


def _calendar_version() -> Select[Any]:
    """A fingerprint of the administrators' calendar entries: it changes with any entry added,
    changed or removed."""
    return select(
        select(func.count()).select_from(CalendarDay).scalar_subquery(),
        select(func.max(CalendarDay.updated_at)).scalar_subquery(),
        select(func.count()).select_from(CalendarYear).scalar_subquery(),
        select(func.max(CalendarYear.updated_at)).scalar_subquery(),
    )


class CalendarActivities:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], hours: OfficeHours | None = None) -> None:
        self.sessions = sessions
        self.hours = hours or OfficeHours()
        self._cached: tuple[tuple[Any, ...], WorkingCalendar] | None = None

    async def _calendar(self) -> WorkingCalendar:
        """The calendar, loaded again only when an administrator's entry changed (one small query
        per look-up instead of every entry: a step opening costs a fraction of a millisecond)."""
        async with self.sessions() as session:
            version = tuple((await session.execute(_calendar_version())).one())
            if self._cached is not None and self._cached[0] == version:
                return self._cached[1]
            calendar = await load_calendar(session, self.hours)
        self._cached = (version, calendar)
        return calendar

    @activity.defn
    async def working_day_deadline(self, query: DeadlineQuery) -> DeadlineAnswer:
        calendar = await self._calendar()
        result = calendar.add_working_days(query.start, query.working_days)
        following: list[datetime] = []
        moment = result.deadline
        for _ in range(query.following):
            step = calendar.add_working_days(moment, query.working_days)
            moment = step.deadline
            following.append(moment)
        return DeadlineAnswer(
            deadline=result.deadline,
            provisional=result.provisional,
            unknown_years=list(result.unknown_years),
            following=following,
            start=query.start,
            working_days=query.working_days,
            replaces=query.replaces,
        )
