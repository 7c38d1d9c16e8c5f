"""Working-day deadlines for workflows. An activity, so that a replay reads the deadline from the
history and never recomputes it from calendar data an administrator changed since (issue: 调休)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field
from sqlalchemy import select
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


class CalendarActivities:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], hours: OfficeHours | None = None) -> None:
        self.sessions = sessions
        self.hours = hours or OfficeHours()

    @activity.defn
    async def working_day_deadline(self, query: DeadlineQuery) -> DeadlineAnswer:
        async with self.sessions() as session:
            calendar = await load_calendar(session, self.hours)
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
