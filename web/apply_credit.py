"""The credit application form (issue 23, "Applicants"; 000 §13, 001 §3): a sales clerk applies for
periodic settlement for a customer, through the service POST /api/v1/credit-applications uses
(api/services/credit_filing.py) — the same role, body (CreditApplicationIn) and checks of 000 §13
and the credit policy in force; each refusal beside its field, nothing started."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from api.deps import SessionDep, TemporalDep
from api.errors import AppError
from api.services.credit_filing import file_credit_application
from api.visibility import Viewer
from domain.credit_application import CreditApplicationIn, CreditPaper, CreditPaperKind, OrganisationNature
from web.apply import applicant
from web.apply_form import FORM_LEVEL, filled, invalid_fields, max_lengths
from web.i18n import Messages
from web.pages import go, refusal_words
from web.render import messages_for, render
from web.session import Csrf, WebViewer

router = APIRouter(prefix="/apply", include_in_schema=False, default_response_class=HTMLResponse)
FIELDS = ("customer_id", "limit", "term_days", "collateral", "reason", "collector", "organisation_nature")
BOUNDS = max_lengths(CreditApplicationIn, ("collateral", "reason", "collector"))
# Each paper 000 §13 asks for, by its kind, with the inputs its row offers.
PAPERS: dict[CreditPaperKind, tuple[str, ...]] = {
    CreditPaperKind.registration: ("title", "number", "issued_on", "valid_until"),
    CreditPaperKind.financial_statement: ("title", "period"),
}
PAPER_BOUNDS = max_lengths(CreditPaper, ("title", "number", "period"))


def credit_body(form: Mapping[str, str]) -> tuple[dict[str, Any], list[str]]:
    """The API body the form describes and the paper kind of each of its `documents`; a paper row
    left empty is a paper not filed (000 §13's check then names it)."""
    body: dict[str, Any] = filled(form, FIELDS)
    papers = []
    for kind, inputs in PAPERS.items():
        given = filled(form, [f"{kind.value}-{name}" for name in inputs])
        row = {name.split("-", 1)[1]: value for name, value in given.items()}
        if row:
            papers.append({"kind": kind.value, **row})
    body["documents"] = papers
    return body, [paper["kind"] for paper in papers]


def _credit_page(
    request: Request,
    m: Messages,
    viewer: Viewer,
    status: int = 200,
    values: dict[str, Any] | None = None,
    errors: dict[str, list[str]] | None = None,
) -> Response:
    return render(
        request,
        "apply_credit.html",
        m,
        status,
        viewer=viewer,
        natures=list(OrganisationNature),
        papers=PAPERS,
        bounds=BOUNDS,
        paper_bounds=PAPER_BOUNDS,
        values=values or {},
        errors=errors or {},
        form_level=FORM_LEVEL,
    )


@router.get("/credit")
async def credit_form(
    request: Request,
    viewer: WebViewer,
    session: SessionDep,
    customer: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> Response:
    await applicant(viewer.actor)
    values = {"customer_id": str(customer)} if customer else None
    return _credit_page(request, await messages_for(session, viewer.username), viewer, values=values)


@router.post("/credit", dependencies=[Csrf])
async def file_credit_page(request: Request, viewer: WebViewer, session: SessionDep, temporal: TemporalDep) -> Response:
    """Filed as POST /api/v1/credit-applications files it; a refusal re-shows the form as typed."""
    await applicant(viewer.actor)
    m = await messages_for(session, viewer.username)
    form = {key: value for key, value in (await request.form()).items() if isinstance(value, str)}
    body, filed = credit_body(form)
    try:
        application = CreditApplicationIn.model_validate(body)
    except ValidationError as invalid:
        return _credit_page(request, m, viewer, 422, form, invalid_fields(invalid, filed))
    try:
        queue = request.app.state.task_queue
        view = await file_credit_application(session, temporal, queue, viewer.actor, application)
    except AppError as refused:
        return _credit_page(request, m, viewer, refused.status_code, form, {FORM_LEVEL: [refusal_words(m, refused)]})
    return go(request, f"/?tab=mine&after={view.process_id}")
