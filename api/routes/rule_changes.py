"""Who sets the rules (issue 20 item 7): drafting a change of the credit policy (001 信用管理措施
§1-§2) or of the grading rule (001 §1). The draft starts a rule-change process on the approval
engine: the business VP reviews, the general manager approves (`POST /tasks/{id}/decision`), and
only the approval writes the new version (domain/rule_change.py, workflows/rule_change.py)."""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request, status

from api.deps import TemporalDep, require_any_role
from api.errors import Invalid
from api.idempotency import idempotent
from api.schemas import ProcessStateOut
from api.starts import start_process
from domain.models import Actor
from domain.rule_change import (
    DRAFTERS,
    RuleChangeIn,
    RuleChangeInput,
    RuleChangeView,
    draft_refusal,
    rule_change_subject,
    rule_change_workflow_id,
)

router = APIRouter(tags=["rules"])
CHINA = ZoneInfo("Asia/Shanghai")
Drafter = Depends(require_any_role(*DRAFTERS))


class RuleChangeOut(ProcessStateOut, RuleChangeView):
    """The change's process (its VP task open), the rule it changes, and the version once approved."""


@router.post("/rule-changes", status_code=status.HTTP_201_CREATED, response_model=RuleChangeOut)
@idempotent
async def draft_rule_change(
    body: RuleChangeIn, request: Request, temporal: TemporalDep, actor: Actor = Drafter
) -> RuleChangeOut:
    """Draft a new version of a rule (`rule`: `credit_policy` | `grading_rule`, `payload`: that rule's
    own model, with its `effective_from` and `reason`). Nothing changes until the business VP and
    then the general manager approve; the version is in force from its date, or from the day of
    approval if that date has passed. The drafter cannot sit on their own change (403)."""
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
