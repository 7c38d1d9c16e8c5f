"""P9 market development (000 §5 (一)6, §12, §15): the quarterly big-customer meetings and their
minutes, the monthly development plan with its targets and month-end results, and the monthly
research notes. The work is done by api/services/development.py and api/services/meetings.py."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status

from api.deps import CurrentActor, SessionDep, SettingsDep, TemporalDep, require_any_role
from api.idempotency import idempotent
from api.params import RowId
from api.schemas import ProcessStateOut
from api.services import development, meetings
from api.services.development import NoteOut, PlanOut, StartedOut
from api.services.meetings import MeetingDetailOut, MeetingOut
from domain.development import DEVELOPMENT_DESK, DevelopmentPlanIn, MinutesIn, ResearchNoteIn, ResultsIn
from domain.models import Actor
from domain.roles import APPLICANT_ROLES
from domain.visits import MONTH_PATTERN

router = APIRouter(tags=["development"])
Desk = Depends(require_any_role(*DEVELOPMENT_DESK))
Salesperson = Depends(require_any_role(*APPLICANT_ROLES))
MonthQuery = Annotated[str | None, Query(pattern=MONTH_PATTERN, description="YYYY-MM")]


# --- the quarterly big-customer meeting (000 §15, §5 (一)6) ----------------------------------------


@router.get("/big-customer-meetings", response_model=list[MeetingOut])
async def list_meetings(session: SessionDep, actor: CurrentActor) -> list[MeetingOut]:
    """The quarterly big-customer meetings (000 §15), newest first: for the marketing department,
    the leaders and oversight (000 §5 (一)6); nobody else sees any."""
    return await meetings.list_meetings(session, actor)


@router.get("/big-customer-meetings/{meeting_id}", response_model=MeetingDetailOut)
async def get_meeting(meeting_id: RowId, session: SessionDep, actor: CurrentActor) -> MeetingDetailOut:
    """A meeting with its minutes and attendees; while open, the A and B customers as suggested
    invitees (grade drives treatment, P6)."""
    return await meetings.meeting_detail(session, actor, meeting_id)


@router.post("/big-customer-meetings/{meeting_id}/minutes", response_model=ProcessStateOut)
async def record_minutes(
    meeting_id: RowId, body: MinutesIn, session: SessionDep, temporal: TemporalDep, actor: CurrentActor
) -> ProcessStateOut:
    """The meeting's minutes and attendees (000 §15): they close the marketing manager's task."""
    return await meetings.record_minutes(session, temporal, actor, meeting_id, body)


# --- the monthly development plan (000 §12) --------------------------------------------------------


@router.post("/development-plans", status_code=status.HTTP_201_CREATED, response_model=StartedOut)
@idempotent
async def submit_development_plan(
    body: DevelopmentPlanIn, request: Request, session: SessionDep, temporal: TemporalDep, actor: Actor = Desk
) -> StartedOut:
    """Next month's development plan (000 §12): drafted by the marketing department, approved by its
    manager before the month starts (the manager's own plan by the business VP)."""
    return await development.submit_plan(session, temporal, request.app.state.task_queue, actor, body)


@router.get("/development-plans", response_model=list[PlanOut])
async def list_development_plans(session: SessionDep, actor: CurrentActor, month: MonthQuery = None) -> list[PlanOut]:
    """The development plans the user may read (000 §12), newest first."""
    return await development.list_plans(session, actor, month)


@router.get("/development-plans/{plan_id}", response_model=PlanOut)
async def get_development_plan(plan_id: RowId, session: SessionDep, actor: CurrentActor) -> PlanOut:
    return await development.get_plan(session, actor, plan_id)


@router.post("/development-plans/{plan_id}/results", response_model=PlanOut)
async def record_results(plan_id: RowId, body: ResultsIn, session: SessionDep, actor: CurrentActor) -> PlanOut:
    """月底考核兑现 (000 §12): the marketing department records each target's actual figure once the
    month has begun; a later call corrects it (the last assessment stands, with who and when)."""
    return await development.record_results(session, actor, plan_id, body)


# --- the monthly research notes (000 §15, §12) -----------------------------------------------------


@router.post("/research-notes", status_code=status.HTTP_201_CREATED, response_model=StartedOut)
@idempotent
async def submit_research_notes(
    body: ResearchNoteIn,
    request: Request,
    session: SessionDep,
    temporal: TemporalDep,
    settings: SettingsDep,
    actor: Actor = Salesperson,
) -> StartedOut:
    """A month's research notes (000 §15 一般每月开展客户调研), for the marketing manager's approval
    within `research_note_working_days` (assumption 3)."""
    task_queue, working_days = request.app.state.task_queue, settings.research_note_working_days
    return await development.submit_note(session, temporal, task_queue, actor, body, working_days)


@router.get("/research-notes", response_model=list[NoteOut])
async def list_research_notes(session: SessionDep, actor: CurrentActor, month: MonthQuery = None) -> list[NoteOut]:
    """The research notes the user may read (000 §15), newest first."""
    return await development.list_notes(session, actor, month)


@router.get("/research-notes/{note_id}", response_model=NoteOut)
async def get_research_notes(note_id: RowId, session: SessionDep, actor: CurrentActor) -> NoteOut:
    return await development.get_note(session, actor, note_id)
