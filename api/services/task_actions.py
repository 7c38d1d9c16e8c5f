"""Every action on a task besides the decision, as every front sends it: the API routes
(api/routes/tasks.py) and the web task page (web/task_actions.py) call these, so the checks, the
update ids and the Temporal updates are written once. Whether the actor may do it is the workflow's
judgement (wrong role, wrong unit, a signer already on the step: 403/409/422 with the reason)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from activities.process_store import deputy_of
from api.errors import AppError, Forbidden
from api.gateway import send_update
from api.schemas import ProcessStateOut
from api.services.inbox import action_id, actionable, decision_request, decision_update_id, open_task, tasks_to_act_on
from api.services.users import find_actor
from api.visibility import Viewer
from db.models import Task
from domain.approvals import Outcome
from domain.china_time import ChinaTime
from domain.models import AddSignerRequest, ClaimRequest, HandOverKind, HandOverRequest, SignerPosition
from domain.text import StoredText

BULK_MAX, BULK_CONCURRENCY = 100, 10


class TaskActionOut(ProcessStateOut):
    """Where the process stands after the action, with its open tasks and who they wait for."""

    open_task_ids: list[str] = Field(default_factory=list)
    holders: list[str] = Field(default_factory=list)
    due_at: ChinaTime | None = None
    note: str | None = Field(default=None, description="what the action did beyond the asked, e.g. a deputy took it")


class BulkItem(BaseModel):
    task_id: str = Field(min_length=1, max_length=64)
    outcome: Outcome
    comment: StoredText | None = Field(default=None, max_length=2000)


class BulkResult(BaseModel):
    task_id: str
    status: int
    detail: Any | None = None
    process: ProcessStateOut | None = None


def _handle(temporal: Client, task: Task) -> Any:
    return temporal.get_workflow_handle(task.workflow_id, run_id=task.process_id)


async def hand_over(
    session: AsyncSession,
    viewer: Viewer,
    temporal: Client,
    kind: HandOverKind,
    task_id: str,
    to: str,
    comment: str | None,
    key: str | None = None,
) -> TaskActionOut:
    """委托 (delegate: it comes back to me to decide) or 转办 (transfer: it moves for good) to `to`,
    who must hold the step's role; an absent `to`'s deputy takes it, and the answer says so."""
    task = await open_task(session, viewer, task_id)
    target = await find_actor(session, to)
    away = await deputy_of(session, target.username, datetime.now(UTC))
    deputy = await find_actor(session, away) if away else None
    request = HandOverRequest(task_id=task_id, kind=kind, actor=viewer.actor, to=target, comment=comment, deputy=deputy)
    answer = await send_update(
        _handle(temporal, task),
        "hand_over",
        request,
        update_id=action_id(kind.value, task_id, viewer.actor, target.username, key),
        result_type=TaskActionOut,
    )
    if deputy is not None:
        answer.note = f"{target.username} is out of office: the task went to their deputy {deputy.username}"
    return answer


async def add_signer(
    session: AsyncSession,
    viewer: Viewer,
    temporal: Client,
    task_id: str,
    signer: str,
    position: SignerPosition,
    reason: str,
    key: str | None = None,
) -> TaskActionOut:
    """加签: another signer before me (then the task comes back) or after this step; with a reason."""
    task = await open_task(session, viewer, task_id)
    added = await find_actor(session, signer)
    request = AddSignerRequest(task_id=task_id, actor=viewer.actor, signer=added, position=position, reason=reason)
    return await send_update(
        _handle(temporal, task),
        "add_signer",
        request,
        update_id=action_id("add_signer", task_id, viewer.actor, f"{added.username}:{position.value}", key),
        result_type=TaskActionOut,
    )


async def claim(
    session: AsyncSession, viewer: Viewer, temporal: Client, task_id: str, release: bool, key: str | None = None
) -> TaskActionOut:
    """Take a role task for myself (it leaves my colleagues' inboxes), or give it back (release)."""
    task = await open_task(session, viewer, task_id)
    if release and task.claimed_by != viewer.username:
        raise Forbidden(f"task {task_id} is not claimed by {viewer.username}: only its claimer releases it")
    action = "unclaim" if release else "claim"
    return await send_update(
        _handle(temporal, task),
        "claim",
        ClaimRequest(task_id=task_id, actor=viewer.actor, release=release),
        update_id=f"{action}:{task_id}:{viewer.username}:{key or uuid.uuid4().hex}",
        result_type=TaskActionOut,
    )


async def decide_many(
    session: AsyncSession, viewer: Viewer, temporal: Client, items: Sequence[BulkItem]
) -> list[BulkResult]:
    """Bulk decisions, each answered on its own: one refusal never undoes another, and repeating
    the call applies nothing twice (the single decision's update ids)."""
    actor = viewer.actor
    ids = list(dict.fromkeys(item.task_id for item in items))
    tasks, readable = await tasks_to_act_on(session, viewer, ids)
    gate = asyncio.Semaphore(BULK_CONCURRENCY)

    async def one(item: BulkItem) -> BulkResult:
        try:
            task = actionable(item.task_id, tasks.get(item.task_id), item.task_id in readable, viewer)
            async with gate:
                state = await send_update(
                    _handle(temporal, task),
                    "decide",
                    decision_request(task, actor, item.outcome, item.comment),
                    update_id=decision_update_id(item.task_id, actor),
                    result_type=ProcessStateOut,
                )
        except AppError as refused:
            return BulkResult(task_id=item.task_id, status=refused.status_code, detail=refused.detail)
        return BulkResult(task_id=item.task_id, status=200, process=state)

    return list(await asyncio.gather(*(one(item) for item in items)))
