"""Visit plans and visit reports on the time-skipping server (000 §12, 002 rule 7): the plan due on
the last working day before its month and escalated when not approved; each visit's report due 2
working days after the visit, with a reminder before and an escalation after."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from activities.calendar import load_calendar
from activities.visit_store import last_working_day_before
from db.models import Notification, Task, Visit, VisitPlan
from domain import errors
from domain.models import DecisionRequest, ProcessView
from domain.visits import (
    PlannedVisit,
    ReportRequest,
    VisitPlanInput,
    VisitReportIn,
    visit_plan_workflow_id,
    visit_workflow_id,
)
from tests.engine_support import person
from tests.support import WorkerControl, record_history
from tests.workflows.test_grading import new_customer
from workflows.visits import CHINA, VISIT_DAY_STARTS

pytestmark = pytest.mark.asyncio(loop_scope="session")
SECOND = timedelta(seconds=1)


def next_month(today: date) -> str:
    first = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    return first.strftime("%Y-%m")


async def tasks_of(sessions: async_sessionmaker[AsyncSession], workflow_id: str, status: str = "open") -> list[Task]:
    async with sessions() as session:
        rows = await session.scalars(
            select(Task).where(Task.workflow_id == workflow_id, Task.status == status).order_by(Task.created_at)
        )
        return list(rows)


async def started(client: Client, workflow_id: str) -> WorkflowHandle[Any, Any]:
    handle = client.get_workflow_handle(workflow_id)
    for _ in range(100):
        try:
            await handle.describe()
            return handle
        except RPCError:
            await asyncio.sleep(0.1)
    raise AssertionError(f"{workflow_id} never started")


async def start_plan(
    sessions: async_sessionmaker[AsyncSession],
    client: Client,
    task_queue: str,
    month: str,
    days: tuple[date, ...],
    now: datetime,
) -> tuple[int, str, list[int], WorkflowHandle[Any, Any]]:
    """A plan of the sales clerk's, one visit per day, as `POST /visit-plans` writes and starts it."""
    customer = await new_customer(sessions, datetime.now(UTC))
    async with sessions() as session, session.begin():
        plan = VisitPlan(
            month=month, salesperson="sales_clerk", unit_code="MKT", workflow_id="", status="running", submitted_at=now
        )
        session.add(plan)
        await session.flush()
        plan.workflow_id = visit_plan_workflow_id(plan.id, uuid.uuid4().hex[:12])
        visits = [Visit(plan_id=plan.id, customer_id=customer.id, planned_on=day, purpose="走访") for day in days]
        session.add_all(visits)
        await session.flush()
        plan_id, workflow_id, visit_ids = plan.id, plan.workflow_id, [v.id for v in visits]
    start = VisitPlanInput(
        plan_id=plan_id,
        month=month,
        salesperson=person("sales_clerk"),
        visits=[
            PlannedVisit(visit_id=i, customer_id=customer.id, customer_name=customer.name, planned_on=day)
            for i, day in zip(visit_ids, days, strict=True)
        ],
    )
    handle = await client.start_workflow("VisitPlan", start, id=workflow_id, task_queue=task_queue)
    return plan_id, workflow_id, visit_ids, handle


async def approve_plan(sessions: async_sessionmaker[AsyncSession], handle: WorkflowHandle[Any, Any]) -> None:
    [manager_task] = [t for t in await tasks_of(sessions, handle.id) if t.role == "marketing_manager"]
    approve = DecisionRequest(
        task_id=manager_task.task_id,
        step="manager_approval",
        outcome="approve",  # type: ignore[arg-type]
        actor=person("marketing_manager"),
    )
    assert (await handle.execute_update("decide", approve, result_type=ProcessView)).status == "approved"


@pytest.mark.rule("002-7-visit-plan-approved-by-supervisor", "002-7-report-within-two-days")
async def test_plan_due_before_the_month_then_reports_due_two_working_days_after_each_visit(
    time_env: WorkflowEnvironment, clock_worker: WorkerControl, sessions: async_sessionmaker[AsyncSession]
) -> None:
    client = time_env.client
    now = await time_env.get_current_time()
    # The month after next: its deadline lies ahead at whatever hour the suite runs (on the last
    # working day before next month, after office hours, next month's plan is already late).
    month = next_month(date.fromisoformat(next_month(now.astimezone(CHINA).date()) + "-01"))
    async with sessions() as session:
        calendar = await load_calendar(session)
    deadline_day = last_working_day_before(month, calendar.is_working_day)
    first = date.fromisoformat(f"{month}-01")
    on_time_day = calendar.next_working_day(first + timedelta(days=1))
    late_day = calendar.next_working_day(on_time_day + timedelta(days=7))

    plan_id, workflow_id, visit_ids, handle = await start_plan(
        sessions, client, clock_worker.task_queue, month, (on_time_day, late_day), now
    )
    view = await handle.execute_update("current", result_type=ProcessView)
    assert view.current_step == "manager_approval"
    assert view.due_at is not None and view.due_at.astimezone(CHINA).date() == deadline_day  # 000 §12

    # Not approved by its deadline: overdue, and the business VP supervises.
    await time_env.sleep(view.due_at - await time_env.get_current_time() + timedelta(minutes=5))
    await handle.execute_update("current", result_type=ProcessView)
    opened = await tasks_of(sessions, workflow_id)
    assert {(t.role, t.overdue) for t in opened} == {("marketing_manager", True), ("business_vp", True)}

    await approve_plan(sessions, handle)
    async with sessions() as session:
        assert (await session.get(VisitPlan, plan_id)).status == "approved"  # type: ignore[union-attr]

    # The first visit: its report task opens on the visit day, due 2 working days later (002 rule 7).
    on_time = await started(client, visit_workflow_id(workflow_id, visit_ids[0]))
    visit_start = datetime.combine(on_time_day, VISIT_DAY_STARTS, CHINA)
    await time_env.sleep(visit_start - await time_env.get_current_time() + timedelta(minutes=1))
    view = await on_time.execute_update("current", result_type=ProcessView)
    assert view.current_step == "report"
    assert view.due_at is not None
    assert abs(view.due_at - calendar.add_working_days(visit_start, 2).deadline) < SECOND  # the timer's jitter
    [report_task] = await tasks_of(sessions, visit_workflow_id(workflow_id, visit_ids[0]))
    assert report_task.assignee == "sales_clerk"
    report = VisitReportIn(visited_on=on_time_day, summary="客户提货正常", findings="竞品降价")
    done = await on_time.execute_update(
        "report", ReportRequest(report=report, actor=person("sales_clerk")), result_type=ProcessView
    )
    assert done.status == "approved"

    # The second visit is reported late: a reminder before the deadline, an escalation after it.
    late = await started(client, visit_workflow_id(workflow_id, visit_ids[1]))
    late_start = datetime.combine(late_day, VISIT_DAY_STARTS, CHINA)
    due = calendar.add_working_days(late_start, 2).deadline
    await time_env.sleep(due - await time_env.get_current_time() - timedelta(hours=1))
    await late.execute_update("current", result_type=ProcessView)
    late_process = late.result_run_id or (await late.describe()).run_id
    async with sessions() as session:
        kinds = {
            (n.kind, n.recipient)
            for n in await session.scalars(select(Notification).where(Notification.process_id == late_process))
        }
    assert ("reminder", "sales_clerk") in kinds
    await time_env.sleep(timedelta(hours=2))
    await late.execute_update("current", result_type=ProcessView)
    opened = await tasks_of(sessions, visit_workflow_id(workflow_id, visit_ids[1]))
    assert {(t.role, t.assignee, t.overdue) for t in opened} == {
        ("", "sales_clerk", True),  # a named seat: the salesperson, not a role
        ("marketing_manager", None, True),
    }
    report = VisitReportIn(visited_on=late_day, summary="补交报告")
    done = await late.execute_update(
        "report", ReportRequest(report=report, actor=person("sales_clerk")), result_type=ProcessView
    )
    assert done.status == "approved"
    late_id = visit_workflow_id(workflow_id, visit_ids[1])
    assert await tasks_of(sessions, late_id) == []  # the supervision task closes too
    record_history("visit_report_late_escalated", await late.fetch_history())

    async with sessions() as session:
        rows = {v.id: v for v in await session.scalars(select(Visit).where(Visit.plan_id == plan_id))}
    first_visit, second_visit = rows[visit_ids[0]], rows[visit_ids[1]]
    assert first_visit.reported_at is not None and first_visit.report_due_at is not None
    assert first_visit.reported_at <= first_visit.report_due_at
    assert second_visit.reported_at is not None and second_visit.report_due_at is not None
    assert abs(second_visit.report_due_at - due) < SECOND
    assert second_visit.reported_at > due
    assert second_visit.summary == "补交报告" and first_visit.findings == "竞品降价"


@pytest.mark.rule("002-7-report-after-the-visit", "002-7-report-within-two-days")
async def test_a_future_visit_is_not_reported_and_the_window_runs_from_the_actual_visit_day(
    time_env: WorkflowEnvironment, clock_worker: WorkerControl, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """002 rule 7 (issue 20 §12): a report of a visit dated after today is refused, changing nothing;
    a visit made later than planned is due 2 working days after the day it was made, so a report
    within that window is on time although the planned day's window has passed."""
    client = time_env.client
    now = await time_env.get_current_time()
    month = next_month(date.fromisoformat(next_month(now.astimezone(CHINA).date()) + "-01"))
    async with sessions() as session:
        calendar = await load_calendar(session)
    planned = calendar.next_working_day(date.fromisoformat(f"{month}-01") + timedelta(days=1))
    plan_id, workflow_id, [visit_id], handle = await start_plan(
        sessions, client, clock_worker.task_queue, month, (planned,), now
    )
    await handle.execute_update("current", result_type=ProcessView)
    await approve_plan(sessions, handle)
    visit = await started(client, visit_workflow_id(workflow_id, visit_id))

    # The visit waited 3 working days past its plan; the salesperson reports the next morning.
    visited_on = planned
    for _ in range(3):
        visited_on = calendar.next_working_day(visited_on)
    report_at = datetime.combine(calendar.next_working_day(visited_on), VISIT_DAY_STARTS, CHINA)
    await time_env.sleep(report_at - await time_env.get_current_time() + timedelta(minutes=1))
    planned_due = calendar.add_working_days(datetime.combine(planned, VISIT_DAY_STARTS, CHINA), 2).deadline
    assert await time_env.get_current_time() > planned_due  # late, counted from the planned day

    tomorrow = calendar.next_working_day(report_at.date())
    future = VisitReportIn(visited_on=tomorrow, summary="尚未拜访")
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await visit.execute_update("report", ReportRequest(report=future, actor=person("sales_clerk")))
    assert isinstance(refused.value.cause, ApplicationError) and refused.value.cause.type == errors.INVALID
    assert "002 rule 7" in str(refused.value.cause)
    async with sessions() as session:
        row = await session.get(Visit, visit_id)
        assert row is not None and row.reported_at is None and row.visited_on is None
    assert [t.assignee for t in await tasks_of(sessions, visit.id) if t.assignee] == ["sales_clerk"]

    report = VisitReportIn(visited_on=visited_on, summary="客户延期接待, 已拜访")
    done = await visit.execute_update(
        "report", ReportRequest(report=report, actor=person("sales_clerk")), result_type=ProcessView
    )
    assert done.status == "approved"
    async with sessions() as session:
        row = await session.get(Visit, visit_id)
    assert row is not None and row.reported_at is not None and row.report_due_at is not None
    actual_due = calendar.add_working_days(datetime.combine(visited_on, VISIT_DAY_STARTS, CHINA), 2).deadline
    assert abs(row.report_due_at - actual_due) < SECOND
    assert row.reported_at <= row.report_due_at  # on time: the window runs from the actual visit day
