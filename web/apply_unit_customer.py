"""The depot and station customer form (issue 23, "Applicants"; 000 §8, §9): a depot office files a
social customer or a station buying from it, a gas station files a prepaid customer (with the VAT
special-invoice certificate form when the customer wants those invoices), through the services
POST /api/v1/depot-customers and POST /api/v1/station-customers call (api/services/unit_customers.py)
— the same roles, body (UnitCustomerApplication) and checks; each refusal beside its field.

The kind chosen picks the route the API would take: a depot kind is a depot filing (000 §8), the
prepaid kind a station filing (000 §9). The tax-bureau check's moment is typed in China time."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from api.deps import SessionDep, TemporalDep, require_any_role
from api.errors import AppError, Conflict, Forbidden, Invalid
from api.schemas import ProcessStateOut
from api.services.unit_customers import DEPOT_FILERS, STATION_FILERS, start_depot_customer, start_station_customer
from api.visibility import Viewer
from domain.documents import DEPOT_SOCIAL_REQUIRED, DEPOT_STATION_REQUIRED, STATION_VAT_REQUIRED, DocumentType
from domain.models import CustomerKind
from domain.taxpayer import TaxpayerCheck
from domain.unit_customers import DEPOT_KINDS, STATION_KINDS, UnitCustomerApplication, VatInvoiceInfo
from web.apply import holds_any
from web.apply_flow import Errors, answers, file_answers, page_of
from web.apply_form import (
    CARD_BOUNDS,
    CARD_INPUTS,
    DOCUMENT_BOUNDS,
    FORM_LEVEL,
    application_body,
    filled_part,
    max_lengths,
    refused_fields,
)
from web.i18n import Messages
from web.pages import refusal_words
from web.render import messages_for, templates
from web.session import Csrf, WebViewer

router = APIRouter(prefix="/apply", include_in_schema=False, default_response_class=HTMLResponse)
FILERS = (*DEPOT_FILERS, *STATION_FILERS)
filer = require_any_role(*FILERS)
depot_filer, station_filer = require_any_role(*DEPOT_FILERS), require_any_role(*STATION_FILERS)
files_at_depot, files_at_station = holds_any(DEPOT_FILERS), holds_any(STATION_FILERS)
templates.env.globals["files_unit_customers"] = holds_any(FILERS)

UNIT_BOUND = max_lengths(UnitCustomerApplication, ("unit",))["unit"]
TAXPAYER = tuple(TaxpayerCheck.model_fields)  # checked_by, checked_at, source, reference, general_taxpayer
TAXPAYER_BOUNDS = max_lengths(TaxpayerCheck, ("checked_by", "source", "reference"))
VAT = tuple(VatInvoiceInfo.model_fields)
VAT_BOUNDS = max_lengths(VatInvoiceInfo, VAT)
# Each document row and the kinds that must show it (000 §8 (一), §8 (二), §9 (二) with VAT invoices).
LISTS: dict[str, tuple[DocumentType, ...]] = {
    CustomerKind.depot_social.value: DEPOT_SOCIAL_REQUIRED,
    CustomerKind.depot_station.value: DEPOT_STATION_REQUIRED,
    "station_vat": STATION_VAT_REQUIRED,
}
ROWS = list(dict.fromkeys(doc for docs in LISTS.values() for doc in docs))
NEEDED_BY = {row: [f"unit_customer.list.{name}" for name, docs in LISTS.items() if row in docs] for row in ROWS}
CHINA_OFFSET = "+08:00"


def _in_china_time(moment: str) -> str:
    """A `datetime-local` answer carries no zone: it is China time (a typed zone is kept)."""
    return moment if moment.endswith("Z") or "+" in moment[10:] or "-" in moment[10:] else moment + CHINA_OFFSET


def unit_customer_body(form: Mapping[str, str]) -> tuple[dict[str, Any], list[DocumentType]]:
    """The API body the form describes and the type of each of its `documents`."""
    body, filed = application_body(form, ROWS)
    check = filled_part(form, "taxpayer_check", TAXPAYER)
    if check:
        if "checked_at" in check:
            check["checked_at"] = _in_china_time(check["checked_at"])
        body["customer"]["taxpayer_check"] = check
    vat = filled_part(form, "vat_invoice", VAT)
    prepaid = form.get("prepaid") == "on"
    return body | {"unit": form.get("unit", "").strip(), "prepaid": prepaid, "vat_invoice": vat or None}, filed


def kinds_for(viewer: Viewer) -> list[CustomerKind]:
    """The kinds the viewer may file: a depot's if they file for depots, a station's if for stations."""
    return [*(DEPOT_KINDS if files_at_depot(viewer) else ()), *(STATION_KINDS if files_at_station(viewer) else ())]


_page = page_of(
    "apply_unit_customer.html",
    card=CARD_INPUTS,
    card_bounds=CARD_BOUNDS,
    unit_bound=UNIT_BOUND,
    taxpayer_bounds=TAXPAYER_BOUNDS,
    vat=VAT,
    vat_bounds=VAT_BOUNDS,
    rows=ROWS,
    needed_by=NEEDED_BY,
    document_bounds=DOCUMENT_BOUNDS,
)


# Where a service's refusal of the whole application stands, by what it names (else above the form).
NAMED = (("unit ", "unit"), ("taxpayer", "taxpayer_check-general_taxpayer"), ("prepaid", "prepaid"))


def beside(m: Messages, refused: AppError) -> Errors:
    """000 §8/§9's shortfalls beside their document rows, the unit's, the taxpayer check's and the
    prepaid box's beside theirs; a unit the filer may not act for beside the unit; a credit code on
    file already beside the credit code."""
    if isinstance(refused, Invalid):
        return refused_fields(refused.detail, ROWS, NAMED)
    where = {Forbidden: "unit", Conflict: "credit_code"}.get(type(refused), FORM_LEVEL)
    return {where: [refusal_words(m, refused)]}


@router.get("/unit-customer")
async def unit_customer_form(request: Request, viewer: WebViewer, session: SessionDep) -> Response:
    await filer(viewer.actor)
    first = {"unit": viewer.actor.unit or "", "prepaid": "on"}  # the viewer's own unit, a prepaid customer
    m = await messages_for(session, viewer.username)
    return _page(request, m, viewer, values=first, kinds=kinds_for(viewer))


@router.post("/unit-customer", dependencies=[Csrf])
async def file_unit_customer_page(
    request: Request, viewer: WebViewer, session: SessionDep, temporal: TemporalDep
) -> Response:
    """Filed as POST /api/v1/depot-customers (a depot kind) or /api/v1/station-customers files it,
    by the roles that route lets through; a refusal re-shows the form as typed."""
    await filer(viewer.actor)
    m = await messages_for(session, viewer.username)
    form = await answers(request)
    body, filed = unit_customer_body(form)
    queue = request.app.state.task_queue

    def show(status: int, errors: Errors) -> Response:
        return _page(request, m, viewer, status, form, errors, kinds=kinds_for(viewer))

    async def file(application: UnitCustomerApplication) -> ProcessStateOut:
        if application.customer.kind in DEPOT_KINDS:
            await depot_filer(viewer.actor)
            return await start_depot_customer(session, temporal, queue, viewer.actor, application)
        await station_filer(viewer.actor)
        return await start_station_customer(session, temporal, queue, viewer.actor, application)

    return await file_answers(
        request, m, UnitCustomerApplication, body, [t.value for t in filed], show, file, lambda r: beside(m, r)
    )
