"""P1 onboarding (000 §6): file an application, resubmit a returned one (api/services/onboarding.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status

from api.deps import CurrentActor, SessionDep, SettingsDep, TemporalDep, require_any_role
from api.idempotency import idempotent
from api.schemas import ProcessStateOut
from api.services import onboarding
from domain.models import Actor, OnboardingApplication
from domain.roles import APPLICANT_ROLES

router = APIRouter(prefix="/onboarding", tags=["onboarding"])
Applicant = Depends(require_any_role(*APPLICANT_ROLES))


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ProcessStateOut)
@idempotent
async def submit_onboarding(
    application: OnboardingApplication,
    request: Request,
    session: SessionDep,
    temporal: TemporalDep,
    settings: SettingsDep,
    actor: Actor = Applicant,
) -> ProcessStateOut:
    """A sales clerk files the customer's archive data and the documents of the list in force today
    (000 §6, §10); the process checks them against that version to its end (新老划断)."""
    task_queue = request.app.state.task_queue
    view = await onboarding.file_onboarding(session, temporal, settings, task_queue, actor, application)
    return ProcessStateOut.model_validate(view.model_dump())


@router.post("/{process_id}/resubmit", response_model=ProcessStateOut)
async def resubmit_onboarding(
    process_id: str,
    application: OnboardingApplication,
    session: SessionDep,
    temporal: TemporalDep,
    actor: CurrentActor,
    comment: Annotated[str | None, Query(max_length=2000, description="why it was corrected")] = None,
) -> ProcessStateOut:
    """The applicant corrects a returned application against the list its process pinned at its
    start; the chain restarts at marketing review."""
    view = await onboarding.resubmit_onboarding(session, temporal, actor, process_id, application, comment)
    return ProcessStateOut.model_validate(view.model_dump())
