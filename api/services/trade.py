"""P2 external purchase and sale — 外采外销 (000 §7; contract review 003 §5) as a service: filing a
partner, the lists of deals and tenders, the whole deal, and the marketing and finance acts on a
deal (each an Update of its workflow, sent once the actor may act on it)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select
from temporalio.client import Client
from temporalio.service import RPCError

from api.customer_gate import ensure_credit_code_may
from api.deps import load_actor
from api.errors import Invalid, NotFound, from_workflow
from api.gateway import get_process, handle_for, send_update, visible_processes
from api.starts import start_process
from api.visibility import require_deal_handler
from db.models import Customer, Process, TradeDeal, TradeTender
from domain.china_time import ChinaTime, china_day
from domain.customer_gate import CustomerOperation
from domain.models import Actor, ProcessStatus
from domain.rulebook import enforces
from domain.trade import MARKETING_ROLES, PROCESS_TYPE, partner_problems
from domain.trade_models import (
    BidIn,
    BidRequest,
    EvaluationIn,
    EvaluationRequest,
    PaymentFormIn,
    PaymentFormRequest,
    TenderStatus,
    TradeApplication,
    TradeInput,
    TradeStage,
    TradeState,
    TradeView,
)


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
    """A deal is read by whoever may read its process (api.visibility): its applicant and the
    people it names, its task holders, those copied on it, and the oversight roles."""
    return visible_processes(actor, query.join(Process, Process.process_id == key))


# The marketing work on a deal: only the people the deal names do it (000 §7; api.visibility).
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


async def readable_deal(session: AsyncSession, actor: Actor, process_id: str) -> Process:
    """The deal's process: 404 when `actor` may not read it or it is not a deal."""
    process = await get_process(session, actor, process_id)
    if process.process_type != PROCESS_TYPE:
        raise NotFound(f"process {process_id} is not an external-trade deal")
    return process


async def _deal(session: AsyncSession, actor: Actor, process_id: str, update: str) -> Process:
    """The deal's process: 404 when `actor` may not read it, 403 when they may but the update is
    the handlers' work and the deal does not name them."""
    process = await readable_deal(session, actor, process_id)
    if update in HANDLER_UPDATES:
        await require_deal_handler(session, actor, process)
    return process


async def act(
    session: AsyncSession, temporal: Client, actor: Actor, process_id: str, update: str, request: BaseModel
) -> TradeView:
    """Send `update` to the deal once `actor` may act on it; the deal as it then rests."""
    process = await _deal(session, actor, process_id, update)
    return await send_update(handle_for(temporal, process), update, request, result_type=TradeView)


async def _require_account_on_record(session: AsyncSession, process_id: str, form: PaymentFormIn) -> None:
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


async def _check_co_handlers(session: AsyncSession, application: TradeApplication) -> None:
    """A co-handler is an active marketing colleague (000 §7 (一): the marketing department's work)."""
    problems = []
    for username in application.co_handlers:
        colleague = await load_actor(session, username)
        if colleague is None or not any(colleague.has(role) for role in MARKETING_ROLES):
            problems.append(f"co_handler {username} is not an active user with a marketing role")
    if problems:
        raise Invalid(problems)


@enforces("000-7-marketing-screens")
async def file_application(
    session: AsyncSession, temporal: Client, task_queue: str, actor: Actor, application: TradeApplication
) -> TradeView:
    """Marketing files the partner's card and documents (000 §7 (四)); 422 names each problem."""
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
        task_queue=task_queue,
        result_type=TradeView,
    )


@enforces("000-7-state-owned-first")
async def list_deals(
    session: AsyncSession,
    actor: Actor,
    status: ProcessStatus | None,
    stage: TradeStage | None,
    limit: int,
    offset: int,
) -> list[TradeDeal]:
    """The deals `actor` may read, state-owned and state-controlled partners first (000 §7 (二))."""
    query = _visible(actor, select(TradeDeal), TradeDeal.process_id)
    if status:
        query = query.where(TradeDeal.status == status.value)
    if stage:
        query = query.where(TradeDeal.stage == stage.value)
    order = (TradeDeal.preferred.desc(), TradeDeal.started_at.desc())  # 000 §7 (二)
    return list(await session.scalars(query.order_by(*order).limit(limit).offset(offset)))


async def deal_state(session: AsyncSession, temporal: Client, actor: Actor, process_id: str) -> TradeState:
    """The whole deal as its workflow holds it (404 when `actor` may not read it)."""
    process = await readable_deal(session, actor, process_id)
    try:
        return await handle_for(temporal, process).query("state", result_type=TradeState)
    except RPCError as exc:
        raise from_workflow(exc) from exc


async def submit_bid(session: AsyncSession, temporal: Client, actor: Actor, process_id: str, bid: BidIn) -> TradeView:
    """A bid or a revision; 409 for a bidder on file whose status may not win a tender (004 §4-§6)."""
    await ensure_credit_code_may(session, CustomerOperation.award, bid.bidder.credit_code)
    return await act(session, temporal, actor, process_id, "submit_bid", BidRequest(actor=actor, bid=bid))


async def evaluate(
    session: AsyncSession, temporal: Client, actor: Actor, process_id: str, evaluation: EvaluationIn
) -> TradeView:
    """Marketing's ranking; a winner on file whose status may not win is 409 (004 §4-§6)."""
    if evaluation.ranking:
        await ensure_credit_code_may(session, CustomerOperation.award, evaluation.ranking[0])
    request = EvaluationRequest(actor=actor, evaluation=evaluation)
    return await act(session, temporal, actor, process_id, "evaluate", request)


async def file_payment(
    session: AsyncSession, temporal: Client, actor: Actor, process_id: str, form: PaymentFormIn
) -> TradeView:
    """A payment approval form (000 §7 (八)), to the counterparty's account on record only."""
    process = await _deal(session, actor, process_id, "file_payment")
    await _require_account_on_record(session, process_id, form)
    request = PaymentFormRequest(actor=actor, form=form)
    return await send_update(handle_for(temporal, process), "file_payment", request, result_type=TradeView)


async def list_tenders(
    session: AsyncSession, actor: Actor, status: TenderStatus | None, limit: int, offset: int
) -> list[TradeTender]:
    """Every tender of the deals `actor` may read, newest first."""
    query = _visible(actor, select(TradeTender), TradeTender.process_id)
    if status:
        query = query.where(TradeTender.status == status.value)
    order = (TradeTender.opened_at.desc(), TradeTender.number.desc())
    return list(await session.scalars(query.order_by(*order).limit(limit).offset(offset)))
