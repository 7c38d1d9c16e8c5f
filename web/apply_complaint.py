"""The complaint form (issue 23, "Applicants"; 000 §16): anyone who meets customers registers a
complaint, through the service POST /api/v1/complaints uses (api/services/complaint_filing.py) —
the same roles, the same body (ComplaintIn), the same checks; each refusal beside its field."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from api.deps import SessionDep, SettingsDep, TemporalDep, require_any_role
from api.errors import AppError
from api.services.complaint_filing import CUSTOMER_FACING, ComplaintIn, register_complaint
from api.visibility import Viewer
from domain.complaints import Category, Channel, Severity
from web.apply import holds_any
from web.apply_form import FORM_LEVEL, filled, invalid_fields, max_lengths
from web.i18n import Messages
from web.pages import go, refusal_words
from web.render import messages_for, render, templates
from web.session import Csrf, WebViewer

router = APIRouter(prefix="/apply", include_in_schema=False, default_response_class=HTMLResponse)
registrar = require_any_role(*CUSTOMER_FACING)
CHOICES = {"channel": list(Channel), "category": list(Category), "severity": list(Severity)}
TEXTS = ("customer_name", "description", "customer_request", "contact")
BOUNDS = max_lengths(ComplaintIn, TEXTS)
templates.env.globals["registers_complaints"] = holds_any(CUSTOMER_FACING)


def _complaint_page(
    request: Request,
    m: Messages,
    viewer: Viewer,
    status: int = 200,
    values: dict[str, Any] | None = None,
    errors: dict[str, list[str]] | None = None,
) -> Response:
    return render(
        request,
        "apply_complaint.html",
        m,
        status,
        viewer=viewer,
        choices=CHOICES,
        texts=TEXTS,
        bounds=BOUNDS,
        values=values or {},
        errors=errors or {},
        form_level=FORM_LEVEL,
    )


@router.get("/complaint")
async def complaint_form(request: Request, viewer: WebViewer, session: SessionDep) -> Response:
    await registrar(viewer.actor)
    return _complaint_page(request, await messages_for(session, viewer.username), viewer)


@router.post("/complaint", dependencies=[Csrf])
async def register_complaint_page(
    request: Request, viewer: WebViewer, session: SessionDep, temporal: TemporalDep, settings: SettingsDep
) -> Response:
    """Registered as POST /api/v1/complaints registers it; a refusal re-shows the form as typed."""
    await registrar(viewer.actor)
    m = await messages_for(session, viewer.username)
    form = {key: value for key, value in (await request.form()).items() if isinstance(value, str)}
    answers = filled(form, (*TEXTS, *CHOICES))
    try:
        body = ComplaintIn.model_validate(answers)
    except ValidationError as invalid:
        return _complaint_page(request, m, viewer, 422, form, invalid_fields(invalid, []))
    try:
        view = await register_complaint(session, temporal, settings, request.app.state.task_queue, viewer.actor, body)
    except AppError as refused:
        return _complaint_page(request, m, viewer, refused.status_code, form, {FORM_LEVEL: [refusal_words(m, refused)]})
    return go(request, f"/?tab=mine&after={view.process_id}")
