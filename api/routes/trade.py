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

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status

from api.deps import CurrentActor, SessionDep, TemporalDep, require_any_role
from api.idempotency import idempotent
from api.params import Offset, PaymentNumber
from api.services import trade
from api.services.trade import TenderOut, TradeDealOut
from db.models import TradeDeal, TradeTender
from domain.models import Actor, ProcessStatus
from domain.roles import Role
from domain.trade import FINANCE_ROLES, MARKETING_ROLES
from domain.trade_models import (
    BidIn,
    ContractIn,
    ContractRequest,
    EvaluationIn,
    LeadershipDecisionIn,
    LeadershipDecisionRequest,
    NoAwardDecisionIn,
    NoAwardDecisionRequest,
    PaymentFormIn,
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
    TradeStage,
    TradeState,
    TradeView,
)

TAG = "external trade (000 §7)"
router = APIRouter(tags=[TAG])
Marketing = Annotated[Actor, Depends(require_any_role(*MARKETING_ROLES))]
Finance = Annotated[Actor, Depends(require_any_role(*FINANCE_ROLES))]
LeadershipRecorder = Annotated[Actor, Depends(require_any_role(Role.leadership_meeting))]


@router.post(
    "/trade",
    status_code=status.HTTP_201_CREATED,
    response_model=TradeView,
    summary="File a partner's credit application (000 §7 (四))",
)
@idempotent
async def apply(
    application: TradeApplication, request: Request, session: SessionDep, temporal: TemporalDep, actor: Marketing
) -> TradeView:
    """Marketing files the partner's card and documents: items 1-6 always, the provincial fuel-oil
    approval for fuel-oil partners, a business scope naming naphtha for naphtha partners (422 names
    each problem). State-owned and state-controlled partners are flagged and listed first. The
    deal then waits for marketing's credit review."""
    return await trade.file_application(session, temporal, request.app.state.task_queue, actor, application)


@router.get("/trade", response_model=list[TradeDealOut], summary="List deals, state-owned/controlled partners first")
async def list_deals(
    actor: CurrentActor,
    session: SessionDep,
    status_: Annotated[ProcessStatus | None, Query(alias="status")] = None,
    stage: TradeStage | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Offset = 0,
) -> list[TradeDeal]:
    return await trade.list_deals(session, actor, status_, stage, limit, offset)


@router.get("/trade/{process_id}", response_model=TradeState, summary="The whole deal, as auditors see it")
async def get_deal(process_id: str, actor: CurrentActor, session: SessionDep, temporal: TemporalDep) -> TradeState:
    """Partner and its approval (with the leadership meeting's minutes), every tender with every bid
    and revision, the proposed and the approved ranking, the award, the customer, the contract with
    its drafts and legal reviews, signing, the title transfer and every payment with its approvals."""
    return await trade.deal_state(session, temporal, actor, process_id)


@router.post("/trade/{process_id}/leadership-decision", response_model=TradeView, summary="Leadership meeting decision")
async def leadership_decision(
    process_id: str, body: LeadershipDecisionIn, session: SessionDep, temporal: TemporalDep, actor: LeadershipRecorder
) -> TradeView:
    """The company leadership meeting's collective decision (000 §7 (四)), recorded by its secretary
    with the meeting date, at least two attendees and the minutes reference; approve starts the tender."""
    request = LeadershipDecisionRequest(actor=actor, decision=body)
    return await trade.act(session, temporal, actor, process_id, "leadership_decision", request)


@router.post("/trade/{process_id}/tender", response_model=TradeView, summary="Open the tender (000 §7 (五))")
async def open_tender(
    process_id: str, body: TenderIn, session: SessionDep, temporal: TemporalDep, actor: Marketing
) -> TradeView:
    """Publish the trading conditions to the invited range with a bidding deadline (a durable timer)."""
    return await trade.act(session, temporal, actor, process_id, "open_tender", TenderRequest(actor=actor, tender=body))


@router.post("/trade/{process_id}/bids", response_model=TradeView, summary="Record a bid or a revision")
@idempotent
async def submit_bid(
    process_id: str, body: BidIn, session: SessionDep, temporal: TemporalDep, actor: Marketing
) -> TradeView:
    """Marketing records a bid on the bidder's behalf before the deadline; the same credit code again
    is a revision (every revision is kept). After the deadline: 409 "bidding closed at …"; 409 for a
    bidder on file whose status may not win a tender (004 §4-§6)."""
    return await trade.submit_bid(session, temporal, actor, process_id, body)


@router.post(
    "/trade/{process_id}/tender/no-award-decision", response_model=TradeView, summary="Re-open or cancel a tender"
)
async def no_award_decision(
    process_id: str, body: NoAwardDecisionIn, session: SessionDep, temporal: TemporalDep, actor: Marketing
) -> TradeView:
    """Fewer than three bidders at the deadline, or the award refused: marketing re-opens the tender
    with a new deadline (a new tender number, earlier bids kept for auditors) or cancels the deal."""
    request = NoAwardDecisionRequest(actor=actor, decision=body)
    return await trade.act(session, temporal, actor, process_id, "no_award_decision", request)


@router.post("/trade/{process_id}/evaluation", response_model=TradeView, summary="Rank the bids")
async def evaluate(
    process_id: str, body: EvaluationIn, session: SessionDep, temporal: TemporalDep, actor: Marketing
) -> TradeView:
    """Marketing's ranking (omit `ranking` to adopt the proposal: state-owned/controlled first, then the
    better price); the award then waits for the business VP's approval in the inbox. A winner on file
    whose status may not win (suspended, past, terminated, destroyed) is 409 (004 §4-§6); the award
    is checked again when the customer is created."""
    return await trade.evaluate(session, temporal, actor, process_id, body)


@router.post("/trade/{process_id}/contract", response_model=TradeView, summary="Draft or revise the contract")
async def draft_contract(
    process_id: str, body: ContractIn, session: SessionDep, temporal: TemporalDep, actor: Marketing
) -> TradeView:
    """The business contract with the awarded counterpart; legal reviews it next (003 §5) and may
    return it, after which marketing posts the revision here."""
    request = ContractRequest(actor=actor, contract=body)
    return await trade.act(session, temporal, actor, process_id, "draft_contract", request)


@router.post("/trade/{process_id}/contract/sign", response_model=TradeView, summary="Record the signed contract")
async def sign_contract(
    process_id: str, body: SigningIn, session: SessionDep, temporal: TemporalDep, actor: Marketing
) -> TradeView:
    request = SigningRequest(actor=actor, signing=body)
    return await trade.act(session, temporal, actor, process_id, "sign_contract", request)


@router.post("/trade/{process_id}/title-transfer", response_model=TradeView, summary="Record the title transfer")
async def title_transfer(
    process_id: str, body: TitleTransferIn, session: SessionDep, temporal: TemporalDep, actor: Marketing
) -> TradeView:
    """The title-transfer certificate 物权转移证明 signed after the contract (000 §7 (七))."""
    request = TitleTransferRequest(actor=actor, certificate=body)
    return await trade.act(session, temporal, actor, process_id, "record_title_transfer", request)


@router.post("/trade/{process_id}/payments", response_model=TradeView, summary="File a payment approval form")
@idempotent
async def file_payment(
    process_id: str, body: PaymentFormIn, session: SessionDep, temporal: TemporalDep, actor: Marketing
) -> TradeView:
    """000 §7 (八): per the contract's payment terms; several instalments, never above the outstanding
    amount (contract less paid less forms still in approval: 422). Approved by finance → division
    leader → chief accountant from their inboxes."""
    return await trade.file_payment(session, temporal, actor, process_id, body)


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
    return await trade.act(session, temporal, actor, process_id, "record_payment", request)


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
    return await trade.act(session, temporal, actor, process_id, "record_settlement", request)


@router.get("/tenders", response_model=list[TenderOut], summary="List tenders by status")
async def list_tenders(
    actor: CurrentActor,
    session: SessionDep,
    status_: Annotated[TenderStatus | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Offset = 0,
) -> list[TradeTender]:
    """Every tender with its bids, revisions and ranking: auditors see all, others the deals they work on."""
    return await trade.list_tenders(session, actor, status_, limit, offset)
