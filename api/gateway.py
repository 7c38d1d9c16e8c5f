"""The API's only way into workflows: find a process, check who may see it, send it an update."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.service import RPCError

from api.errors import NotFound, from_workflow
from db.models import Process, Task
from domain.models import Actor
from domain.roles import OVERSIGHT_ROLES

T = TypeVar("T")


def visible_processes(actor: Actor, query: Select[Any]) -> Select[Any]:
    """Auditors and admins read everything (003 §7); others their own applications and their tasks."""
    if any(actor.has(role) for role in OVERSIGHT_ROLES):
        return query
    had_task = exists().where(Task.process_id == Process.process_id, Task.role.in_([r.value for r in actor.roles]))
    return query.where(or_(Process.applicant == actor.username, had_task))


async def get_process(session: AsyncSession, actor: Actor, process_id: str) -> Process:
    process = await session.scalar(visible_processes(actor, select(Process).where(Process.process_id == process_id)))
    if process is None:
        raise NotFound(f"process {process_id} not found")
    return process


def handle_for(client: Client, process: Process) -> WorkflowHandle[Any, Any]:
    return client.get_workflow_handle(process.workflow_id, run_id=process.process_id)


async def send_update(
    handle: WorkflowHandle[Any, Any],
    name: str,
    arg: object | None = None,
    *,
    update_id: str | None = None,
    result_type: type[T],
) -> T:
    """Execute an update; a refusal becomes 403/404/409/422 with the workflow's own reason."""
    args = [] if arg is None else [arg]
    try:
        result: T = await handle.execute_update(name, args=args, id=update_id, result_type=result_type)
    except (WorkflowUpdateFailedError, RPCError) as exc:
        raise from_workflow(exc) from exc
    return result
