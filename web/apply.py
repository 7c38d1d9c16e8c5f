"""The applicant's pages (issue 23, "Applicants"): file an onboarding (000 §6) with the document
checklist of the list in force today, the credit code checked as it is typed.

Every rule is the API's: the list is read by the service POST /api/v1/onboarding uses, the form is
validated as that route's body (domain.models.OnboardingApplication), filed by the same service
(api/services/onboarding.py), refused by the same role check (api/deps.require_any_role), and the
credit code is checked by GB 32100-2015's check (domain/credit_code.py) the body applies."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import SessionDep, SettingsDep, TemporalDep, require_any_role
from api.errors import AppError, Conflict, Invalid
from api.services.onboarding import checklist_today, file_onboarding
from api.visibility import Viewer
from domain.credit_code import credit_code_problem, normalised
from domain.documents import DocumentType, RequiredDocuments
from domain.models import ONBOARDING_KINDS, OnboardingApplication
from domain.roles import APPLICANT_ROLES
from web.apply_form import (
    CARD_BOUNDS,
    DOCUMENT_BOUNDS,
    FORM_LEVEL,
    application_body,
    invalid_fields,
    refused_fields,
)
from web.i18n import Messages
from web.pages import go, refusal_words
from web.render import messages_for, render, templates
from web.session import Csrf, WebViewer

router = APIRouter(prefix="/apply", include_in_schema=False, default_response_class=HTMLResponse)
applicant = require_any_role(*APPLICANT_ROLES)


def files_applications(viewer: Viewer) -> bool:
    """Whether the header offers the applicant's pages: the API's applicant roles (domain/roles.py)."""
    return any(viewer.actor.has(role) for role in APPLICANT_ROLES)


templates.env.globals["files_applications"] = files_applications


def checklist_rows(required: RequiredDocuments) -> list[DocumentType]:
    """The list's documents, then the delegate's original power of attorney (000 §6 item 9), asked
    of a delegate only: filled in when the card names one."""
    return [*required.documents, DocumentType.power_of_attorney]


async def _form_page(
    request: Request,
    session: AsyncSession,
    m: Messages,
    viewer: Viewer,
    status: int = 200,
    values: dict[str, Any] | None = None,
    errors: dict[str, list[str]] | None = None,
) -> Response:
    required = await checklist_today(session)
    return render(
        request,
        "apply_onboarding.html",
        m,
        status,
        viewer=viewer,
        required=required,
        rows=checklist_rows(required),
        kinds=sorted(kind.value for kind in ONBOARDING_KINDS),
        values=values or {"kind": "allocation_self_sale"},
        errors=errors or {},
        form_level=FORM_LEVEL,
        card_bounds=CARD_BOUNDS,
        document_bounds=DOCUMENT_BOUNDS,
    )


@router.get("/onboarding")
async def onboarding_form(request: Request, viewer: WebViewer, session: SessionDep) -> Response:
    await applicant(viewer.actor)
    return await _form_page(request, session, await messages_for(session, viewer.username), viewer)


@router.get("/credit-code")
async def credit_code_check(
    request: Request,
    viewer: WebViewer,
    session: SessionDep,
    credit_code: Annotated[str, Query(max_length=40)] = "",  # customers.credit_code's bound in the body
) -> Response:
    """The fragment beside the credit code as it is typed: the body's own check (domain/credit_code.py)."""
    m = await messages_for(session, viewer.username)
    code = normalised(credit_code)
    problem = credit_code_problem(code) if code else None
    return render(request, "_apply_credit_code.html", m, code=code, problem=problem)


@router.post("/onboarding", dependencies=[Csrf])
async def file_onboarding_page(
    request: Request,
    viewer: WebViewer,
    session: SessionDep,
    temporal: TemporalDep,
    settings: SettingsDep,
) -> Response:
    """Filed as POST /api/v1/onboarding files it; a refusal re-shows the form as typed, each reason
    beside the field or document it concerns, and nothing is started."""
    await applicant(viewer.actor)
    m = await messages_for(session, viewer.username)
    form = {key: value for key, value in (await request.form()).items() if isinstance(value, str)}
    rows = checklist_rows(await checklist_today(session))
    body, filed = application_body(form, rows)
    try:
        application = OnboardingApplication.model_validate(body)
    except ValidationError as invalid:
        return await _form_page(request, session, m, viewer, 422, form, invalid_fields(invalid, filed))
    try:
        queue = request.app.state.task_queue
        view = await file_onboarding(session, temporal, settings, queue, viewer.actor, application)
    except Invalid as refused:
        problems = refused.detail if isinstance(refused.detail, list) else [str(refused.detail)]
        return await _form_page(request, session, m, viewer, 422, form, refused_fields(problems, rows))
    except AppError as refused:
        where = "credit_code" if isinstance(refused, Conflict) else FORM_LEVEL
        errors = {where: [refusal_words(m, refused)]}
        return await _form_page(request, session, m, viewer, refused.status_code, form, errors)
    return go(request, f"/?tab=mine&after={view.process_id}")
