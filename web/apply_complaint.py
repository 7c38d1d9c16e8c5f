"""The complaint form (issue 23, "Applicants"; 000 §16): anyone who meets customers registers a
complaint, through the service POST /api/v1/complaints uses (api/services/complaint_filing.py) —
the same roles, the same body (ComplaintIn), the same checks; each refusal beside its field."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from api.deps import SessionDep, SettingsDep, TemporalDep, require_any_role
from api.services.complaint_filing import CUSTOMER_FACING, ComplaintIn, register_complaint
from domain.complaint_models import ComplaintView
from domain.complaints import Category, Channel, Severity
from web.apply import holds_any
from web.apply_flow import Errors, answers, file_answers, page_of
from web.apply_form import filled, max_lengths
from web.render import messages_for, templates
from web.session import Csrf, WebViewer

router = APIRouter(prefix="/apply", include_in_schema=False, default_response_class=HTMLResponse)
registrar = require_any_role(*CUSTOMER_FACING)
CHOICES = {"channel": list(Channel), "category": list(Category), "severity": list(Severity)}
TEXTS = ("customer_name", "description", "customer_request", "contact")
BOUNDS = max_lengths(ComplaintIn, TEXTS)
templates.env.globals["registers_complaints"] = holds_any(CUSTOMER_FACING)


_complaint_page = page_of("apply_complaint.html", choices=CHOICES, texts=TEXTS, bounds=BOUNDS)


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
    form = await answers(request)
    queue = request.app.state.task_queue

    def show(status: int, errors: Errors) -> Response:
        return _complaint_page(request, m, viewer, status, form, errors)

    async def file(body: ComplaintIn) -> ComplaintView:
        return await register_complaint(session, temporal, settings, queue, viewer.actor, body)

    return await file_answers(request, m, ComplaintIn, dict(filled(form, (*TEXTS, *CHOICES))), [], show, file)
