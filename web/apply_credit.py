"""The credit application form (issue 23, "Applicants"; 000 §13, 001 §3): a sales clerk applies for
periodic settlement for a customer, through the service POST /api/v1/credit-applications uses
(api/services/credit_filing.py) — the same role, body (CreditApplicationIn) and checks of 000 §13
and the credit policy in force; each refusal beside its field, nothing started."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse

from api.deps import SessionDep, TemporalDep
from api.services.credit_filing import credit_correction_of, file_credit_application, resubmit_filed_application
from domain.credit_application import (
    CreditApplicationIn,
    CreditPaper,
    CreditPaperKind,
    CreditResubmission,
    OrganisationNature,
)
from domain.models import ProcessView
from web.apply import CaseId, applicant
from web.apply_flow import Errors, answers, correction_note, file_answers, page_of
from web.apply_form import filled, filled_part, max_lengths
from web.render import messages_for
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
        row = filled_part(form, kind.value, inputs)
        if row:
            papers.append({"kind": kind.value, **row})
    body["documents"] = papers
    return body, [paper["kind"] for paper in papers]


def credit_values(filed: CreditApplicationIn) -> dict[str, str]:
    """The form's fields filled with an application as filed (`credit_body` the other way)."""
    body = filed.model_dump(mode="json", exclude_none=True)
    values = {name: str(body[name]) for name in FIELDS if name in body}
    for paper in body.get("documents", []):
        values |= {
            f"{paper['kind']}-{name}": str(paper[name])
            for name in PAPERS[CreditPaperKind(paper["kind"])]
            if name in paper
        }
    return values


_PAGE = {"natures": list(OrganisationNature), "papers": PAPERS, "bounds": BOUNDS, "paper_bounds": PAPER_BOUNDS}
_credit_page = page_of("apply_credit.html", action="/apply/credit", **_PAGE)


@router.get("/credit")
async def credit_form(
    request: Request,
    viewer: WebViewer,
    session: SessionDep,
    customer: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,  # customers.id
) -> Response:
    await applicant(viewer.actor)
    values = {"customer_id": str(customer)} if customer else None
    return _credit_page(request, await messages_for(session, viewer.username), viewer, values=values)


@router.post("/credit", dependencies=[Csrf])
async def file_credit_page(request: Request, viewer: WebViewer, session: SessionDep, temporal: TemporalDep) -> Response:
    """Filed as POST /api/v1/credit-applications files it; a refusal re-shows the form as typed."""
    await applicant(viewer.actor)
    m = await messages_for(session, viewer.username)
    form = await answers(request)
    body, filed = credit_body(form)
    queue = request.app.state.task_queue

    def show(status: int, errors: Errors) -> Response:
        return _credit_page(request, m, viewer, status, form, errors)

    async def file(application: CreditApplicationIn) -> ProcessView:
        return await file_credit_application(session, temporal, queue, viewer.actor, application)

    return await file_answers(request, m, CreditApplicationIn, body, filed, show, file)


# --- the correction of a returned application (the onboarding's mechanism: web/apply.py) --------------

COMMENT_BOUND = max_lengths(CreditResubmission, ("comment",))["comment"] or 0


_correction_page = page_of("apply_credit.html", correcting=True, comment_bound=COMMENT_BOUND, **_PAGE)


@router.get("/credit/{process_id}/resubmit")
async def credit_correction_form(
    process_id: CaseId, request: Request, viewer: WebViewer, session: SessionDep, temporal: TemporalDep
) -> Response:
    """The returned application as last filed, to correct: 404 unless the viewer may read the case,
    403 unless they filed it (the API's resubmission rule)."""
    m = await messages_for(session, viewer.username)
    filed = await credit_correction_of(session, temporal, viewer.actor, process_id)
    action = f"/apply/credit/{process_id}/resubmit"
    return _correction_page(request, m, viewer, values=credit_values(filed), action=action)


@router.post("/credit/{process_id}/resubmit", dependencies=[Csrf])
async def resubmit_credit_page(
    process_id: CaseId, request: Request, viewer: WebViewer, session: SessionDep, temporal: TemporalDep
) -> Response:
    """Resubmitted as POST /api/v1/credit-applications/{id}/resubmit resubmits it; the chain restarts."""
    m = await messages_for(session, viewer.username)
    await credit_correction_of(session, temporal, viewer.actor, process_id)  # 404 / 403 as the form's page
    form = await answers(request)
    action = f"/apply/credit/{process_id}/resubmit"
    note, errors = correction_note(m, form, COMMENT_BOUND)
    if errors:
        return _correction_page(request, m, viewer, 422, form, errors, action=action)
    body, filed = credit_body(form)

    def show(status: int, errors: Errors) -> Response:
        return _correction_page(request, m, viewer, status, form, errors, action=action)

    async def file(application: CreditApplicationIn) -> ProcessView:
        return await resubmit_filed_application(session, temporal, viewer.actor, process_id, application, note)

    return await file_answers(request, m, CreditApplicationIn, body, filed, show, file)
