"""The external-trade partner application (issue 23, "Applicants"; 000 §7 (四)): marketing files a
partner's credit file — the card, the ownership, the direction, the products and the documents of
000 §7 (四) — and so starts the deal, through the service POST /api/v1/trade calls
(api/services/trade.py `file_application`): the same roles, body (TradeApplication) and checks;
each refusal beside its field, nothing started.

What follows the start (the tender, the bids, the contract, the payment forms) is acted on by the
deal's handlers at their tasks; this page files what an applicant starts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from api.deps import SessionDep, TemporalDep, require_any_role
from api.errors import AppError, Invalid
from api.services.trade import file_application, file_payment, readable_deal
from db.models import Process
from domain.documents import DocumentType
from domain.models import CustomerData, CustomerKind
from domain.trade import MARKETING_ROLES, PROCESS_TYPE, Ownership, Product, TradeDirection, required_documents
from domain.trade_models import PaymentFormIn, TradeApplication, TradeView
from web.apply import CaseId, holds_any
from web.apply_flow import Errors, answers, file_answers, page_of
from web.apply_form import (
    CARD_BOUNDS,
    CARD_INPUTS,
    DOCUMENT_BOUNDS,
    application_body,
    filled,
    max_lengths,
    named_field,
    refused_fields,
)
from web.i18n import Messages
from web.pages import refusal_words
from web.render import messages_for, templates
from web.session import Csrf, WebViewer

router = APIRouter(prefix="/apply", include_in_schema=False, default_response_class=HTMLResponse)
marketing = require_any_role(*MARKETING_ROLES)
templates.env.globals["files_trade"] = holds_any(MARKETING_ROLES)

ROWS: list[DocumentType] = list(required_documents(list(Product)))  # items 1-6, item 7 for fuel oil
MOST_CO_HANDLERS = max_lengths(TradeApplication, ("co_handlers",))["co_handlers"] or 0
USERNAME_BOUND = 80  # users.username, as domain.text.Username bounds each co-handler
BOUNDS = max_lengths(TradeApplication, ("purpose",)) | max_lengths(CustomerData, ("business_scope",))
CHOICES = {"ownership": list(Ownership), "direction": list(TradeDirection)}


def trade_body(form: Mapping[str, str]) -> tuple[dict[str, Any], list[DocumentType]]:
    """The API body the form describes (co-handlers typed one per line or comma-separated) and the
    type of each of its `documents`."""
    body, filed = application_body(form, ROWS)
    partner = body.pop("customer") | {"kind": CustomerKind.external_trade.value} | filled(form, ("business_scope",))
    names = form.get("co_handlers", "").replace(",", "\n").replace("，", "\n").split()
    return body | {
        "partner": partner,
        "ownership": form.get("ownership", ""),
        "direction": form.get("direction", ""),
        "products": [p.value for p in Product if form.get(f"product-{p.value}") == "on"],
        "purpose": form.get("purpose", "").strip(),
        "co_handlers": names,
    }, filed


# Where a refusal of the whole application stands, by the field it names (else above the form).
NAMED = (("business_scope", "business_scope"), ("co_handler", "co_handlers"))


def beside(m: Messages, refused: AppError) -> Errors:
    """000 §7 (四)'s shortfalls beside their documents, the naphtha scope beside the scope, a
    co-handler beside the co-handlers; a partner whose status may not trade beside the credit code."""
    if isinstance(refused, Invalid):
        return refused_fields(refused.detail, ROWS, NAMED)
    return {"credit_code": [refusal_words(m, refused)]}


_page = page_of(
    "apply_trade.html",
    card=CARD_INPUTS,
    card_bounds=CARD_BOUNDS,
    choices=CHOICES,
    products=list(Product),
    rows=ROWS,
    document_bounds=DOCUMENT_BOUNDS,
    bounds=BOUNDS,
    co_handlers_bound=MOST_CO_HANDLERS * (USERNAME_BOUND + 1),  # the names and a separator each
)


@router.get("/trade")
async def trade_form(request: Request, viewer: WebViewer, session: SessionDep) -> Response:
    await marketing(viewer.actor)
    return _page(request, await messages_for(session, viewer.username), viewer)


@router.post("/trade", dependencies=[Csrf])
async def file_trade_page(request: Request, viewer: WebViewer, session: SessionDep, temporal: TemporalDep) -> Response:
    """Filed as POST /api/v1/trade files it; a refusal re-shows the form as typed."""
    await marketing(viewer.actor)
    m = await messages_for(session, viewer.username)
    form = await answers(request)
    body, filed = trade_body(form)
    queue = request.app.state.task_queue

    def show(status: int, errors: Errors) -> Response:
        return _page(request, m, viewer, status, form, errors)

    async def file(application: TradeApplication) -> TradeView:
        return await file_application(session, temporal, queue, viewer.actor, application)

    rows = [t.value for t in filed]
    return await file_answers(request, m, TradeApplication, body, rows, show, file, lambda r: beside(m, r))


# --- a payment approval form on a deal (000 §7 (八)) ------------------------------------------------

PAYMENT_FIELDS = tuple(PaymentFormIn.model_fields)  # amount, due_date, bank_name, bank_account, instalment_note
PAYMENT_BOUNDS = max_lengths(PaymentFormIn, ("bank_name", "bank_account", "instalment_note"))
# Where the service's refusal of a payment form stands, by what it names (else above the form).
PAYMENT_NAMED = (("outstanding", "amount"), ("account on record", "bank_account"))


def payment_form_of(process: Process) -> str | None:
    """The payment form's address on a deal's case page (web/apply_cases.py), none for another case."""
    return f"/apply/trade/{process.process_id}/payment" if process.process_type == PROCESS_TYPE else None


templates.env.globals["trade_payment_form"] = payment_form_of


_payment_page = page_of("apply_trade_payment.html", fields=PAYMENT_FIELDS, bounds=PAYMENT_BOUNDS)


@router.get("/trade/{process_id}/payment")
async def payment_form(process_id: CaseId, request: Request, viewer: WebViewer, session: SessionDep) -> Response:
    """The payment form of a deal the viewer may read (404 otherwise, the API's own lookup)."""
    await marketing(viewer.actor)
    process = await readable_deal(session, viewer.actor, process_id)
    return _payment_page(request, await messages_for(session, viewer.username), viewer, process=process)


@router.post("/trade/{process_id}/payment", dependencies=[Csrf])
async def file_payment_page(
    process_id: CaseId, request: Request, viewer: WebViewer, session: SessionDep, temporal: TemporalDep
) -> Response:
    """Filed as POST /api/v1/trade/{id}/payments files it: the deal's handlers only, never above the
    outstanding amount, to the account on record; a refusal re-shows the form as typed."""
    await marketing(viewer.actor)
    process = await readable_deal(session, viewer.actor, process_id)
    m = await messages_for(session, viewer.username)
    form = await answers(request)

    def show(status: int, errors: Errors) -> Response:
        return _payment_page(request, m, viewer, status, form, errors, process=process)

    def beside(refused: AppError) -> Errors:
        words = refusal_words(m, refused)
        return {named_field(words, PAYMENT_NAMED): [words]}

    async def file(payment: PaymentFormIn) -> TradeView:
        return await file_payment(session, temporal, viewer.actor, process_id, payment)

    return await file_answers(request, m, PaymentFormIn, filled(form, PAYMENT_FIELDS), [], show, file, beside)
