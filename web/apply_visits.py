"""The visit plan and the visit report (issue 23, "Applicants"; 000 §12, 002 rule 7): a salesperson
files next month's plan and reports each visit once the plan is approved, through the services
POST /api/v1/visit-plans and POST /api/v1/visits/{id}/report call (api/services/visits.py) — the
same roles, bodies (VisitPlanIn, VisitReportIn) and checks; each refusal beside its field.

A plan's form offers `rows` visit rows (by default 5, at most the 100 a plan may hold); a row left
empty is no visit."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse

from api.deps import SessionDep, TemporalDep
from api.errors import AppError, Invalid
from api.params import RowId
from api.schemas import ProcessStateOut
from api.services.visits import (
    VisitOut,
    VisitPlanStarted,
    file_visit_report,
    start_visit_plan,
    visit_plans,
    visit_to_report,
)
from api.visibility import Viewer
from db.models import Visit
from domain.china_time import CHINA
from domain.visits import VisitIn, VisitPlanIn, VisitReportIn
from web.apply import applicant
from web.apply_flow import Errors, answers, file_answers, page_of
from web.apply_form import FORM_LEVEL, filled, filled_part, max_lengths
from web.i18n import Messages
from web.pages import refusal_words
from web.render import messages_for
from web.session import Csrf, WebViewer

router = APIRouter(prefix="/apply", include_in_schema=False, default_response_class=HTMLResponse)
MOST_ROWS = max_lengths(VisitPlanIn, ("visits",))["visits"] or 1  # the API's bound on a plan (100)
ROW_FIELDS = tuple(VisitIn.model_fields)  # customer_id, planned_on, purpose
Rows = Annotated[int, Query(ge=1, le=MOST_ROWS)]
FIRST_ROWS = 5  # the visit rows a plan's form offers unless asked for more
PURPOSE_BOUND = max_lengths(VisitIn, ("purpose",))["purpose"]
REPORT_BOUNDS = max_lengths(VisitReportIn, ("summary", "findings"))


def next_month(today: date) -> str:
    return (today.replace(day=1) + timedelta(days=32)).strftime("%Y-%m")


def plan_body(form: Mapping[str, str]) -> tuple[dict[str, Any], list[str]]:
    """The plan the form describes and the form row of each of its visits."""
    rows, visits = [], []
    for n in range(MOST_ROWS):
        row = f"visit-{n}"
        visit = filled_part(form, row, ROW_FIELDS)
        if visit:
            rows.append(row)
            visits.append(visit)
    return {"month": form.get("month", "").strip(), "visits": visits}, rows


def plan_beside(m: Messages, refused: AppError, body: dict[str, Any], rows: list[str]) -> Errors:
    """A month that has ended beside the month; a customer one may not visit beside its row."""
    words = refusal_words(m, refused)
    if isinstance(refused, Invalid) and "month" in words:
        return {"month": [words]}
    named = [
        row for row, visit in zip(rows, body["visits"], strict=True) if f"customer {visit['customer_id']} " in words
    ]
    return {f"{named[0]}-customer_id" if named else FORM_LEVEL: [words]}


async def _to_report(viewer: Viewer, session: SessionDep) -> list[VisitOut]:
    """The viewer's visits of approved plans not yet reported (002 rule 7)."""
    plans = await visit_plans(session, viewer.actor, salesperson=viewer.username)
    return [v for plan in plans if plan.status == "approved" for v in plan.visits if v.reported_at is None]


_plan_page = page_of("apply_visit_plan.html", purpose_bound=PURPOSE_BOUND)
_report_page = page_of("apply_visit_report.html", bounds=REPORT_BOUNDS)


@router.get("/visit-plan")
async def visit_plan_form(
    request: Request, viewer: WebViewer, session: SessionDep, rows: Rows = FIRST_ROWS
) -> Response:
    """The plan's form, and below it the viewer's approved visits still to report."""
    await applicant(viewer.actor)
    m = await messages_for(session, viewer.username)
    first = {"month": next_month(datetime.now(CHINA).date())}
    return _plan_page(request, m, viewer, values=first, rows=range(rows), to_report=await _to_report(viewer, session))


@router.post("/visit-plan", dependencies=[Csrf])
async def file_visit_plan_page(
    request: Request, viewer: WebViewer, session: SessionDep, temporal: TemporalDep
) -> Response:
    """Filed as POST /api/v1/visit-plans files it; a refusal re-shows the form as typed (with as
    many rows as were filled) and nothing is kept."""
    await applicant(viewer.actor)
    m = await messages_for(session, viewer.username)
    form = await answers(request)
    body, rows = plan_body(form)
    shown = max([FIRST_ROWS, *(int(row.rsplit("-", 1)[1]) + 1 for row in rows)])
    to_report = await _to_report(viewer, session)
    queue = request.app.state.task_queue

    def show(status: int, errors: Errors) -> Response:
        return _plan_page(request, m, viewer, status, form, errors, rows=range(shown), to_report=to_report)

    async def file(plan: VisitPlanIn) -> VisitPlanStarted:
        try:
            return await start_visit_plan(session, temporal, queue, viewer.actor, plan)
        except AppError:
            await session.rollback()  # as the API's request session does on a refusal
            raise

    return await file_answers(request, m, VisitPlanIn, body, rows, show, file, lambda r: plan_beside(m, r, body, rows))


async def _visit(session: SessionDep, viewer: Viewer, visit_id: int) -> Visit:
    """The visit, 404 unless the viewer may read its plan (the API's own lookup)."""
    visit, _, _ = await visit_to_report(session, viewer.actor, visit_id)
    return visit


@router.get("/visits/{visit_id}/report")
async def visit_report_form(visit_id: RowId, request: Request, viewer: WebViewer, session: SessionDep) -> Response:
    m = await messages_for(session, viewer.username)
    return _report_page(request, m, viewer, visit=await _visit(session, viewer, visit_id))


@router.post("/visits/{visit_id}/report", dependencies=[Csrf])
async def report_visit_page(
    visit_id: RowId, request: Request, viewer: WebViewer, session: SessionDep, temporal: TemporalDep
) -> Response:
    """Reported as POST /api/v1/visits/{id}/report reports it (the workflow checks who and when)."""
    m = await messages_for(session, viewer.username)
    visit = await _visit(session, viewer, visit_id)
    form = await answers(request)

    def show(status: int, errors: Errors) -> Response:
        return _report_page(request, m, viewer, status, form, errors, visit=visit)

    def beside(refused: AppError) -> Errors:
        return {"visited_on" if isinstance(refused, Invalid) else FORM_LEVEL: [refusal_words(m, refused)]}

    async def file(report: VisitReportIn) -> ProcessStateOut:
        return await file_visit_report(session, temporal, viewer.actor, visit_id, report)

    body = filled(form, tuple(VisitReportIn.model_fields))
    return await file_answers(request, m, VisitReportIn, body, [], show, file, beside)
