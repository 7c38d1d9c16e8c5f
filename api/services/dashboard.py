"""The managers' dashboard (issue 23 "Managers"): the figures `GET /api/v1/dashboard` answers and
the `/dashboard` page draws, read in plain SQL both SQLite and PostgreSQL run. Whose records
count is `api.visibility.dashboard_scope` (a depot or station manager: their unit and below).

- open cases per process type: processes still running or returned to their applicant
  (`ProcessStatus.is_open`), by the unit the process acts for;
- overdue tasks per unit and step: open tasks late now (`api.services.inbox.overdue_task`, the
  inbox's own overdue filter, read as its two disjoint branches). A task's unit is its seat's
  (`tasks.unit_code`) or, for a head-office seat, the unit of the case it serves (`tasks.case_unit`);
- average decision time per step this month: tasks decided this China-time month, from their
  creation to their decision, in calendar hours (domain/dashboard.py);
- complaint on-time rate: of the complaints received this month (the month of the monthly
  statistics, 002 rule 2 §27), the share of the closed ones closed by their deadline
  (`domain.complaints.closed_in_time`, 000 §16, 003 §4);
- active customers by grade (001 §1) and by the credit risk the credit module stores
  (`credit_accounts.risk_level`, 003 §6); a customer without credit terms pays before delivery
  (000 §13) and carries no risk level: it is counted as `none`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Float, func, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from api.services.inbox import overdue_branches
from api.visibility import Viewer, dashboard_scope, sees_whole_company
from db.models import Complaint, CreditAccount, Customer, Process, Task
from domain.china_time import ChinaTime
from domain.complaints import on_time_rate
from domain.credit import RiskLevel
from domain.customer_record import CustomerStatus
from domain.dashboard import in_hours, month_window
from domain.grading import Grade
from domain.models import ProcessStatus

NO_RISK = "none"  # no credit terms: prepaid (000 §13), no risk level recorded
OPEN_STATUSES = [status.value for status in ProcessStatus if status.is_open]
GRADES = [grade.value for grade in Grade]
RISKS = [level.value for level in RiskLevel] + [NO_RISK]


class TypeCount(BaseModel):
    process_type: str
    count: int


class OverdueCount(BaseModel):
    unit_code: str | None
    process_type: str
    step: str
    count: int


class DecisionTime(BaseModel):
    process_type: str
    step: str
    decided: int
    average_hours: float | None


class ComplaintTimeliness(BaseModel):
    month: str
    received: int
    closed: int
    closed_on_time: int
    on_time_rate: float | None


class KeyCount(BaseModel):
    key: str
    count: int


class Dashboard(BaseModel):
    as_of: ChinaTime
    month: str
    company_wide: bool
    open_cases: list[TypeCount]
    overdue_tasks: list[OverdueCount]
    decision_times: list[DecisionTime]
    complaints: ComplaintTimeliness
    customers_by_grade: list[KeyCount]
    customers_by_risk: list[KeyCount]


async def open_cases(session: AsyncSession, viewer: Viewer) -> list[TypeCount]:
    query = (
        select(Process.process_type, func.count())
        .where(Process.status.in_(OPEN_STATUSES), dashboard_scope(viewer, Process.unit_code))
        .group_by(Process.process_type)
        .order_by(Process.process_type)
    )
    return [TypeCount(process_type=kind, count=n) for kind, n in (await session.execute(query)).all()]


def _task_unit() -> Any:
    """The unit a task stands in: its seat's, else (a head-office seat) its case's, copied onto the
    task when it was written (`tasks.case_unit`, migration 0034): no task is joined to its case."""
    return func.coalesce(Task.unit_code, Task.case_unit)


def _late_tasks(viewer: Viewer, now: datetime) -> Any:
    """The viewer's open tasks late at `now`, one UNION ALL branch per `overdue_branches` condition,
    each a range of the index ix_tasks_late read alone (migration 0034): with 100,000 open tasks the
    single OR condition read every open task's row (issue 23 "Speed")."""
    unit = _task_unit()
    columns = (unit.label("unit_code"), Task.process_type, Task.step)
    mine = dashboard_scope(viewer, unit)
    branches = [select(*columns).where(Task.status == "open", late, mine) for late in overdue_branches(Task, now)]
    return union_all(*branches).subquery("late_tasks")


async def overdue_tasks(session: AsyncSession, viewer: Viewer, now: datetime) -> list[OverdueCount]:
    late = _late_tasks(viewer, now)
    groups = (late.c.unit_code, late.c.process_type, late.c.step)
    query = select(*groups, func.count()).group_by(*groups)
    rows = [OverdueCount(unit_code=u, process_type=k, step=s, count=n) for u, k, s, n in await session.execute(query)]
    return sorted(rows, key=lambda row: (-row.count, row.unit_code or "", row.process_type, row.step))


class epoch_seconds(FunctionElement[float]):
    """A stored time as seconds since a fixed origin, so that an average of differences is computed
    where the rows are: SQLite's `julianday` in days (times 86,400), PostgreSQL's `EXTRACT(EPOCH ...)`.
    One construct, each database its own spelling (like `api.visibility.unindexed`)."""

    type = Float()
    inherit_cache = True
    name = "epoch_seconds"


@compiles(epoch_seconds)
def _epoch(element: epoch_seconds, compiler: Any, **kw: Any) -> str:
    return f"EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)})"


@compiles(epoch_seconds, "sqlite")
def _julian(element: epoch_seconds, compiler: Any, **kw: Any) -> str:
    return f"(julianday({compiler.process(element.clauses, **kw)}) * 86400.0)"


async def decision_times(session: AsyncSession, viewer: Viewer, start: datetime, end: datetime) -> list[DecisionTime]:
    """Per step, the tasks decided in [start, end) and their mean time from creation to decision,
    averaged by the database (`epoch_seconds`), in hours (`domain.dashboard.in_hours`)."""
    seconds = func.avg(epoch_seconds(Task.decided_at) - epoch_seconds(Task.created_at))
    query = (
        select(Task.process_type, Task.step, func.count(), seconds)
        .where(Task.decided_at >= start, Task.decided_at < end, dashboard_scope(viewer, _task_unit()))
        .group_by(Task.process_type, Task.step)
    )
    rows = (await session.execute(query)).all()
    return [
        DecisionTime(process_type=kind, step=step, decided=n, average_hours=in_hours(float(mean)))
        for kind, step, n, mean in sorted(rows, key=lambda row: (row[0], row[1]))
    ]


async def complaint_timeliness(session: AsyncSession, viewer: Viewer, month: str) -> ComplaintTimeliness:
    closed = Complaint.closed_at.is_not(None)
    on_time = Complaint.closed_on_time.is_(True)
    query = select(func.count(), func.count().filter(closed), func.count().filter(on_time)).where(
        Complaint.month == month, dashboard_scope(viewer, Complaint.unit_code)
    )
    received, closed_n, on_time_n = (await session.execute(query)).one()
    return ComplaintTimeliness(
        month=month,
        received=received,
        closed=closed_n,
        closed_on_time=on_time_n,
        on_time_rate=on_time_rate(closed_n, on_time_n),
    )


def _active_customers(viewer: Viewer, key: Any) -> Any:
    """Active customers (trading now, 004 §4) of the viewer's scope, counted by `key`."""
    return (
        select(key, func.count())
        .select_from(Customer)
        .join(CreditAccount, CreditAccount.customer_id == Customer.id, isouter=True)
        .where(Customer.status == CustomerStatus.active.value, dashboard_scope(viewer, Customer.unit_code))
        .group_by(key)
    )


async def customers_by(session: AsyncSession, viewer: Viewer, key: Any, order: list[str]) -> list[KeyCount]:
    """Counted by `key` (a customer with no value of it as `none`), in the order of `order`."""
    counts = {value or NO_RISK: n for value, n in (await session.execute(_active_customers(viewer, key))).all()}
    return [KeyCount(key=value, count=counts[value]) for value in order if value in counts]


async def dashboard(session: AsyncSession, viewer: Viewer, now: datetime | None = None) -> Dashboard:
    """Every figure of the dashboard for `viewer`, as of `now` (default: the present)."""
    now = now or datetime.now(UTC)
    month, start, end = month_window(now)
    return Dashboard(
        as_of=now,
        month=month,
        company_wide=sees_whole_company(viewer),
        open_cases=await open_cases(session, viewer),
        overdue_tasks=await overdue_tasks(session, viewer, now),
        decision_times=await decision_times(session, viewer, start, end),
        complaints=await complaint_timeliness(session, viewer, month),
        customers_by_grade=await customers_by(session, viewer, Customer.grade, GRADES),
        customers_by_risk=await customers_by(session, viewer, CreditAccount.risk_level, RISKS),
    )
