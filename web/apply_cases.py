"""An applicant's case (issue 23, "Applicants"): where it stands and who holds it, its history,
and what the applicant does to it — withdraw, urge, correct and resubmit a returned onboarding or
credit application.

Read through api/visibility (a case the viewer may not read is the 404 page), acted on through the
services the API's routes call (api/services/process_actions.py); who may withdraw or urge is the
workflow's own check, its refusal shown in words beside the form."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from api.deps import SessionDep, TemporalDep
from api.errors import AppError
from api.schemas import ProcessStateOut
from api.services.process_actions import urge_process, withdraw_process
from api.visibility import Viewer, get_process
from domain.approvals import ONBOARDING_CHAIN
from domain.credit_application import APPLICATION_PROCESS
from domain.models import ProcessStatus
from domain.text import StoredText
from web.apply import CaseId
from web.forms import CsrfField
from web.i18n import Messages
from web.pages import case_context, go, refusal_words
from web.render import messages_for, render
from web.session import Csrf, WebViewer

# The page that corrects a returned case, by its process type (web/apply.py, web/apply_credit.py).
CORRECTION_FORMS = {
    ONBOARDING_CHAIN.process_type: "/apply/onboarding/{}/resubmit",
    APPLICATION_PROCESS: "/apply/credit/{}/resubmit",
}
router = APIRouter(prefix="/apply/cases", include_in_schema=False, default_response_class=HTMLResponse)


class WithdrawForm(BaseModel):
    """As POST /api/v1/processes/{id}/withdraw's body (api/routes/processes.py WithdrawIn)."""

    reason: StoredText = Field(min_length=1, max_length=2000)
    csrf_token: str = CsrfField


class UrgeForm(BaseModel):
    """As POST /api/v1/processes/{id}/urge's body (api/routes/processes.py UrgeIn)."""

    comment: StoredText | None = Field(default=None, max_length=500)
    csrf_token: str = CsrfField


async def _case_page(
    request: Request,
    session: AsyncSession,
    temporal: Client,
    viewer: Viewer,
    m: Messages,
    process_id: str,
    status: int = 200,
    errors: dict[str, str] | None = None,
) -> Response:
    """The case, 404 (api/visibility) unless the viewer may read it; its actions when they filed it."""
    process = await get_process(session, viewer, process_id)
    context = await case_context(session, temporal, viewer, process)
    own = process.applicant == viewer.username and ProcessStatus(process.status).is_open
    form = CORRECTION_FORMS.get(process.process_type)
    correctable = form.format(process.process_id) if own and form and process.status == ProcessStatus.returned else None
    return render(
        request, "apply_case.html", m, status, own=own, correctable=correctable, errors=errors or {}, **context
    )


@router.get("/{process_id}")
async def case_page(
    process_id: CaseId, request: Request, viewer: WebViewer, session: SessionDep, temporal: TemporalDep
) -> Response:
    m = await messages_for(session, viewer.username)
    return await _case_page(request, session, temporal, viewer, m, process_id)


async def _acted(
    request: Request,
    session: AsyncSession,
    temporal: Client,
    viewer: Viewer,
    process_id: str,
    action: str,
    act: Callable[[], Awaitable[object]],
) -> Response:
    """The case again after `act`; its refusal in words beside the action's form, nothing changed."""
    m = await messages_for(session, viewer.username)
    try:
        await act()
    except AppError as refused:
        errors = {action: refusal_words(m, refused)}
        return await _case_page(request, session, temporal, viewer, m, process_id, refused.status_code, errors)
    return go(request, f"/apply/cases/{process_id}")


@router.post("/{process_id}/withdraw", dependencies=[Csrf])
async def withdraw(
    process_id: CaseId,
    request: Request,
    form: Annotated[WithdrawForm, Form()],
    viewer: WebViewer,
    session: SessionDep,
    temporal: TemporalDep,
) -> Response:
    act = partial(withdraw_process, session, temporal, viewer, process_id, form.reason)
    return await _acted(request, session, temporal, viewer, process_id, "withdraw", act)


@router.post("/{process_id}/urge", dependencies=[Csrf])
async def urge(
    process_id: CaseId,
    request: Request,
    form: Annotated[UrgeForm, Form()],
    viewer: WebViewer,
    session: SessionDep,
    temporal: TemporalDep,
) -> Response:
    act = partial(urge_process, session, temporal, viewer, process_id, form.comment, None, ProcessStateOut)
    return await _acted(request, session, temporal, viewer, process_id, "urge", act)
