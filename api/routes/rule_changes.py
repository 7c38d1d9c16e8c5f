"""Who sets the rules (issue 20 item 7): drafting a change of the credit policy (001 信用管理措施
§1-§2) or of the grading rule (001 §1). The draft starts a rule-change process on the approval
engine: the business VP reviews, the general manager approves (`POST /tasks/{id}/decision`), and
only the approval writes the new version (domain/rule_change.py, workflows/rule_change.py)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, status
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from activities.rule_store import TABLES, step_deadlines_in_force
from api.deps import CurrentActor, SessionDep, TemporalDep, require_any_role
from api.errors import Invalid, NotFound
from api.idempotency import idempotent
from api.params import Offset
from api.schemas import ProcessStateOut
from api.starts import start_process
from db.models import Process
from domain.china_time import CHINA, ChinaTime
from domain.models import Actor
from domain.rule_change import (
    DRAFTERS,
    PROCESS_TYPE,
    ChangeStatus,
    RuleChangeIn,
    RuleChangeInput,
    RuleChangeView,
    RuleKind,
    change_status,
    draft_refusal,
    rule_change_subject,
    rule_change_workflow_id,
    rule_of,
)
from domain.step_deadlines import StepTiming, undeclared

router = APIRouter(tags=["rules"])
Drafter = Depends(require_any_role(*DRAFTERS))


class RuleChangeOut(ProcessStateOut, RuleChangeView):
    """The change's process (its VP task open), the rule it changes, and the version once approved."""


@router.post("/rule-changes", status_code=status.HTTP_201_CREATED, response_model=RuleChangeOut)
@idempotent
async def draft_rule_change(
    body: RuleChangeIn, request: Request, temporal: TemporalDep, actor: Actor = Drafter
) -> RuleChangeOut:
    """Draft a new version of a rule (`rule`: `credit_policy` | `grading_rule` | `onboarding_documents` |
    `step_deadlines`, `payload`: that rule's own model, with its `effective_from` and `reason`). Nothing
    changes until the business VP and then the general manager approve; the version is in force from
    its date, or from the day of approval if that date has passed. The drafter cannot sit on their own
    change (403)."""
    refusal = draft_refusal(body, datetime.now(CHINA).date())
    if refusal is not None:
        raise Invalid([refusal])
    return await start_process(
        temporal,
        "RuleChange",
        RuleChangeInput(change=body, subject=rule_change_subject(body, actor.username), applicant=actor),
        workflow_id=rule_change_workflow_id(body.rule, uuid.uuid4().hex[:12]),
        task_queue=request.app.state.task_queue,
        result_type=RuleChangeOut,
    )


class RuleChangeItem(BaseModel):
    """One change: drafted (under review), approved (waiting for its date), effective, or not."""

    process_id: str
    rule: RuleKind | None
    status: ChangeStatus
    current_step: str | None
    drafted_by: str
    drafted_at: ChinaTime
    version: int | None = None
    effective_from: date | None = None


async def _versions(session: AsyncSession, process_ids: list[str]) -> dict[str, tuple[int, date]]:
    """The version rows the listed changes wrote, by process."""
    found: dict[str, tuple[int, date]] = {}
    for table in TABLES.values():
        query = select(table.process_id, table.version, table.effective_from).where(table.process_id.in_(process_ids))
        found |= {pid: (version, day) for pid, version, day in await session.execute(query) if pid is not None}
    return found


@router.get("/rule-changes", response_model=list[RuleChangeItem])
async def list_rule_changes(
    session: SessionDep,
    actor: CurrentActor,
    rule: Annotated[RuleKind | None, Query(description="only changes of this rule")] = None,
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[RuleChangeItem]:
    """Every change of the company's rules, newest first, with where it stands: the rules are read by
    everyone (`GET /credit/policy`, `GET /grading/config`), and so is how they came to be."""
    query: Any = select(Process).where(Process.process_type == PROCESS_TYPE)
    if rule is not None:
        query = query.where(Process.workflow_id.like(rule_change_workflow_id(rule, "%")))
    rows = list(await session.scalars(query.order_by(Process.started_at.desc()).offset(offset).limit(limit)))
    versions = await _versions(session, [row.process_id for row in rows])
    today = datetime.now(CHINA).date()
    items = []
    for row in rows:
        version, effective = versions.get(row.process_id, (None, None))
        items.append(
            RuleChangeItem(
                process_id=row.process_id,
                rule=rule_of(row.workflow_id),
                status=change_status(row.status, effective, today),
                current_step=row.current_step,
                drafted_by=row.applicant,
                drafted_at=row.started_at,
                version=version,
                effective_from=effective,
            )
        )
    return items


class StepDeadlinesOut(BaseModel):
    """The step deadlines a process of `process_type` started on `on` runs under (issue 21 §3)."""

    process_type: str
    on: date
    version: int | None = Field(description="None: no version yet, the chain as declared and configured")
    effective_from: date | None = None
    steps: dict[str, StepTiming] = Field(
        default_factory=dict, description="the steps the version times; the others as declared"
    )


@router.get("/step-deadlines/{process_type}", response_model=StepDeadlinesOut)
async def read_step_deadlines(
    session: SessionDep,
    actor: CurrentActor,
    process_type: Annotated[str, Path(max_length=40)],
    on: Annotated[date | None, Query(description="the China day whose version is wanted; default today")] = None,
) -> StepDeadlinesOut:
    """The version of a declared chain's step deadlines in force on `on` (changed through
    `POST /rule-changes`, `rule: step_deadlines`); read by everyone, like the other rules. 404 for a
    process type no declared chain has, or whose processes never apply a version (000 §16)."""
    problem = undeclared(process_type, ())
    if problem is not None:
        raise NotFound(problem)
    day = on or datetime.now(CHINA).date()
    version = await step_deadlines_in_force(session, process_type, day)
    if version is None:
        return StepDeadlinesOut(process_type=process_type, on=day, version=None)
    return StepDeadlinesOut(
        process_type=process_type,
        on=day,
        version=version.version,
        effective_from=version.effective_from,
        steps=version.steps,
    )
