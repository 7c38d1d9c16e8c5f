"""P2 external purchase and sale — 外采外销 (000 §7; contract review 003 §5).

The HTTP flow, in order (each step answers where the deal stands: `process_id, status, stage,
current_step, customer_id, open_task_ids, tender_number, outstanding`):

1. `POST /trade` — marketing files the partner's credit file (000 §7 (四) documents), naming the
   co-handlers who work the deal with its applicant (only they act on it as marketing) → 201.
2. Inbox decisions (`POST /tasks/{id}/decision`): marketing credit review, business VP review;
   then `POST /trade/{id}/leadership-decision` records the leadership meeting's collective decision.
3. `POST /trade/{id}/tender` opens the tender with its bidding deadline (a durable timer);
   `POST /trade/{id}/bids` records bids (and revisions) until the deadline, late bids get 409.
   At the deadline: fewer than three bidders → `POST /trade/{id}/tender/no-award-decision`
   (re-open with a new deadline, or cancel); three or more → `POST /trade/{id}/evaluation`
   ranks the bids, then the business VP approves the award from the inbox.
4. The winner becomes a customer; `POST /trade/{id}/contract` drafts (or revises after legal's
   return) the contract, legal reviews it from the inbox, `POST /trade/{id}/contract/sign`,
   `POST /trade/{id}/title-transfer`.
5. `POST /trade/{id}/payments` files a payment approval form (finance audit → division leader →
   chief accountant, from their inboxes); finance records `…/payments/{n}/paid` and
   `…/payments/{n}/settlement`. The deal completes when the contract amount is paid and settled.
6. Auditors: `GET /trade/{id}` (the whole deal), `GET /processes/{id}/history`, `GET /tenders?status=`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, status
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.sql import Select
from temporalio.client import Client
from temporalio.service import RPCError

from api.customer_gate import ensure_credit_code_may
from api.deps import CurrentActor, SessionDep, TemporalDep, load_actor, require_any_role
from api.errors import Invalid, NotFound, from_workflow
from api.gateway import get_process, handle_for, send_update, visible_processes
from api.idempotency import idempotent
from api.params import Offset, PaymentNumber
from api.starts import start_process
from api.visibility import require_deal_handler
from db.models import Customer, Process, TradeDeal, TradeTender
from domain.china_time import ChinaTime, china_day
from domain.customer_gate import CustomerOperation
from domain.models import Actor, ProcessStatus
from domain.roles import Role
from domain.rulebook import enforces
from domain.trade import FINANCE_ROLES, MARKETING_ROLES, PROCESS_TYPE, partner_problems
from domain.trade_models import (
    BidIn,
    BidRequest,
    ContractIn,
    ContractRequest,
    EvaluationIn,
    EvaluationRequest,
    LeadershipDecisionIn,
    LeadershipDecisionRequest,
    NoAwardDecisionIn,
    NoAwardDecisionRequest,
    PaymentFormIn,
    PaymentFormRequest,
    PaymentPaidIn,
    PaymentPaidRequest,
    SettlementIn,
    SettlementRequest,
    SigningIn,
    SigningRequest,
    TenderIn,
    TenderRequest,
    TenderStatus,
    TitleTransferIn,
    TitleTransferRequest,
    TradeApplication,
    TradeInput,
    TradeStage,
    TradeState,
    TradeView,
)

TAG = "external trade (000 §7)"
router = APIRouter(tags=[TAG])
Marketing = Annotated[Actor, Depends(require_any_role(*MARKETING_ROLES))]
Finance = Annotated[Actor, Depends(require_any_role(*FINANCE_ROLES))]
LeadershipRecorder = Annotated[Actor, Depends(require_any_role(Role.leadership_meeting))]


class TradeDealOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    process_id: str
    partner_name: str
    partner_credit_code: str
    ownership: str
    preferred: bool
    direction: str
    products: str
    applicant: str
    status: str
    stage: str
    customer_id: int | None
    counterpart_name: str | None
    contract_amount: Decimal | None
    paid_amount: Decimal
    started_at: ChinaTime
    updated_at: ChinaTime


class TenderOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    tender_id: str
    process_id: str
    number: int
    subject: str
    status: str
    conditions: str
    invited_range: str
    bidding_deadline: ChinaTime
    opened_by: str
    opened_at: ChinaTime
    closed_at: ChinaTime | None
    bidder_count: int
    bids: list[dict[str, Any]]
    ranking: list[dict[str, Any]]
    winner_credit_code: str | None
    winner_name: str | None


def _visible(actor: Actor, query: Select[Any], key: Any) -> Select[Any]:
    """A deal is read by whoever may read its process (api/visibility.py): its applicant and the
    people it names, its task holders, those copied on it, and the oversight roles."""
    return visible_processes(actor, query.join(Process, Process.process_id == key))


# The marketing work on a deal: only the people the deal names do it (000 §7; api/visibility.py).
HANDLER_UPDATES = frozenset(
    {
        "open_tender",
        "submit_bid",
        "no_award_decision",
        "evaluate",
        "draft_contract",
        "sign_contract",
        "record_title_transfer",
        "file_payment",
    }
)


async def _deal(session: SessionDep, actor: Actor, process_id: str, update: str) -> Process:
    """The deal's process: 404 when `actor` may not read it, 403 when they may but the update is
    the handlers' work and the deal does not name them."""
    process = await get_process(session, actor, process_id)
    if process.process_type != PROCESS_TYPE:
        raise NotFound(f"process {process_id} is not an external-trade deal")
    if update in HANDLER_UPDATES:
        await require_deal_handler(session, actor, process)
    return process


async def _act(
    session: SessionDep, temporal: Client, actor: Actor, process_id: str, update: str, request: BaseModel
) -> TradeView:
    process = await _deal(session, actor, process_id, update)
    return await send_update(handle_for(temporal, process), update, request, result_type=TradeView)


async def _require_account_on_record(session: SessionDep, process_id: str, form: PaymentFormIn) -> None:
    """000 §7 (八): money goes only to the counterparty's account on record, the bank account of
    its customer file. There is no approved-change mechanism for a customer's account yet, so any
    other account is refused (422): the file must be corrected first. Before the award the deal has
    no counterparty and the workflow refuses the form anyway."""
    customer_id = await session.scalar(select(TradeDeal.customer_id).where(TradeDeal.process_id == process_id))
    if customer_id is None:
        return
    customer = await session.get(Customer, customer_id)
    on_record = str((customer.card if customer else {}).get("bank_account") or "")
    if not on_record:
        raise Invalid(f"customer {customer_id} has no bank account on record: record it on the file first")
    if "".join(form.bank_account.split()) != "".join(on_record.split()):
        raise Invalid(
            f"bank_account {form.bank_account} is not the counterparty's account on record ({on_record}, "
            f"customer {customer_id}); a payment goes only to the account on the customer's file"
        )


async def _check_co_handlers(session: SessionDep, application: TradeApplication) -> None:
    """A co-handler is an active marketing colleague (000 §7 (一): the marketing department's work)."""
    problems = []
    for username in application.co_handlers:
        colleague = await load_actor(session, username)
        if colleague is None or not any(colleague.has(role) for role in MARKETING_ROLES):
            problems.append(f"co_handler {username} is not an active user with a marketing role")
    if problems:
        raise Invalid(problems)


@router.post(
    "/trade",
    status_code=status.HTTP_201_CREATED,
    response_model=TradeView,
    summary="File a partner's credit application (000 §7 (四))",
)
@idempotent
@enforces("000-7-marketing-screens")
async def apply(
    application: TradeApplication, request: Request, session: SessionDep, temporal: TemporalDep, actor: Marketing
) -> TradeView:
    """Marketing files the partner's card and documents: items 1-6 always, the provincial fuel-oil
    approval for fuel-oil partners, a business scope naming naphtha for naphtha partners (422 names
    each problem). State-owned and state-controlled partners are flagged and listed first. The
    deal then waits for marketing's credit review."""
    today = china_day(datetime.now(UTC))
    partner = application.partner
    problems = partner_problems(application.documents, application.products, partner.business_scope, today)
    if problems:
        raise Invalid(problems)
    # 004 §4-§6: a partner already on file trades again only while its status allows it.
    await ensure_credit_code_may(session, CustomerOperation.award, partner.credit_code)
    await _check_co_handlers(session, application)
    return await start_process(
        temporal,
        "ExternalTrade",
        TradeInput(application=application, applicant=actor),
        workflow_id=f"trade-{partner.credit_code}-{uuid.uuid4().hex[:8]}",
        task_queue=request.app.state.task_queue,
        result_type=TradeView,
    )


@router.get("/trade", response_model=list[TradeDealOut], summary="List deals, state-owned/controlled partners first")
@enforces("000-7-state-owned-first")
async def list_deals(
    actor: CurrentActor,
    session: SessionDep,
    status_: Annotated[ProcessStatus | None, Query(alias="status")] = None,
    stage: TradeStage | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Offset = 0,
) -> list[TradeDeal]:
    query = _visible(actor, select(TradeDeal), TradeDeal.process_id)
    if status_:
        query = query.where(TradeDeal.status == status_.value)
    if stage:
        query = query.where(TradeDeal.stage == stage.value)
    order = (TradeDeal.preferred.desc(), TradeDeal.started_at.desc())  # 000 §7 (二)
    return list(await session.scalars(query.order_by(*order).limit(limit).offset(offset)))


@router.get("/trade/{process_id}", response_model=TradeState, summary="The whole deal, as auditors see it")
async def get_deal(process_id: str, actor: CurrentActor, session: SessionDep, temporal: TemporalDep) -> TradeState:
    """Partner and its approval (with the leadership meeting's minutes), every tender with every bid
    and revision, the proposed and the approved ranking, the award, the customer, the contract with
    its drafts and legal reviews, signing, the title transfer and every payment with its approvals."""
    process = await get_process(session, actor, process_id)
    if process.process_type != PROCESS_TYPE:
        raise NotFound(f"process {process_id} is not an external-trade deal")
    try:
        return await handle_for(temporal, process).query("state", result_type=TradeState)
    except RPCError as exc:
        raise from_workflow(exc) from exc


@router.post("/trade/{process_id}/leadership-decision", response_model=TradeView, summary="Leadership meeting decision")
async def leadership_decision(
    process_id: str, body: LeadershipDecisionIn, session: SessionDep, temporal: TemporalDep, actor: LeadershipRecorder
) -> TradeView:
    """The company leadership meeting's collective decision (000 §7 (四)), recorded by its secretary
    with the meeting date, at least two attendees and the minutes reference; approve starts the tender."""
    request = LeadershipDecisionRequest(actor=actor, decision=body)
    return await _act(session, temporal, actor, process_id, "leadership_decision", request)


@router.post("/trade/{process_id}/tender", response_model=TradeView, summary="Open the tender (000 §7 (五))")
async def open_tender(
    process_id: str, body: TenderIn, session: SessionDep, temporal: TemporalDep, actor: Marketing
) -> TradeView:
    """Publish the trading conditions to the invited range with a bidding deadline (a durable timer)."""
    return await _act(session, temporal, actor, process_id, "open_tender", TenderRequest(actor=actor, tender=body))


@router.post("/trade/{process_id}/bids", response_model=TradeView, summary="Record a bid or a revision")
@idempotent
async def submit_bid(
    process_id: str, body: BidIn, session: SessionDep, temporal: TemporalDep, actor: Marketing
) -> TradeView:
    """Marketing records a bid on the bidder's behalf before the deadline; the same credit code again
    is a revision (every revision is kept). After the deadline: 409 "bidding closed at …"; 409 for a
    bidder on file whose status may not win a tender (004 §4-§6)."""
    await ensure_credit_code_may(session, CustomerOperation.award, body.bidder.credit_code)
    return await _act(session, temporal, actor, process_id, "submit_bid", BidRequest(actor=actor, bid=body))


@router.post(
    "/trade/{process_id}/tender/no-award-decision", response_model=TradeView, summary="Re-open or cancel a tender"
)
async def no_award_decision(
    process_id: str, body: NoAwardDecisionIn, session: SessionDep, temporal: TemporalDep, actor: Marketing
) -> TradeView:
    """Fewer than three bidders at the deadline, or the award refused: marketing re-opens the tender
    with a new deadline (a new tender number, earlier bids kept for auditors) or cancels the deal."""
    request = NoAwardDecisionRequest(actor=actor, decision=body)
    return await _act(session, temporal, actor, process_id, "no_award_decision", request)


@router.post("/trade/{process_id}/evaluation", response_model=TradeView, summary="Rank the bids")
async def evaluate(
    process_id: str, body: EvaluationIn, session: SessionDep, temporal: TemporalDep, actor: Marketing
) -> TradeView:
    """Marketing's ranking (omit `ranking` to adopt the proposal: state-owned/controlled first, then the
    better price); the award then waits for the business VP's approval in the inbox. A winner on file
    whose status may not win (suspended, past, terminated, destroyed) is 409 (004 §4-§6); the award
    is checked again when the customer is created."""
    if body.ranking:
        await ensure_credit_code_may(session, CustomerOperation.award, body.ranking[0])
    request = EvaluationRequest(actor=actor, evaluation=body)
    return await _act(session, temporal, actor, process_id, "evaluate", request)


@router.post("/trade/{process_id}/contract", response_model=TradeView, summary="Draft or revise the contract")
async def draft_contract(
    process_id: str, body: ContractIn, session: SessionDep, temporal: TemporalDep, actor: Marketing
) -> TradeView:
    """The business contract with the awarded counterpart; legal reviews it next (003 §5) and may
    return it, after which marketing posts the revision here."""
    request = ContractRequest(actor=actor, contract=body)
    return await _act(session, temporal, actor, process_id, "draft_contract", request)


@router.post("/trade/{process_id}/contract/sign", response_model=TradeView, summary="Record the signed contract")
async def sign_contract(
    process_id: str, body: SigningIn, session: SessionDep, temporal: TemporalDep, actor: Marketing
) -> TradeView:
    request = SigningRequest(actor=actor, signing=body)
    return await _act(session, temporal, actor, process_id, "sign_contract", request)


@router.post("/trade/{process_id}/title-transfer", response_model=TradeView, summary="Record the title transfer")
async def title_transfer(
    process_id: str, body: TitleTransferIn, session: SessionDep, temporal: TemporalDep, actor: Marketing
) -> TradeView:
    """The title-transfer certificate 物权转移证明 signed after the contract (000 §7 (七))."""
    request = TitleTransferRequest(actor=actor, certificate=body)
    return await _act(session, temporal, actor, process_id, "record_title_transfer", request)


@router.post("/trade/{process_id}/payments", response_model=TradeView, summary="File a payment approval form")
@idempotent
async def file_payment(
    process_id: str, body: PaymentFormIn, session: SessionDep, temporal: TemporalDep, actor: Marketing
) -> TradeView:
    """000 §7 (八): per the contract's payment terms; several instalments, never above the outstanding
    amount (contract less paid less forms still in approval: 422). Approved by finance → division
    leader → chief accountant from their inboxes."""
    process = await _deal(session, actor, process_id, "file_payment")
    await _require_account_on_record(session, process_id, body)
    request = PaymentFormRequest(actor=actor, form=body)
    return await send_update(handle_for(temporal, process), "file_payment", request, result_type=TradeView)


@router.post("/trade/{process_id}/payments/{number}/paid", response_model=TradeView, summary="Finance pays")
async def record_payment(
    process_id: str,
    number: PaymentNumber,
    body: PaymentPaidIn,
    session: SessionDep,
    temporal: TemporalDep,
    actor: Finance,
) -> TradeView:
    request = PaymentPaidRequest(actor=actor, number=number, paid=body)
    return await _act(session, temporal, actor, process_id, "record_payment", request)


@router.post("/trade/{process_id}/payments/{number}/settlement", response_model=TradeView, summary="Inbound settlement")
async def record_settlement(
    process_id: str,
    number: PaymentNumber,
    body: SettlementIn,
    session: SessionDep,
    temporal: TemporalDep,
    actor: Finance,
) -> TradeView:
    """Finance, with the named marketing colleague, settles the inbound refined oil 入库结算; the deal
    completes when the whole contract amount is paid and settled."""
    request = SettlementRequest(actor=actor, number=number, settlement=body)
    return await _act(session, temporal, actor, process_id, "record_settlement", request)


@router.get("/tenders", response_model=list[TenderOut], summary="List tenders by status")
async def list_tenders(
    actor: CurrentActor,
    session: SessionDep,
    status_: Annotated[TenderStatus | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Offset = 0,
) -> list[TradeTender]:
    """Every tender with its bids, revisions and ranking: auditors see all, others the deals they work on."""
    query = _visible(actor, select(TradeTender), TradeTender.process_id)
    if status_:
        query = query.where(TradeTender.status == status_.value)
    order = (TradeTender.opened_at.desc(), TradeTender.number.desc())
    return list(await session.scalars(query.order_by(*order).limit(limit).offset(offset)))
