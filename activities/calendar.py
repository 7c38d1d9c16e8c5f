"""Working-day deadlines for workflows. An activity, so that a replay reads the deadline from the
history and never recomputes it from calendar data an administrator changed since (issue: 调休)."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session
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


class StepDeadline(BaseModel):
    """A step's deadline, asked of the write that opens the step's tasks (`key`: the step's first
    task): the write counts it on the calendar in its own transaction, dates `task_ids` with it,
    and echoes the `answer` for the step's clock. One local activity per step opening, not two."""

    key: str
    query: DeadlineQuery
    task_ids: list[str]
    answer: DeadlineAnswer | None = None


DAYS = select(CalendarDay.day, CalendarDay.is_working_day)
YEARS = select(CalendarYear.year)


def _calendar_of(days: Any, years: Any, hours: OfficeHours | None) -> WorkingCalendar:
    return WorkingCalendar(
        overrides={day: working for day, working in days},
        maintained_years=list(years),
        hours=hours or OfficeHours(),
    )


async def load_calendar(session: AsyncSession, hours: OfficeHours | None = None) -> WorkingCalendar:
    """The official schedule plus every administrator entry in the database."""
    return _calendar_of((await session.execute(DAYS)).all(), await session.scalars(YEARS), hours)


def answer(calendar: WorkingCalendar, query: DeadlineQuery) -> DeadlineAnswer:
    """The deadline, and the moments of the escalation levels after it."""
    result = calendar.add_working_days(query.start, query.working_days)
    following: list[datetime] = []
    moment = result.deadline
    for _ in range(query.following):
        moment = calendar.add_working_days(moment, query.working_days).deadline
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


@cache
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

    def _known(self, version: tuple[Any, ...]) -> WorkingCalendar | None:
        return self._cached[1] if self._cached is not None and self._cached[0] == version else None

    def _keep(self, version: tuple[Any, ...], calendar: WorkingCalendar) -> WorkingCalendar:
        self._cached = (version, calendar)
        return calendar

    async def _calendar(self) -> WorkingCalendar:
        """The calendar, loaded again only when an administrator's entry changed (one small query
        per look-up instead of every entry: a step opening costs a fraction of a millisecond)."""
        async with self.sessions() as session:
            version = tuple((await session.execute(_calendar_version())).one())
            known = self._known(version)
            return known or self._keep(version, await load_calendar(session, self.hours))

    def calendar_in(self, session: Session) -> WorkingCalendar:
        """The same calendar, read in a write's own (synchronous) transaction."""
        version = tuple(session.execute(_calendar_version()).one())
        known = self._known(version)
        return known or self._keep(
            version, _calendar_of(session.execute(DAYS).all(), session.scalars(YEARS), self.hours)
        )

    def date_tasks(self, session: Session, deadlines: list[StepDeadline], tasks: list[Any]) -> None:
        """Answer each step's deadline in the write's transaction and date its tasks with it."""
        calendar = self.calendar_in(session)
        by_id = {task.task_id: task for task in tasks}
        for deadline in deadlines:
            deadline.answer = answer(calendar, deadline.query)
            for task_id in deadline.task_ids:
                if task_id in by_id:
                    by_id[task_id].due_at = deadline.answer.deadline
                    by_id[task_id].due_provisional = deadline.answer.provisional

    @activity.defn
    async def working_day_deadline(self, query: DeadlineQuery) -> DeadlineAnswer:
        return answer(await self._calendar(), query)
