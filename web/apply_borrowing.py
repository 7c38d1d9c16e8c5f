"""The file borrowing form (issue 23, "Applicants"; 002 rule 1, 004 §3): anyone asks to borrow a
customer file — for themself, or for an outsider they receive, with that reader's introduction
letter — through the service POST /api/v1/customers/{id}/borrowings calls (api/services/borrowing.py):
the same body (BorrowingIn), checks and chain; each refusal beside its field, nothing started."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import Field

from api.deps import SessionDep, TemporalDep
from api.errors import AppError, Conflict, Invalid, NotFound
from api.schemas import ProcessStateOut
from api.services.borrowing import BorrowingIn, borrow_file
from domain.borrowing import OutsiderReader
from domain.text import INT32_MAX
from web.apply_flow import Errors, answers, file_answers, page_of
from web.apply_form import FORM_LEVEL, filled, filled_part, max_lengths
from web.i18n import Messages
from web.pages import refusal_words
from web.render import messages_for
from web.session import Csrf, WebViewer

router = APIRouter(prefix="/apply", include_in_schema=False, default_response_class=HTMLResponse)
OUTSIDER = tuple(OutsiderReader.model_fields)  # name, organisation, introduction_letter
CustomerNumber = Annotated[int | None, Query(ge=1, le=INT32_MAX)]  # customers.id


class BorrowingForm(BorrowingIn):
    """BorrowingIn with the file asked for, which the API takes from its address."""

    customer_id: int = Field(ge=1, le=INT32_MAX)


def borrowing_body(form: Mapping[str, str]) -> dict[str, Any]:
    """The body the form describes; the outsider's part only when one of its inputs is filled."""
    body: dict[str, Any] = filled(form, ("customer_id", "purpose", "return_by"))
    return body | {"outsider": filled_part(form, "outsider", OUTSIDER) or None}


def beside(m: Messages, refused: AppError) -> Errors:
    """The return date's refusal beside it, the outsider's letter beside the letter; a file unknown
    or kept already beside the customer number."""
    words = refusal_words(m, refused)
    if isinstance(refused, Invalid):
        where = "outsider-introduction_letter" if "introduction letter" in words else "return_by"
    else:
        where = "customer_id" if isinstance(refused, Conflict | NotFound) else FORM_LEVEL
    return {where: [words]}


_page = page_of(
    "apply_borrowing.html",
    bounds=max_lengths(BorrowingIn, ("purpose",)),
    outsider=OUTSIDER,
    outsider_bounds=max_lengths(OutsiderReader, OUTSIDER),
)


@router.get("/borrowing")
async def borrowing_form(
    request: Request, viewer: WebViewer, session: SessionDep, customer: CustomerNumber = None
) -> Response:
    values = {"customer_id": str(customer)} if customer else None
    return _page(request, await messages_for(session, viewer.username), viewer, values=values)


@router.post("/borrowing", dependencies=[Csrf])
async def borrow_page(request: Request, viewer: WebViewer, session: SessionDep, temporal: TemporalDep) -> Response:
    """Asked as POST /api/v1/customers/{id}/borrowings asks it; a refusal re-shows the form as typed."""
    m = await messages_for(session, viewer.username)
    form = await answers(request)
    queue = request.app.state.task_queue

    def show(status: int, errors: Errors) -> Response:
        return _page(request, m, viewer, status, form, errors)

    async def file(body: BorrowingForm) -> ProcessStateOut:
        return await borrow_file(session, temporal, queue, viewer.actor, body.customer_id, body)

    return await file_answers(request, m, BorrowingForm, borrowing_body(form), [], show, file, lambda r: beside(m, r))
