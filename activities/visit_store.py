"""Visit plans and visit reports (000 §12, 002 rule 7): the rows the manager's view reads, written
with each moment of the plan and visit processes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

from sqlalchemy import Executable, update
from temporalio import activity

from activities.calendar import load_calendar
from activities.data_errors import fails_visibly_on_bad_data
from activities.process_store import ProjectionStore
from activities.process_sync import ProcessSync
from db.models import Visit, VisitPlan
from db.session import run_write
from domain.calendar import WorkingCalendar
from domain.visits import CHINA, PlanDueQuery, VisitReported, report_due_after


class VisitPlanSync(ProcessSync):
    """A moment of a plan: the process, its tasks, and the plan row's status."""

    plan_id: int
    plan_status: str
    decided_by: str | None = None
    decided_at: datetime | None = None


class VisitSync(ProcessSync):
    """A moment of a visit: the process, its report task, and the report's due moment."""

    visit_id: int
    report_due_at: datetime | None = None


def last_working_day_before(month: str, is_working_day: Callable[[date], bool]) -> date:
    year, number = (int(part) for part in month.split("-"))
    day = date(year, number, 1) - timedelta(days=1)
    while not is_working_day(day):
        day -= timedelta(days=1)
    return day


class VisitStore(ProjectionStore):
    @activity.defn
    @fails_visibly_on_bad_data
    async def sync_visit_plan(self, sync: VisitPlanSync) -> VisitPlanSync:
        values: dict[str, object] = {"status": sync.plan_status}
        if sync.decided_by is not None:
            values |= {"decided_by": sync.decided_by, "decided_at": sync.decided_at}
        await self.write_with(sync, lambda: update(VisitPlan).where(VisitPlan.id == sync.plan_id).values(**values))
        return sync.echo()

    @activity.defn
    @fails_visibly_on_bad_data
    async def sync_visit(self, sync: VisitSync) -> VisitSync:

        def visit_row() -> Executable | None:
            due = sync.step_due(sync.report_due_at)
            return None if due is None else update(Visit).where(Visit.id == sync.visit_id).values(report_due_at=due)

        await self.write_with(sync, visit_row)
        return sync.echo()

    @activity.defn
    @fails_visibly_on_bad_data
    async def record_report(self, reported: VisitReported) -> None:
        """The report, once: a retried activity never moves the first report's moment. Its due moment
        is counted again from the day the visit took place (002 rule 7, `report_due_after`)."""
        report = reported.report
        async with self.sessions() as session:
            calendar = await load_calendar(session)
        statement = (
            update(Visit)
            .where(Visit.id == reported.visit_id, Visit.reported_at.is_(None))
            .values(
                visited_on=report.visited_on,
                summary=report.summary,
                findings=report.findings,
                reported_by=reported.reported_by,
                reported_at=reported.reported_at,
                report_due_at=report_due_after(calendar, report.visited_on),
            )
        )
        await run_write(self.sessions, lambda session: session.execute(statement))

    @activity.defn
    async def plan_due_working_days(self, query: PlanDueQuery) -> int:
        """000 §12: the plan is approved before the month starts. The working days from `at` to the
        last working day before the month, for the step's `due_working_days` (0 when already past)."""
        async with self.sessions() as session:
            calendar = await load_calendar(session)
        return plan_due_working_days(calendar, query)


def plan_due_working_days(calendar: WorkingCalendar, query: PlanDueQuery) -> int:
    """Counted as the engine counts (from the next opening hour when `at` is after hours), at most
    `query.longest` working days (60 for a month's plan)."""
    last = last_working_day_before(query.month, calendar.is_working_day)
    day, count = query.at.astimezone(CHINA).date(), 0
    while day < last and count < query.longest:
        day += timedelta(days=1)
        if calendar.is_working_day(day):
            count += 1
    while count > 0 and calendar.add_working_days(query.at, count).deadline.date() > last:
        count -= 1
    return count
