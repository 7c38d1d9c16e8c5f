"""The inbox: a user's open tasks and the decision on one of them."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, and_, or_, select

from api.deps import CurrentActor, SessionDep, TemporalDep
from api.errors import Conflict, NotFound
from api.gateway import send_update
from api.schemas import ProcessStateOut, TaskOut
from db.models import Task
from domain.approvals import Outcome
from domain.models import Actor, DecisionRequest

router = APIRouter(prefix="/tasks", tags=["tasks"])


class DecisionIn(BaseModel):
    outcome: Outcome
    comment: str | None = Field(default=None, max_length=2000)


def _mine(actor: Actor) -> ColumnElement[bool]:
    """A task is mine when it names me, or needs a role I hold in my unit (000 §5 分级实施)."""
    by_role = and_(
        Task.assignee.is_(None),
        Task.role.in_([r.value for r in actor.roles]),
        or_(Task.unit_code.is_(None), Task.unit_code == actor.unit),
    )
    return or_(Task.assignee == actor.username, by_role)


@router.get("", response_model=list[TaskOut])
async def my_tasks(actor: CurrentActor, session: SessionDep) -> list[Task]:
    rows = await session.scalars(select(Task).where(Task.status == "open", _mine(actor)).order_by(Task.created_at))
    return list(rows)


@router.get("/{task_id}", response_model=TaskOut)
async def get_task(task_id: str, actor: CurrentActor, session: SessionDep) -> Task:
    task = await session.scalar(select(Task).where(Task.task_id == task_id))
    if task is None:
        raise NotFound(f"task {task_id} not found")
    return task


@router.post("/{task_id}/decision", response_model=ProcessStateOut)
async def decide(
    task_id: str, decision: DecisionIn, actor: CurrentActor, session: SessionDep, temporal: TemporalDep
) -> ProcessStateOut:
    """Approve, reject (ends the process) or return for correction; reasons required but for approve.

    The update id derives from the task and the approver, so a double click is applied once;
    a second approver racing on the same task is refused by the workflow with 409.
    """
    task = await session.scalar(select(Task).where(Task.task_id == task_id))
    if task is None:
        raise NotFound(f"task {task_id} not found")
    if task.status != "open":
        by = f" by {task.decided_by}" if task.decided_by else ""
        raise Conflict(f"task {task_id} is already {task.status}{by}")
    handle = temporal.get_workflow_handle(task.workflow_id, run_id=task.process_id)
    request = DecisionRequest(
        task_id=task_id, step=task.step, outcome=decision.outcome, comment=decision.comment, actor=actor
    )
    # Every workflow's `decide` answers with at least process_id, status and current_step.
    update_id = f"decision:{task_id}:{actor.username}"
    return await send_update(handle, "decide", request, update_id=update_id, result_type=ProcessStateOut)
