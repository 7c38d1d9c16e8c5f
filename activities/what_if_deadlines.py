"""What a candidate change of step deadlines would reach (issue 21 §4; domain/step_deadlines.py).

Read-only: the open processes of the candidate's process type (running or returned), and for each
the steps open now that would already be past their deadline had the candidate timed them — dated
from the moment each step's task opened, on the working-day calendar the workflows count on.
READING: "already" is judged at the later of now and the start of the candidate's effective day
(China time): the moment it could first apply. Nothing is moved: running processes keep the
version they pinned at their start (新老划断), so this answer is the reach, not a plan.
"""

from __future__ import annotations

from datetime import UTC, datetime, time

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from activities.calendar import load_calendar
from activities.rule_store import step_deadlines_in_force
from db.models import Process, Task
from domain.calendar import WorkingCalendar
from domain.china_time import CHINA, china_iso
from domain.rule_change import RULE_CITATION, RuleKind, StepDeadlinesChange
from domain.step_deadlines import StepTiming
from domain.what_if import WhatIfAnswer, WhatIfProcess

OPEN = ("running", "returned")


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)  # SQLite keeps UTC naive


def _overdue(calendar: WorkingCalendar, tasks: list[Task], steps: dict[str, StepTiming], at: datetime) -> list[str]:
    """Each open step the candidate times, past its candidate deadline at `at`, named once."""
    reasons: dict[str, str] = {}
    for task in tasks:
        timing = steps.get(task.step)
        if timing is None or task.step in reasons:
            continue
        due = calendar.add_working_days(_utc(task.created_at), timing.due_working_days).deadline
        if due < at:
            reasons[task.step] = (
                f"step {task.step} would be overdue: due {china_iso(due)} under {timing.due_working_days} "
                f"working days ({RULE_CITATION[RuleKind.step_deadlines]})"
            )
    return list(reasons.values())


async def step_deadlines_what_if(session: AsyncSession, change: StepDeadlinesChange) -> WhatIfAnswer:
    """The open processes of the candidate's type, each with the steps it would already fail."""
    payload = change.payload
    at = max(datetime.now(UTC), datetime.combine(payload.effective_from, time(), CHINA))
    in_force = await step_deadlines_in_force(session, payload.process_type, payload.effective_from)
    query = select(Process).where(Process.process_type == payload.process_type, Process.status.in_(OPEN))
    processes = list(await session.scalars(query.order_by(Process.started_at, Process.process_id)))
    tasks = await session.scalars(
        select(Task)
        .where(Task.process_id.in_([p.process_id for p in processes]), Task.status == "open")
        .order_by(Task.created_at, Task.task_id)
    )
    open_tasks: dict[str, list[Task]] = {}
    for task in tasks:
        open_tasks.setdefault(task.process_id, []).append(task)
    calendar = await load_calendar(session)
    reached = [
        WhatIfProcess(
            process_id=process.process_id,
            workflow_id=process.workflow_id,
            process_type=process.process_type,
            subject=process.subject,
            customer_id=process.customer_id,
            status=process.status,
            current_step=process.current_step,
            would_fail=_overdue(calendar, open_tasks.get(process.process_id, []), payload.steps, at),
        )
        for process in processes
    ]
    failing = sum(1 for p in reached if p.would_fail)
    return WhatIfAnswer(
        rule=RuleKind.step_deadlines.value,
        effective_from=payload.effective_from,
        in_force_version=in_force.version if in_force is not None else None,
        processes=reached,
        summary=(
            f"{len(reached)} open {payload.process_type} processes; {failing} would already be overdue "
            "under the candidate deadlines (they keep the deadlines they started with)"
        ),
    )
