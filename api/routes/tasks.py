"""The inbox: my open tasks page by page, and every action on a task (decide, hand over, add a
signer, claim), one at a time or up to 100 decisions in one call."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Header, Query
from pydantic import BaseModel, Field

from api.deps import SessionDep, SettingsDep, TemporalDep
from api.schemas import InboxOut, ProcessStateOut, TaskOut
from api.services import task_actions as actions
from api.services.decisions import decide_task
from api.services.inbox import (
    PAGE_DEFAULT,
    PAGE_MAX,
    InboxQuery,
    InboxSort,
    in_office_time,
    inbox_page,
)
from api.services.task_actions import BULK_MAX, BulkItem, BulkResult, TaskActionOut
from api.visibility import CurrentViewer, get_task
from db.models import Task
from domain.approvals import Outcome
from domain.examples import examples
from domain.models import HandOverKind, SignerPosition
from domain.text import StoredText, Username

router = APIRouter(prefix="/tasks", tags=["tasks"])

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


class BulkDecisionIn(BaseModel):
    model_config = examples(
        {"decisions": [{"task_id": "3f1c9a52-6a0e-4f0b-9d6b-2b1e7c4d8a10", "outcome": "approve", "comment": "同意"}]}
    )

    decisions: list[BulkItem] = Field(min_length=1, max_length=BULK_MAX)


class BulkOut(BaseModel):
    results: list[BulkResult]


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
    return BulkOut(results=await actions.decide_many(session, viewer, temporal, body.decisions))


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
    return await actions.hand_over(
        session, viewer, temporal, HandOverKind.delegate, task_id, body.to, body.comment, idempotency_key
    )


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
    return await actions.hand_over(
        session, viewer, temporal, HandOverKind.transfer, task_id, body.to, body.comment, idempotency_key
    )


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
    return await actions.add_signer(
        session, viewer, temporal, task_id, body.signer, body.position, body.reason, idempotency_key
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
    return await actions.claim(session, viewer, temporal, task_id, False, idempotency_key)


@router.post("/{task_id}/unclaim", response_model=TaskActionOut)
async def unclaim(
    task_id: str,
    viewer: CurrentViewer,
    session: SessionDep,
    temporal: TemporalDep,
    idempotency_key: IdempotencyKey = None,
) -> TaskActionOut:
    """Give a claimed task back to every holder of its role."""
    return await actions.claim(session, viewer, temporal, task_id, True, idempotency_key)
