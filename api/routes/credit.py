"""P5 credit (000 §13; 001 信用管理措施; 003 §6): the credit standing of a customer, ledger postings
with the credit guard, the credit lists, the credit policy (read here; changed only through
`POST /rule-changes`, api/routes/rule_changes.py), and the ERP ledger import. The work is done
by api/services/credit.py and api/services/ledger_imports.py.

A delivery beyond what the customer may take is refused with 409 and the figures: `payment_before_goods`
(a prepaid customer, 000 §13 先款后货), `credit_blocked` (high risk, 003 §6) or `over_limit` (a credit
customer past its limit: the general manager's approval is started at once, 001 §3, and its process
id comes back as `approval_process_id`).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile, status

from api import ledger_import
from api.deps import CurrentActor, SessionDep, TemporalDep, require_any_role
from api.idempotency import idempotent
from api.params import Offset, RowId
from api.services import credit, ledger_imports
from api.services.backends import Backends
from api.services.credit import (
    CreditCustomerPage,
    CreditRefusalOut,
    LedgerPostedOut,
    LedgerPostIn,
    ReversalIn,
    ReversalOut,
)
from api.services.ledger_imports import ImportOut
from domain.credit import CreditPolicyView, CreditStanding, RiskLevel
from domain.models import Actor
from domain.roles import CREDIT_DESK, Role

router = APIRouter(tags=["credit"])

CreditDesk = Depends(require_any_role(*CREDIT_DESK))
# Receipts: finance confirms funds arrived (000 §9 (一)); deliveries also the clerks and the unit managers.
Poster = Depends(require_any_role(Role.finance_reviewer, Role.sales_clerk, Role.depot_manager, Role.station_manager))
Importer = Depends(require_any_role(Role.finance_reviewer))
PageLimit = Annotated[int, Query(ge=1, le=500, description="rows per page")]


@router.get("/customers/{customer_id}/credit", response_model=CreditStanding)
async def read_credit(customer_id: RowId, session: SessionDep, actor: CurrentActor) -> CreditStanding:
    """The customer's credit standing: terms, balance, outstanding, available, overdue, risk (000 §13, 003 §6)."""
    return await credit.read_standing(session, actor, customer_id)


@router.post(
    "/customers/{customer_id}/ledger",
    status_code=status.HTTP_201_CREATED,
    response_model=LedgerPostedOut,
    responses={409: {"model": CreditRefusalOut, "description": "the delivery is refused: why, with the figures"}},
)
@idempotent
async def post_ledger(
    customer_id: RowId,
    body: LedgerPostIn,
    request: Request,
    session: SessionDep,
    temporal: TemporalDep,
    actor: Actor = Poster,
) -> LedgerPostedOut:
    """Book a delivery or a receipt. Receipts: finance only (000 §9 (一) 确认款项到账). Deliveries:
    within what is available (000 §13), else 409 with the reason and the figures."""
    return await credit.post_entry(session, Backends.of(request, temporal), actor, customer_id, body)


@router.get("/credit/over-limit", response_model=CreditCustomerPage)
async def over_limit(
    session: SessionDep, offset: Offset = 0, limit: PageLimit = 100, actor: Actor = CreditDesk
) -> CreditCustomerPage:
    """Customers owing more than their limit (balance below minus the limit), furthest over first:
    deliveries the GM approved (001 §3) and ERP imports booked beyond the limit show here."""
    return await credit.over_limit_page(session, offset, limit)


@router.get("/credit/customers", response_model=CreditCustomerPage)
async def credit_customers(
    session: SessionDep,
    risk: Annotated[RiskLevel | None, Query(description="only customers of this risk level (003 §6)")] = None,
    offset: Offset = 0,
    limit: PageLimit = 100,
    actor: Actor = CreditDesk,
) -> CreditCustomerPage:
    """The customers with credit terms (000 §13), by risk level (003 §6 高/中/低)."""
    return await credit.credit_customers_page(session, risk, offset, limit)


@router.get("/credit/policy", response_model=CreditPolicyView)
async def read_policy(
    session: SessionDep,
    actor: CurrentActor,
    on: Annotated[date | None, Query(description="the day whose policy is wanted; default today")] = None,
) -> CreditPolicyView:
    """The credit policy in force on `on` (001 信用审核: revised at year end; numbers are configuration)."""
    return await credit.policy_on(session, on)


@router.get("/credit/policy/versions", response_model=list[CreditPolicyView])
async def policy_versions(session: SessionDep, actor: CurrentActor) -> list[CreditPolicyView]:
    """Every version of the credit policy, oldest first: a past decision stays explained by its version."""
    return await credit.policy_versions(session)


@router.post("/ledger/imports", status_code=status.HTTP_201_CREATED, response_model=ImportOut)
@idempotent
async def import_ledger(
    request: Request,
    session: SessionDep,
    temporal: TemporalDep,
    file: Annotated[UploadFile, File(description="CSV (UTF-8) or .xlsx with the columns of api/ledger_import.py")],
    actor: Actor = Importer,
) -> ImportOut:
    """Finance imports its ERP ledger: every row checked first; one bad row → 422 naming each bad
    row and nothing booked; else every row booked in one transaction (api/ledger_import.py).

    Deliveries beyond what a customer had available are booked (facts) and answered for
    (domain/import_credit.py): the GM's ratification for a credit customer, whose credit is held
    until then (001 §3), a finance task for an overdrawn prepaid balance (000 §9 (一)); `follow_ups`
    names them. Takes an `Idempotency-Key`; sent again without one, every reference is found booked
    already and the whole file is refused, nothing twice."""
    content = await file.read(ledger_import.MAX_BYTES + 1)
    filename = (file.filename or "upload")[:200]
    return await ledger_imports.import_file(session, Backends.of(request, temporal), actor, filename, content)


@router.post("/customers/{customer_id}/ledger/{entry_id}/reversal", status_code=201, response_model=ReversalOut)
@idempotent
async def reverse_ledger_entry(
    customer_id: RowId,
    entry_id: RowId,
    body: ReversalIn,
    request: Request,
    session: SessionDep,
    temporal: TemporalDep,
    actor: Actor = Importer,
) -> ReversalOut:
    """Finance corrects a ledger entry by a reversing entry of the opposite kind, linked to it, with
    its reason in the admin audit log — never by an edit (activities/ledger_reversal.py). 409 for an
    entry reversed already, or itself a reversal; 404 for an entry that is not the customer's."""
    backends = Backends.of(request, temporal)
    return await credit.reverse(session, backends, actor, customer_id, entry_id, body.reason)
