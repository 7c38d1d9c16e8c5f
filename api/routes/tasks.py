"""The inbox: my open tasks page by page, and every action on a task (decide, hand over, add a
signer, claim), one at a time or up to 100 decisions in one call."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from activities.process_store import deputy_of
from api.deps import SessionDep, SettingsDep, TemporalDep
from api.errors import AppError, Forbidden
from api.gateway import send_update
from api.routes.users import find_actor
from api.schemas import InboxOut, ProcessStateOut, TaskOut
from api.services.decisions import decide_task
from api.services.inbox import (
    PAGE_DEFAULT,
    PAGE_MAX,
    InboxQuery,
    InboxSort,
    action_id,
    actionable,
    decision_request,
    decision_update_id,
    in_office_time,
    inbox_page,
    open_task,
    tasks_to_act_on,
)
from api.visibility import CurrentViewer, Viewer, get_task
from db.models import Task
from domain.approvals import Outcome
from domain.china_time import ChinaTime
from domain.examples import examples
from domain.models import (
    AddSignerRequest,
    ClaimRequest,
    HandOverKind,
    HandOverRequest,
    SignerPosition,
)
from domain.text import StoredText, Username

router = APIRouter(prefix="/tasks", tags=["tasks"])

BULK_MAX, BULK_CONCURRENCY = 100, 10
IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", max_length=100, description="repeat a request with the same key: applied once"),
]


@router.get("", response_model=InboxOut)
async def my_tasks(
    viewer: CurrentViewer,
    session: SessionDep,
    settings: SettingsDep,
    process_type: str | None = None,
    process_id: Annotated[str | None, Query(description="only my tasks of this process")] = None,
    step: str | None = None,
    overdue: bool | None = None,
    due_before: Annotated[
        datetime | None, Query(description="ISO datetime; without a zone it is taken as office time")
    ] = None,
    unit: str | None = None,
    q: Annotated[str | None, Query(max_length=200, description="part of the subject")] = None,
    sort: Annotated[InboxSort, Query(description="due (soonest first, none last), age (oldest first), -age")] = (
        InboxSort.due
    ),
    limit: Annotated[int, Query(ge=1, le=PAGE_MAX)] = PAGE_DEFAULT,
    cursor: Annotated[str | None, Query(max_length=4000, description="next_cursor of the previous page")] = None,
) -> InboxOut:
    """My open tasks: named for me, claimed by me, or for a role I hold in my unit (000 §5)."""
    due_before = in_office_time(due_before, settings.office_hours().timezone)
    query = InboxQuery(process_type, process_id, step, overdue, due_before, unit, q, sort, limit, cursor)
    page = await inbox_page(session, viewer, query)
    return InboxOut(
        items=[TaskOut.model_validate(task) for task in page.items], next_cursor=page.next_cursor, counts=page.counts
    )


@router.get("/{task_id}", response_model=TaskOut)
async def read_task(task_id: str, viewer: CurrentViewer, session: SessionDep) -> Task:
    """A task that is mine, or of a process I may read; 404 otherwise."""
    return await get_task(session, viewer, task_id)


# --- acting on a task --------------------------------------------------------------------------


class DecisionIn(BaseModel):
    model_config = examples({"outcome": "approve", "comment": "资质文件齐全, 同意准入", "cc": ["marketing_manager"]})

    outcome: Outcome
    comment: StoredText | None = Field(default=None, max_length=2000)
    return_to: StoredText | None = Field(
        default=None, max_length=60, description="with outcome return: an earlier step's key; null: to the applicant"
    )
    cc: list[Username] = Field(
        default_factory=list, max_length=20, description="usernames copied on the decision (抄送)"
    )


class HandOverIn(BaseModel):
    model_config = examples({"to": "marketing_manager", "comment": "出差期间请代为审核"})

    to: Username = Field(description="username")
    comment: StoredText | None = Field(default=None, max_length=2000)


class AddSignerIn(BaseModel):
    model_config = examples({"signer": "legal_reviewer", "position": "before", "reason": "合同条款需法务部门先行审核"})

    signer: Username = Field(description="username")
    position: SignerPosition
    reason: StoredText = Field(min_length=1, max_length=2000)


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


class BulkDecisionIn(BaseModel):
    model_config = examples(
        {"decisions": [{"task_id": "3f1c9a52-6a0e-4f0b-9d6b-2b1e7c4d8a10", "outcome": "approve", "comment": "同意"}]}
    )

    decisions: list[BulkItem] = Field(min_length=1, max_length=BULK_MAX)


class BulkResult(BaseModel):
    task_id: str
    status: int
    detail: Any | None = None
    process: ProcessStateOut | None = None


class BulkOut(BaseModel):
    results: list[BulkResult]


def _handle(temporal: Client, task: Task) -> Any:
    return temporal.get_workflow_handle(task.workflow_id, run_id=task.process_id)


@router.post("/{task_id}/decision", response_model=ProcessStateOut)
async def decide(
    task_id: str, decision: DecisionIn, viewer: CurrentViewer, session: SessionDep, temporal: TemporalDep
) -> ProcessStateOut:
    """Approve, reject (ends the process) or return (to the applicant, or with `return_to` to an
    earlier step); reasons required but for approve; `cc` copies users on the decision.

    The update id derives from the task and the approver, so a double click is applied once;
    a second approver racing on the same task is refused by the workflow with 409.
    """
    return await decide_task(
        session, viewer, temporal, task_id, decision.outcome, decision.comment, decision.return_to, decision.cc
    )


@router.post("/decisions", response_model=BulkOut)
async def decide_many(
    body: BulkDecisionIn, viewer: CurrentViewer, session: SessionDep, temporal: TemporalDep
) -> BulkOut:
    """Up to 100 decisions in one call (bulk approve), each answered on its own: one refusal
    never undoes another, and repeating the call applies nothing twice (same update ids as the
    single decision)."""
    actor = viewer.actor
    ids = list(dict.fromkeys(item.task_id for item in body.decisions))
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

    return BulkOut(results=list(await asyncio.gather(*(one(item) for item in body.decisions))))


async def _hand_over(
    kind: HandOverKind,
    task_id: str,
    body: HandOverIn,
    viewer: Viewer,
    session: AsyncSession,
    temporal: Client,
    key: str | None,
) -> TaskActionOut:
    task = await open_task(session, viewer, task_id)
    target = await find_actor(session, body.to)
    away = await deputy_of(session, target.username, datetime.now(UTC))
    deputy = await find_actor(session, away) if away else None
    request = HandOverRequest(
        task_id=task_id, kind=kind, actor=viewer.actor, to=target, comment=body.comment, deputy=deputy
    )
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


@router.post("/{task_id}/delegate", response_model=TaskActionOut)
async def delegate(
    task_id: str,
    body: HandOverIn,
    viewer: CurrentViewer,
    session: SessionDep,
    temporal: TemporalDep,
    idempotency_key: IdempotencyKey = None,
) -> TaskActionOut:
    """委托: the task goes to `to` (who must hold the step's role) and comes back to me to decide."""
    return await _hand_over(HandOverKind.delegate, task_id, body, viewer, session, temporal, idempotency_key)


@router.post("/{task_id}/transfer", response_model=TaskActionOut)
async def transfer(
    task_id: str,
    body: HandOverIn,
    viewer: CurrentViewer,
    session: SessionDep,
    temporal: TemporalDep,
    idempotency_key: IdempotencyKey = None,
) -> TaskActionOut:
    """转办: the task moves to `to` (who must hold the step's role) for good."""
    return await _hand_over(HandOverKind.transfer, task_id, body, viewer, session, temporal, idempotency_key)


@router.post("/{task_id}/add-signer", response_model=TaskActionOut)
async def add_signer(
    task_id: str,
    body: AddSignerIn,
    viewer: CurrentViewer,
    session: SessionDep,
    temporal: TemporalDep,
    idempotency_key: IdempotencyKey = None,
) -> TaskActionOut:
    """加签: another signer before me (then the task comes back) or after this step; with a reason."""
    task = await open_task(session, viewer, task_id)
    signer = await find_actor(session, body.signer)
    request = AddSignerRequest(
        task_id=task_id, actor=viewer.actor, signer=signer, position=body.position, reason=body.reason
    )
    target = f"{signer.username}:{body.position.value}"
    return await send_update(
        _handle(temporal, task),
        "add_signer",
        request,
        update_id=action_id("add_signer", task_id, viewer.actor, target, idempotency_key),
        result_type=TaskActionOut,
    )


async def _claim(
    task_id: str, release: bool, viewer: Viewer, session: AsyncSession, temporal: Client, key: str | None
) -> TaskActionOut:
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


@router.post("/{task_id}/claim", response_model=TaskActionOut)
async def claim(
    task_id: str,
    viewer: CurrentViewer,
    session: SessionDep,
    temporal: TemporalDep,
    idempotency_key: IdempotencyKey = None,
) -> TaskActionOut:
    """Take a role task for myself: it leaves my colleagues' inboxes until I unclaim or decide it."""
    return await _claim(task_id, False, viewer, session, temporal, idempotency_key)


@router.post("/{task_id}/unclaim", response_model=TaskActionOut)
async def unclaim(
    task_id: str,
    viewer: CurrentViewer,
    session: SessionDep,
    temporal: TemporalDep,
    idempotency_key: IdempotencyKey = None,
) -> TaskActionOut:
    """Give a claimed task back to every holder of its role."""
    return await _claim(task_id, True, viewer, session, temporal, idempotency_key)
