"""The applicant's pages (issue 23, "Applicants"): file an onboarding (000 §6) with the document
checklist of the list in force today, the credit code checked as it is typed; correct and resubmit
a returned one, the form pre-filled with what was filed, against the list its process pinned.

Every rule is the API's: the list is read by the service POST /api/v1/onboarding uses, the form is
validated as that route's body (domain.models.OnboardingApplication), filed and resubmitted by the
same services (api/services/onboarding.py), refused by the same role check
(api/deps.require_any_role), and the credit code is checked by GB 32100-2015's check
(domain/credit_code.py) the body applies."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import HTMLResponse

from api.deps import SessionDep, SettingsDep, TemporalDep, require_any_role
from api.errors import AppError, Conflict, Invalid
from api.services.onboarding import checklist_today, correction_of, file_onboarding, resubmit_onboarding
from api.visibility import Viewer
from domain.credit_code import credit_code_problem, normalised
from domain.documents import DocumentType, RequiredDocuments, pinned_list
from domain.models import ONBOARDING_KINDS, OnboardingApplication, ProcessView, ResubmitRequest
from domain.roles import APPLICANT_ROLES, Role
from web.apply_flow import Errors, answers, correction_note, file_answers, form_page
from web.apply_form import (
    CARD_BOUNDS,
    CARD_INPUTS,
    DOCUMENT_BOUNDS,
    FORM_LEVEL,
    application_body,
    form_values,
    max_lengths,
    refused_fields,
)
from web.i18n import Messages
from web.pages import refusal_words
from web.render import messages_for, render, templates
from web.session import Csrf, WebViewer

router = APIRouter(prefix="/apply", include_in_schema=False, default_response_class=HTMLResponse)
applicant = require_any_role(*APPLICANT_ROLES)
COMMENT_BOUND = max_lengths(ResubmitRequest, ("comment",))["comment"] or 0
CaseId = Annotated[str, Path(max_length=64)]  # processes.process_id
File = Callable[[OnboardingApplication], Awaitable[ProcessView]]


def holds_any(roles: Iterable[Role]) -> Callable[[Viewer], bool]:
    """Whether the header offers a form: the roles the API lets file it (a refusal is the API's own)."""
    wanted = frozenset(roles)
    return lambda viewer: any(viewer.actor.has(role) for role in wanted)


templates.env.globals["files_applications"] = holds_any(APPLICANT_ROLES)


def checklist_rows(required: RequiredDocuments | None) -> list[DocumentType]:
    """The list's documents, then the delegate's original power of attorney (000 §6 item 9), asked
    of a delegate only: filled in when the card names one."""
    return [*pinned_list(required), DocumentType.power_of_attorney]


def _form_page(
    request: Request,
    m: Messages,
    viewer: Viewer,
    required: RequiredDocuments | None,
    action: str,
    status: int = 200,
    values: dict[str, Any] | None = None,
    errors: Errors | None = None,
) -> Response:
    return form_page(
        request,
        "apply_onboarding.html",
        m,
        viewer,
        status,
        values or {"kind": "allocation_self_sale"},
        errors or {},
        version=required.version if required is not None else None,
        rows=checklist_rows(required),
        kinds=sorted(kind.value for kind in ONBOARDING_KINDS),
        card=CARD_INPUTS,
        card_bounds=CARD_BOUNDS,
        document_bounds=DOCUMENT_BOUNDS,
        action=action,
        correcting=action != "/apply/onboarding",
        comment_bound=COMMENT_BOUND,
    )


async def _filed_from_form(
    request: Request, m: Messages, viewer: Viewer, required: RequiredDocuments | None, file: File
) -> Response:
    """The form as the API's body, handed to `file`; a refusal re-shows the form as typed, each
    reason beside the field or document it concerns, and nothing is started or changed."""
    form = await answers(request)
    rows = checklist_rows(required)
    body, filed = application_body(form, rows)

    def show(status: int, errors: Errors) -> Response:
        return _form_page(request, m, viewer, required, request.url.path, status, form, errors)

    def beside(refused: AppError) -> Errors:
        """000 §6's shortfalls beside their documents; a second onboarding beside the credit code."""
        if isinstance(refused, Invalid):
            return refused_fields(refused.detail, rows)
        return {"credit_code" if isinstance(refused, Conflict) else FORM_LEVEL: [refusal_words(m, refused)]}

    return await file_answers(request, m, OnboardingApplication, body, [t.value for t in filed], show, file, beside)


@router.get("/onboarding")
async def onboarding_form(request: Request, viewer: WebViewer, session: SessionDep) -> Response:
    await applicant(viewer.actor)
    m = await messages_for(session, viewer.username)
    return _form_page(request, m, viewer, await checklist_today(session), "/apply/onboarding")


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
    request: Request, viewer: WebViewer, session: SessionDep, temporal: TemporalDep, settings: SettingsDep
) -> Response:
    """Filed as POST /api/v1/onboarding files it."""
    await applicant(viewer.actor)
    m = await messages_for(session, viewer.username)
    queue = request.app.state.task_queue

    async def file(application: OnboardingApplication) -> ProcessView:
        return await file_onboarding(session, temporal, settings, queue, viewer.actor, application)

    return await _filed_from_form(request, m, viewer, await checklist_today(session), file)


@router.get("/onboarding/{process_id}/resubmit")
async def correction_form(
    process_id: CaseId, request: Request, viewer: WebViewer, session: SessionDep, temporal: TemporalDep
) -> Response:
    """The returned application as last filed, to correct: 404 unless the viewer may read the case,
    403 unless they filed it (the API's resubmission rule)."""
    m = await messages_for(session, viewer.username)
    filed, required = await correction_of(session, temporal, viewer.actor, process_id)
    return _form_page(request, m, viewer, required, request.url.path, values=form_values(filed))


@router.post("/onboarding/{process_id}/resubmit", dependencies=[Csrf])
async def resubmit_page(
    process_id: CaseId, request: Request, viewer: WebViewer, session: SessionDep, temporal: TemporalDep
) -> Response:
    """Resubmitted as POST /api/v1/onboarding/{id}/resubmit resubmits it; the chain restarts."""
    m = await messages_for(session, viewer.username)
    _, required = await correction_of(session, temporal, viewer.actor, process_id)
    form = await answers(request)
    note, errors = correction_note(m, form, COMMENT_BOUND)
    if errors:
        return _form_page(request, m, viewer, required, request.url.path, 422, form, errors)

    async def file(application: OnboardingApplication) -> ProcessView:
        return await resubmit_onboarding(session, temporal, viewer.actor, process_id, application, note)

    return await _filed_from_form(request, m, viewer, required, file)
