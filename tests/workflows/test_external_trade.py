"""External purchase and sale (000 §7, 003 §5) on the time-skipping server: the bidding deadline is a
durable timer, passed by skipping time; every approval runs through the real ApprovalChain."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from api.history import build_history
from db.models import Customer, CustomerLink, Notification, Task, TradeTender
from domain import errors
from domain.models import Actor, DecisionRequest
from domain.trade_models import (
    BidRequest,
    ContractRequest,
    EvaluationRequest,
    LeadershipDecisionRequest,
    NoAwardDecisionRequest,
    PaymentFormRequest,
    PaymentPaidRequest,
    SettlementRequest,
    SigningRequest,
    TenderRequest,
    TitleTransferRequest,
    TradeApplication,
    TradeInput,
    TradeState,
    TradeView,
)
from temporal_client import DATA_CONVERTER
from tests import trade_support as data
from tests.support import WorkerControl, record_history
from workflows.registry import WORKFLOWS

pytestmark = pytest.mark.asyncio(loop_scope="session")

PARTNER_STEPS = [("marketing_reviewer", "marketing_credit_review"), ("business_vp", "vp_review")]
PAYMENT_STEPS = ["finance_reviewer", "business_vp", "chief_accountant"]


def actor(role: str, username: str | None = None) -> Actor:
    return Actor(username=username or role, roles=[role])  # type: ignore[list-item]


LEADERSHIP = actor("leadership_meeting", "leadership_secretary")


class Deal:
    """One ExternalTrade workflow driven as its users would, through its updates."""

    def __init__(
        self, env: WorkflowEnvironment, handle: WorkflowHandle[Any, Any], sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        self.env, self.handle, self.sessions = env, handle, sessions

    @property
    def process_id(self) -> str:
        assert self.handle.result_run_id is not None
        return self.handle.result_run_id

    async def update(self, name: str, request: BaseModel | None = None) -> TradeView:
        args = [] if request is None else [request]
        return await self.handle.execute_update(name, args=args, result_type=TradeView)

    async def refused(self, name: str, request: BaseModel) -> ApplicationError:
        with pytest.raises(WorkflowUpdateFailedError) as failed:
            await self.update(name, request)
        cause = failed.value.cause
        assert isinstance(cause, ApplicationError)
        return cause

    async def state(self) -> TradeState:
        return await self.handle.query("state", result_type=TradeState)

    async def now(self) -> datetime:
        return await self.env.get_current_time()

    async def today(self) -> Any:
        return data.china_day(await self.now())

    async def task(self, role: str) -> Task:
        async with self.sessions() as session:
            rows = list(
                await session.scalars(
                    select(Task).where(Task.process_id == self.process_id, Task.status == "open", Task.role == role)
                )
            )
        assert len(rows) == 1, f"open {role} tasks: {[(t.step, t.role) for t in rows]}"
        return rows[0]

    async def decision(self, who: Actor, role: str, outcome: str = "approve", comment: str = "ok") -> DecisionRequest:
        task = await self.task(role)
        return DecisionRequest(
            task_id=task.task_id,
            step=task.step,
            outcome=outcome,  # type: ignore[arg-type]
            comment=comment,
            actor=who,
        )

    async def decide(
        self, who: str, outcome: str = "approve", comment: str = "ok", role: str | None = None
    ) -> TradeView:
        return await self.update("decide", await self.decision(actor(who), role or who, outcome, comment))

    async def leadership(self, outcome: str = "approve") -> TradeView:
        body = data.leadership(await self.today(), outcome)
        return await self.update("leadership_decision", LeadershipDecisionRequest(actor=LEADERSHIP, decision=body))

    async def review_winner(self, outcome: str = "approve") -> TradeView:
        """000 §7 (四): a top-ranked bidder who is not the reviewed partner is reviewed before the award."""
        view = await self.update("current")
        assert (view.stage, view.current_step) == ("partner_review", "marketing_credit_review")
        await self.decide("marketing_reviewer")
        if outcome != "approve":
            return await self.decide("business_vp", outcome, "该单位资信不足")
        await self.decide("business_vp")
        return await self.leadership()

    async def open_tender(self, days: int = 7) -> TradeView:
        body = data.tender(await self.now() + timedelta(days=days))
        return await self.update("open_tender", TenderRequest(actor=actor("sales_clerk"), tender=body))

    def bid_request(self, body: dict[str, Any], who: str = "sales_clerk") -> BidRequest:
        return BidRequest(actor=actor(who), bid=body)  # type: ignore[arg-type]

    async def bid(self, body: dict[str, Any], who: str = "sales_clerk") -> TradeView:
        return await self.update("submit_bid", self.bid_request(body, who))

    async def pass_deadline(self) -> TradeView:
        state = await self.state()
        deadline = state.tenders[-1].bidding_deadline
        await self.env.sleep(deadline - await self.now() + timedelta(minutes=1))
        return await self.update("current")

    async def evaluate(self, ranking: list[str] | None = None) -> TradeView:
        body = {"ranking": ranking, "rationale": "国有控股优先, 其次价格 (000 §7)"}
        return await self.update("evaluate", EvaluationRequest(actor=actor("sales_clerk"), evaluation=body))  # type: ignore[arg-type]

    async def draft(self, amount: str = "30000000.00") -> TradeView:
        request = ContractRequest(actor=actor("sales_clerk"), contract=data.contract(amount))  # type: ignore[arg-type]
        return await self.update("draft_contract", request)

    async def sign_and_transfer(self) -> TradeView:
        today = await self.today()
        signing = SigningRequest(actor=actor("sales_clerk"), signing=data.signing(today))  # type: ignore[arg-type]
        await self.update("sign_contract", signing)
        certificate = data.title_transfer(today)
        return await self.update(
            "record_title_transfer",
            TitleTransferRequest(actor=actor("sales_clerk"), certificate=certificate),  # type: ignore[arg-type]
        )

    def form(self, amount: str) -> PaymentFormRequest:
        return PaymentFormRequest(actor=actor("sales_clerk"), form=data.payment_form(amount, datetime.now().date()))  # type: ignore[arg-type]

    async def pay_and_settle(self, number: int) -> TradeView:
        paid = PaymentPaidRequest(
            actor=actor("finance_reviewer"), number=number, paid=data.paid(await self.now(), f"TX{number}")
        )  # type: ignore[arg-type]
        await self.update("record_payment", paid)
        body = data.settlement(await self.today(), f"RK-{number}")
        request = SettlementRequest(actor=actor("finance_reviewer"), number=number, settlement=body)  # type: ignore[arg-type]
        return await self.update("record_settlement", request)


async def start(
    env: WorkflowEnvironment,
    worker: WorkerControl,
    sessions: async_sessionmaker[AsyncSession],
    workflow_id: str | None = None,  # a deal saved as a history runs under its name (its children's ids derive)
    **application: Any,
) -> Deal:
    app = TradeApplication.model_validate(data.trade_application(**application))
    handle = await env.client.start_workflow(
        "ExternalTrade",
        TradeInput(application=app, applicant=actor("sales_clerk")),
        id=workflow_id or f"trade-{uuid.uuid4()}",
        task_queue=worker.task_queue,
    )
    deal = Deal(env, handle, sessions)
    await deal.update("current")
    return deal


async def approved_partner(
    env: WorkflowEnvironment, worker: WorkerControl, sessions: Any, workflow_id: str | None = None
) -> Deal:
    deal = await start(env, worker, sessions, workflow_id)
    for user, _ in PARTNER_STEPS:
        await deal.decide(user)
    view = await deal.leadership()
    assert view.stage == "tender_opening" and view.current_step == "tender_opening"
    return deal


THREE_BIDS = (
    ("郑州民营石化有限公司", "29500000.00", "private"),
    ("河南能源化工集团有限公司", "30000000.00", "state_controlled"),
    ("洛阳民营油品贸易有限公司", "29000000.00", "private"),
)


async def tender_with_bids(deal: Deal, bids: tuple[tuple[str, str, str], ...] = THREE_BIDS) -> list[str]:
    await deal.open_tender()
    codes = []
    for name, amount, ownership in bids:
        body = data.bid(name, amount, ownership)
        codes.append(body["bidder"]["credit_code"])
        await deal.bid(body)
    return codes


async def awarded(deal: Deal) -> list[str]:
    codes = await tender_with_bids(deal)
    closed = await deal.pass_deadline()
    assert closed.stage == "evaluation"
    await deal.evaluate()
    await deal.review_winner()
    view = await deal.decide("business_vp", "approve", "同意定标")
    assert view.stage == "contract_drafting" and view.customer_id is not None
    return codes


async def at_payment(deal: Deal) -> None:
    await awarded(deal)
    await deal.draft()
    await deal.decide("legal_reviewer", "approve", "合同条款合规")
    view = await deal.sign_and_transfer()
    assert view.stage == "payment" and view.outstanding == 30000000


async def approve_payment(deal: Deal) -> TradeView:
    views = [await deal.decide(user, "approve", "同意付款") for user in PAYMENT_STEPS]
    return views[-1]


# --- the tests --------------------------------------------------------------------------------------


@pytest.mark.rule(
    "000-7-chain",
    "000-7-state-owned-first",
    "000-7-customer-after-award",
    "000-7-payment-chain",
    "000-7-finance-pays-and-settles",
)
async def test_full_path_partner_to_settled_payments(
    time_env: WorkflowEnvironment, clock_worker: WorkerControl, sessions: async_sessionmaker[AsyncSession]
) -> None:
    deal = await start(time_env, clock_worker, sessions)
    view = await deal.update("current")
    assert (view.status, view.stage, view.current_step) == ("running", "partner_review", "marketing_credit_review")
    for user, step in PARTNER_STEPS:
        assert (await deal.task(user)).step == step
        await deal.decide(user, "approve", f"{step} 通过")
    assert (await deal.task("leadership_meeting")).step == "leadership_meeting"
    await deal.leadership()

    codes = await tender_with_bids(deal)
    closed = await deal.pass_deadline()
    assert closed.stage == "evaluation" and closed.current_step == "evaluation"
    proposal = (await deal.state()).tenders[0].proposed_ranking
    # 000 §7 (二): the state-controlled bidder first despite its higher price, then the cheaper private bids.
    assert [r.credit_code for r in proposal] == [codes[1], codes[2], codes[0]]
    await deal.evaluate()
    await deal.review_winner()  # the winner is not the partner reviewed at the start (000 §7 (四))
    assert (await deal.task("business_vp")).step == "award_approval"
    view = await deal.decide("business_vp", "approve", "同意定标")
    assert view.stage == "contract_drafting" and view.customer_id is not None
    async with sessions() as session:
        customer = await session.get(Customer, view.customer_id)
        assert customer is not None and customer.credit_code == codes[1] and customer.kind == "external_trade"

    await deal.draft()
    assert (await deal.task("legal_reviewer")).step == "legal_review"
    await deal.decide("legal_reviewer", "approve", "合同条款合规")
    view = await deal.sign_and_transfer()
    assert view.stage == "payment" and view.outstanding == 30000000

    # Two instalments (000 §7 (八)), each: finance audit → division leader → chief accountant → paid → settled.
    await deal.update("file_payment", deal.form("18000000.00"))
    view = await approve_payment(deal)
    assert view.outstanding == 12000000 and (await deal.task("finance_reviewer")).step == "record_payment"
    view = await deal.pay_and_settle(1)
    assert view.status == "running" and view.stage == "payment"
    await deal.update("file_payment", deal.form("12000000.00"))
    await approve_payment(deal)
    final = await deal.pay_and_settle(2)
    assert (final.status, final.stage, final.current_step, final.outstanding) == ("approved", "completed", None, 0)

    result = TradeView.model_validate(await deal.handle.result())
    assert result.status == "approved"
    state = await deal.state()
    assert state.leadership is not None and state.leadership.minutes_ref.startswith("领导班子会议纪要")
    assert [d.step for d in state.partner_decisions] == ["marketing_credit_review", "vp_review", "leadership_meeting"]
    assert state.tenders[0].award_decisions[0].actor == "business_vp"
    assert state.contract is not None and state.contract.title_transfer is not None
    assert [p.status for p in state.payments] == ["settled", "settled"] and state.settled_total == 30000000
    assert [d.actor for d in state.payments[0].decisions] == PAYMENT_STEPS

    history = await deal.handle.fetch_history()
    entries = build_history(history.events)
    actions = [(e.actor, e.action, e.step) for e in entries]
    assert ("leadership_secretary", "decision", "leadership_meeting") in actions
    assert [a for a in actions if a[1] == "bid"] == [("sales_clerk", "bid", "bidding")] * 3
    assert ("system", "tender_closed", "bidding") in actions
    assert ("sales_clerk", "evaluated", "evaluation") in actions
    assert ("system", "customer_created", None) in actions
    assert [a[0] for a in actions if a[1] == "decision" and a[2] == "chief_accountant_approval"] == [
        "chief_accountant"
    ] * 2
    assert entries[-1].action == "closed" and entries[-1].outcome == "approved"
    replay = await Replayer(workflows=WORKFLOWS, data_converter=DATA_CONVERTER).replay_workflow(history)
    assert replay.replay_failure is None


@pytest.mark.rule("000-7-business-after-meeting")
async def test_partner_documents_and_rejection(
    time_env: WorkflowEnvironment, clock_worker: WorkerControl, sessions: async_sessionmaker[AsyncSession]
) -> None:
    deal = await start(time_env, clock_worker, sessions, ownership="private")
    await deal.decide("marketing_reviewer")
    view = await deal.decide("business_vp", "reject", "该单位近两年有违约记录")
    assert (view.status, view.stage, view.current_step) == ("rejected", "rejected", None)
    async with sessions() as session:
        left = await session.scalars(select(Task).where(Task.process_id == deal.process_id, Task.status == "open"))
        assert list(left) == []


@pytest.mark.rule("000-7-three-bidders")
async def test_two_bids_no_award_then_reopen_and_award(
    time_env: WorkflowEnvironment, clock_worker: WorkerControl, sessions: async_sessionmaker[AsyncSession]
) -> None:
    deal = await approved_partner(time_env, clock_worker, sessions)
    await tender_with_bids(deal, THREE_BIDS[:2])
    view = await deal.pass_deadline()
    assert (view.stage, view.current_step) == ("no_award", "no_award")
    assert (await deal.task("sales_clerk")).step == "no_award_decision"
    state = await deal.state()
    assert state.tenders[0].status == "no_award" and len(state.tenders[0].bids) == 2
    too_early = await deal.refused(
        "evaluate", EvaluationRequest(actor=actor("sales_clerk"), evaluation={"rationale": "x"})
    )  # type: ignore[arg-type]
    assert too_early.type == errors.CONFLICT
    no_deadline = {"decision": "reopen", "reason": "投标人不足三家 (000 §7 (五))"}
    request = NoAwardDecisionRequest(actor=actor("sales_clerk"), decision=no_deadline)  # type: ignore[arg-type]
    assert (await deal.refused("no_award_decision", request)).type == errors.INVALID
    deadline = await deal.now() + timedelta(days=5)
    request = NoAwardDecisionRequest(
        actor=actor("sales_clerk"),
        decision={**no_deadline, "bidding_deadline": deadline.isoformat()},  # type: ignore[arg-type]
    )
    view = await deal.update("no_award_decision", request)
    assert (view.stage, view.tender_number) == ("bidding", 2)
    for name, amount, ownership in THREE_BIDS:
        await deal.bid(data.bid(name, amount, ownership))
    assert (await deal.pass_deadline()).stage == "evaluation"
    await deal.evaluate()
    await deal.review_winner()
    view = await deal.decide("business_vp", "approve", "同意定标")
    assert view.stage == "contract_drafting"
    state = await deal.state()
    assert [t.status for t in state.tenders] == ["no_award", "awarded"]
    assert state.tenders[0].no_award_decision is not None and state.tenders[0].no_award_decision.decision == "reopen"
    async with sessions() as session:
        rows = list(await session.scalars(select(TradeTender).where(TradeTender.process_id == deal.process_id)))
    assert sorted((r.number, r.status, r.bidder_count) for r in rows) == [(1, "no_award", 2), (2, "awarded", 3)]


async def test_no_award_cancel_ends_the_deal(
    time_env: WorkflowEnvironment, clock_worker: WorkerControl, sessions: async_sessionmaker[AsyncSession]
) -> None:
    deal = await approved_partner(time_env, clock_worker, sessions)
    await deal.open_tender()
    await deal.pass_deadline()
    body = {"decision": "cancel", "reason": "无人投标, 取消本次外采"}
    view = await deal.update("no_award_decision", NoAwardDecisionRequest(actor=actor("sales_clerk"), decision=body))  # type: ignore[arg-type]
    assert (view.status, view.stage) == ("withdrawn", "cancelled")
    assert (await deal.state()).tenders[0].status == "cancelled"


@pytest.mark.rule("000-7-tender-published")
async def test_late_bid_is_refused(
    time_env: WorkflowEnvironment, clock_worker: WorkerControl, sessions: async_sessionmaker[AsyncSession]
) -> None:
    deal = await approved_partner(time_env, clock_worker, sessions)
    early = await deal.refused("submit_bid", deal.bid_request(data.bid("早到石化有限公司", "100.00")))
    assert early.type == errors.CONFLICT and "not opened" in early.message
    await tender_with_bids(deal)
    deadline = (await deal.state()).tenders[0].bidding_deadline
    await deal.env.sleep(deadline - await deal.now() + timedelta(seconds=1))
    late = await deal.refused("submit_bid", deal.bid_request(data.bid("迟到石化有限公司", "28000000.00")))
    assert late.type == errors.CONFLICT
    assert late.message.startswith(f"bidding closed at {deadline.isoformat()}")
    state = await deal.state()
    assert len(state.tenders[0].bids) == 3 and state.stage == "evaluation"


@pytest.mark.rule("000-7-three-bidders")
async def test_bid_revised_before_deadline_keeps_every_revision(
    time_env: WorkflowEnvironment, clock_worker: WorkerControl, sessions: async_sessionmaker[AsyncSession]
) -> None:
    deal = await approved_partner(time_env, clock_worker, sessions)
    codes = await tender_with_bids(deal, THREE_BIDS[:2])
    name, _, ownership = THREE_BIDS[0]
    await deal.env.sleep(timedelta(days=1))
    await deal.bid(data.bid(name, "28800000.00", ownership, credit_code=codes[0]), who="marketing_reviewer")
    state = await deal.state()
    bids = state.tenders[0].bids
    assert len(bids) == 2  # a revision, not a new bidder
    assert [(r.revision, str(r.amount), r.by) for r in bids[0].revisions] == [
        (1, "29500000.00", "sales_clerk"),
        (2, "28800000.00", "marketing_reviewer"),
    ]
    assert bids[0].revisions[1].at > bids[0].revisions[0].at
    # Two distinct bidders however many revisions: no award (000 §7 (五)).
    assert (await deal.pass_deadline()).stage == "no_award"
    async with sessions() as session:
        row = await session.get(TradeTender, f"{deal.process_id}:1")
        assert row is not None and len(row.bids[0]["revisions"]) == 2  # auditors see every revision


@pytest.mark.rule("003-5-legal-review-before-signing")
async def test_legal_return_and_re_review(
    time_env: WorkflowEnvironment, clock_worker: WorkerControl, sessions: async_sessionmaker[AsyncSession]
) -> None:
    deal = await approved_partner(time_env, clock_worker, sessions)
    await awarded(deal)
    await deal.draft("31000000.00")
    no_reason = await deal.decision(actor("legal_reviewer"), "legal_reviewer", "return", "")
    assert (await deal.refused("decide", no_reason)).type == errors.INVALID
    view = await deal.decide("legal_reviewer", "return", "违约责任条款缺失, 金额与中标价不一致")
    assert (view.stage, view.current_step) == ("contract_drafting", "contract_drafting")
    sign_now = SigningRequest(actor=actor("sales_clerk"), signing=data.signing(await deal.today()))  # type: ignore[arg-type]
    assert (await deal.refused("sign_contract", sign_now)).type == errors.CONFLICT
    await deal.draft("30000000.00")
    task = await deal.task("legal_reviewer")
    assert task.round == 2
    view = await deal.decide("legal_reviewer", "approve", "修改后合规")
    assert view.stage == "contract_signing"
    state = await deal.state()
    assert state.contract is not None
    assert [(d.revision, str(d.amount)) for d in state.contract.drafts] == [(1, "31000000.00"), (2, "30000000.00")]
    assert [(d.round, d.outcome) for d in state.contract.review_decisions] == [(1, "return"), (2, "approve")]


@pytest.mark.rule("000-7-payment-form")
async def test_payment_above_outstanding_is_refused(
    time_env: WorkflowEnvironment, clock_worker: WorkerControl, sessions: async_sessionmaker[AsyncSession]
) -> None:
    deal = await approved_partner(time_env, clock_worker, sessions)
    await at_payment(deal)
    too_much = await deal.refused("file_payment", deal.form("30000000.01"))
    assert too_much.type == errors.INVALID and "outstanding amount 30000000.00" in too_much.message
    view = await deal.update("file_payment", deal.form("20000000.00"))
    assert view.outstanding == 10000000
    # The form still in approval counts against the outstanding amount.
    pending = await deal.refused("file_payment", deal.form("10000000.01"))
    assert "in approval 20000000.00" in pending.message
    # A rejected form frees its amount; the deal goes on.
    await deal.decide("finance_reviewer", "approve", "单据齐全")
    view = await deal.decide("business_vp", "reject", "付款时间早于合同约定")
    assert view.status == "running" and view.outstanding == 30000000
    assert (await deal.state()).payments[0].status == "rejected"
    paid_early = PaymentPaidRequest(actor=actor("finance_reviewer"), number=1, paid=data.paid(await deal.now(), "TX"))  # type: ignore[arg-type]
    assert (await deal.refused("record_payment", paid_early)).type == errors.CONFLICT
    missing = PaymentPaidRequest(actor=actor("finance_reviewer"), number=9, paid=data.paid(await deal.now(), "TX"))  # type: ignore[arg-type]
    assert (await deal.refused("record_payment", missing)).type == errors.NOT_FOUND


@pytest.mark.rule("000-7-chain", "000-7-title-transfer", "000-7-payment-chain", "000-7-finance-pays-and-settles")
async def test_wrong_roles_are_refused_at_each_step(
    time_env: WorkflowEnvironment, clock_worker: WorkerControl, sessions: async_sessionmaker[AsyncSession]
) -> None:
    deal = await start(time_env, clock_worker, sessions)

    async def forbidden(name: str, request: BaseModel) -> None:
        refusal = await deal.refused(name, request)
        assert refusal.type == errors.FORBIDDEN, refusal.message

    # Partner chain: each step needs its role; one person cannot decide two steps; the applicant never decides.
    await forbidden("decide", await deal.decision(actor("business_vp"), "marketing_reviewer"))
    await forbidden(
        "decide",
        await deal.decision(
            Actor(username="sales_clerk", roles=["sales_clerk", "marketing_reviewer"]), "marketing_reviewer"
        ),
    )  # type: ignore[list-item]
    both = Actor(username="double_hat", roles=["marketing_reviewer", "business_vp"])  # type: ignore[list-item]
    await deal.update("decide", await deal.decision(both, "marketing_reviewer"))
    await forbidden("decide", await deal.decision(both, "business_vp"))
    await deal.decide("business_vp")
    # The leadership meeting decides only through its minutes, and only the meeting's recorder.
    via_inbox = await deal.refused("decide", await deal.decision(LEADERSHIP, "leadership_meeting"))
    assert via_inbox.type == errors.INVALID and "leadership-decision" in via_inbox.message
    body = data.leadership(await deal.today())
    await forbidden("leadership_decision", LeadershipDecisionRequest(actor=actor("general_manager"), decision=body))  # type: ignore[arg-type]
    future = data.leadership(await deal.today() + timedelta(days=2))
    wrong_date = LeadershipDecisionRequest(actor=LEADERSHIP, decision=future)  # type: ignore[arg-type]
    assert (await deal.refused("leadership_decision", wrong_date)).type == errors.INVALID
    await deal.leadership()

    deadline = await deal.now() + timedelta(days=3)
    await forbidden("open_tender", TenderRequest(actor=actor("finance_reviewer"), tender=data.tender(deadline)))  # type: ignore[arg-type]
    await deal.open_tender()
    await forbidden("submit_bid", deal.bid_request(data.bid("越权石化", "1.00"), who="legal_reviewer"))
    for name, amount, ownership in THREE_BIDS:
        await deal.bid(data.bid(name, amount, ownership))
    await deal.pass_deadline()
    await forbidden("evaluate", EvaluationRequest(actor=actor("business_vp"), evaluation={"rationale": "x"}))  # type: ignore[arg-type]
    await deal.evaluate()
    await deal.review_winner()
    await forbidden("decide", await deal.decision(actor("general_manager"), "business_vp"))
    await deal.decide("business_vp")
    await forbidden("draft_contract", ContractRequest(actor=actor("legal_reviewer"), contract=data.contract()))  # type: ignore[arg-type]
    await deal.draft()
    await forbidden("decide", await deal.decision(actor("marketing_reviewer"), "legal_reviewer"))
    await deal.decide("legal_reviewer")
    today = await deal.today()
    await forbidden("sign_contract", SigningRequest(actor=actor("finance_reviewer"), signing=data.signing(today)))  # type: ignore[arg-type]
    transfer_first = TitleTransferRequest(actor=actor("sales_clerk"), certificate=data.title_transfer(today))  # type: ignore[arg-type]
    assert (await deal.refused("record_title_transfer", transfer_first)).type == errors.CONFLICT
    await deal.sign_and_transfer()

    wrong_filer = PaymentFormRequest(actor=actor("finance_reviewer"), form=data.payment_form("1.00", today))  # type: ignore[arg-type]
    await forbidden("file_payment", wrong_filer)
    await deal.update("file_payment", deal.form("30000000.00"))
    for user in PAYMENT_STEPS:
        await forbidden("decide", await deal.decision(actor("sales_clerk", "another_clerk"), user))
        await deal.decide(user)
    paid = data.paid(await deal.now(), "TX1")
    await forbidden("record_payment", PaymentPaidRequest(actor=actor("sales_clerk"), number=1, paid=paid))  # type: ignore[arg-type]
    await deal.update("record_payment", PaymentPaidRequest(actor=actor("finance_reviewer"), number=1, paid=paid))  # type: ignore[arg-type]
    settle = data.settlement(today, "RK-1")
    await forbidden(
        "record_settlement", SettlementRequest(actor=actor("chief_accountant"), number=1, settlement=settle)
    )  # type: ignore[arg-type]
    final = await deal.update(
        "record_settlement", SettlementRequest(actor=actor("finance_reviewer"), number=1, settlement=settle)
    )  # type: ignore[arg-type]
    assert final.status == "approved"


async def test_worker_restart_in_the_middle_of_the_tender(
    time_env: WorkflowEnvironment, sessions: async_sessionmaker[AsyncSession]
) -> None:
    # No workflow cache: every task after a restart replays the history from scratch.
    worker = WorkerControl(time_env.client, f"trade-restart-{uuid.uuid4()}", sessions, cache=False)
    await worker.start()
    try:
        deal = await approved_partner(time_env, worker, sessions)
        await deal.open_tender()
        first = data.bid(*THREE_BIDS[0])
        await deal.bid(first)
        await worker.stop()
        await time_env.sleep(timedelta(days=2))  # nobody polls while the worker is down
        await worker.start()
        await deal.bid({**first, "amount": "29100000.00"})  # a revision after the restart
        await deal.bid(data.bid(*THREE_BIDS[1]))
        await worker.stop()
        await worker.start()
        await deal.bid(data.bid(*THREE_BIDS[2]))
        view = await deal.pass_deadline()
        assert view.stage == "evaluation"
        state = await deal.state()
        assert [len(b.revisions) for b in state.tenders[0].bids] == [2, 1, 1]
        await deal.evaluate()
        await deal.review_winner()
        assert (await deal.decide("business_vp")).stage == "contract_drafting"
        async with sessions() as session:
            tasks = list(await session.scalars(select(Task).where(Task.process_id == deal.process_id)))
        assert [t.step for t in tasks].count("evaluation") == 1  # the closing happened exactly once
    finally:
        await worker.stop()


async def test_award_return_re_ranks_and_reject_asks_to_reopen_or_cancel(
    time_env: WorkflowEnvironment, clock_worker: WorkerControl, sessions: async_sessionmaker[AsyncSession]
) -> None:
    deal = await approved_partner(time_env, clock_worker, sessions)
    codes = await tender_with_bids(deal)
    await deal.pass_deadline()
    await deal.evaluate()
    await deal.review_winner()
    view = await deal.decide("business_vp", "return", "请说明为何不选最低价")
    assert (view.stage, view.current_step) == ("evaluation", "evaluation")
    cheapest_first = [codes[2], codes[1], codes[0]]
    await deal.evaluate(cheapest_first)
    await deal.review_winner()  # a new first-ranked bidder: its own review
    assert (await deal.task("business_vp")).round == 2
    view = await deal.decide("business_vp", "reject", "价格均高于市场价, 不予定标")
    assert (view.stage, view.current_step) == ("no_award", "no_award")
    tender = (await deal.state()).tenders[0]
    assert tender.status == "award_refused"
    assert [e.follows_proposal for e in tender.evaluations] == [True, False]
    assert [r.credit_code for r in tender.evaluations[1].ranking] == cheapest_first
    assert [(d.round, d.outcome) for d in tender.award_decisions] == [(1, "return"), (2, "reject")]
    body = {"decision": "cancel", "reason": "市场价格下行, 暂停本次外采"}
    view = await deal.update("no_award_decision", NoAwardDecisionRequest(actor=actor("sales_clerk"), decision=body))  # type: ignore[arg-type]
    assert (view.status, view.stage, view.current_step) == ("withdrawn", "cancelled", None)


async def test_winner_who_already_is_a_customer_is_reused(
    time_env: WorkflowEnvironment, clock_worker: WorkerControl, sessions: async_sessionmaker[AsyncSession]
) -> None:
    known = data.bid("河南省石油储备有限公司", "30500000.00", "state_owned")
    card = known["bidder"]
    async with sessions.begin() as session:
        existing = Customer(
            credit_code=card["credit_code"],
            name=card["name"],
            kind="allocation_settlement",
            address=card["address"],
            legal_representative=card["legal_representative"],
            phone=card["phone"],
            card=card,
            onboarding_process_id=f"earlier-{uuid.uuid4()}",
            trading_since=datetime.now().date(),
            created_at=datetime.now().astimezone(),
            created_by="general_manager",
            unit_code="HQ",
        )
        session.add(existing)
        await session.flush()
        existing_id = existing.id
    deal = await approved_partner(time_env, clock_worker, sessions)
    await deal.open_tender()
    for body in (known, *(data.bid(*b) for b in THREE_BIDS[::2])):
        await deal.bid(body)
    await deal.pass_deadline()
    await deal.evaluate()
    await deal.review_winner()  # an onboarded customer has not passed the 000 §7 (四) partner review
    view = await deal.decide("business_vp", "approve", "同意定标")
    assert view.customer_id == existing_id
    async with sessions() as session:
        same_code = await session.scalars(select(Customer).where(Customer.credit_code == card["credit_code"]))
        assert [c.id for c in same_code] == [existing_id]
        link = await session.get(CustomerLink, deal.process_id)
        assert link is not None and (link.customer_id, link.created, link.process_type) == (
            existing_id,
            False,
            "external_trade",
        )


@pytest.mark.rule("000-7-award-by-procedure")
async def test_award_waits_for_the_winners_partner_review(
    time_env: WorkflowEnvironment, clock_worker: WorkerControl, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """000 §7 (四)/(五): a winner who skipped the partner review is reviewed before the award, and
    the customer it becomes carries the documents that review examined."""
    deal = await approved_partner(time_env, clock_worker, sessions)
    codes = await tender_with_bids(deal)
    no_file = {**data.bid("无资质石化有限公司", "1000.00"), "documents": []}
    refused = await deal.refused("submit_bid", deal.bid_request(no_file))
    assert refused.type == errors.INVALID and "000 §7 (四)" in refused.message
    await deal.pass_deadline()
    view = await deal.evaluate()
    assert (view.stage, view.current_step) == ("partner_review", "marketing_credit_review")
    async with sessions() as session:
        open_steps = await session.scalars(
            select(Task.step).where(Task.process_id == deal.process_id, Task.status == "open")
        )
        assert list(open_steps) == ["marketing_credit_review"]  # no award task before the review
    early = LeadershipDecisionRequest(actor=LEADERSHIP, decision=data.leadership(await deal.today()))  # type: ignore[arg-type]
    assert (await deal.refused("leadership_decision", early)).type == errors.CONFLICT
    await deal.decide("marketing_reviewer")
    await deal.decide("business_vp")
    view = await deal.leadership()
    assert (view.stage, view.current_step) == ("award_approval", "award_approval")
    view = await deal.decide("business_vp", "approve", "同意定标")
    assert view.stage == "contract_drafting" and view.customer_id is not None

    state = await deal.state()
    (review,) = state.winner_reviews
    assert (review.credit_code, review.passed) == (codes[1], True)
    assert [d.step for d in review.decisions] == ["marketing_credit_review", "vp_review", "leadership_meeting"]
    assert review.leadership is not None and state.leadership is not None  # the partner's record is kept
    async with sessions() as session:
        customer = await session.get(Customer, view.customer_id)
        assert customer is not None and customer.credit_code == codes[1]
        assert sorted(d.type for d in customer.documents) == sorted(d.type.value for d in review.documents)
        assert customer.documents
        link = await session.get(CustomerLink, deal.process_id)
        assert link is not None and (link.customer_id, link.created) == (customer.id, True)
    history = await deal.handle.fetch_history()
    record_history("trade_winner_reviewed_then_awarded", history)
    replay = await Replayer(workflows=WORKFLOWS, data_converter=DATA_CONVERTER).replay_workflow(history)
    assert replay.replay_failure is None


@pytest.mark.rule("000-7-award-by-procedure")
async def test_winner_refused_in_partner_review_is_not_awarded(
    time_env: WorkflowEnvironment, clock_worker: WorkerControl, sessions: async_sessionmaker[AsyncSession]
) -> None:
    deal = await approved_partner(time_env, clock_worker, sessions)
    await tender_with_bids(deal)
    await deal.pass_deadline()
    await deal.evaluate()
    view = await deal.review_winner("reject")
    assert (view.stage, view.current_step, view.customer_id) == ("no_award", "no_award", None)
    state = await deal.state()
    assert state.tenders[0].status == "award_refused" and state.winner_reviews[0].passed is False


async def test_a_trade_step_past_its_deadline_escalates_level_by_level(
    time_env: WorkflowEnvironment, clock_worker: WorkerControl, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """Issue 20 item 13: a trade approval step is due in its declared working days (domain/trade.py);
    past it the task is overdue and each level of its ladder gets a 督办 task, once, by the clock alone."""
    deal = await start(time_env, clock_worker, sessions)
    review = await deal.task("marketing_reviewer")
    assert review.step == "marketing_credit_review" and review.due_at is not None and not review.overdue
    due = review.due_at if review.due_at.tzinfo else review.due_at.replace(tzinfo=UTC)
    await time_env.sleep(due - await deal.now() + timedelta(minutes=1))
    assert await trade_escalations(deal) == ["marketing_manager"]
    review = await deal.task("marketing_reviewer")
    assert review.overdue and review.escalation_level == 1
    assert (await deal.task("marketing_manager")).step == "supervise_marketing_credit_review"
    await time_env.sleep(timedelta(days=30))  # every further level, each exactly once
    assert await trade_escalations(deal) == ["marketing_manager", "business_vp", "general_manager"]
    await deal.decide("marketing_reviewer")
    vp = await deal.task("business_vp")
    assert vp.step == "vp_review" and vp.due_at is not None and not vp.overdue
    history = await deal.handle.fetch_history()
    entries = build_history(history.events)
    assert [e.actor for e in entries if e.action == "escalation"] == ["system"] * 3
    record_history("trade_step_escalated_three_levels", history)
    replay = await Replayer(workflows=WORKFLOWS, data_converter=DATA_CONVERTER).replay_workflow(history)
    assert replay.replay_failure is None


async def trade_escalations(deal: Deal) -> list[str | None]:
    async with deal.sessions() as session:
        rows = await session.scalars(
            select(Notification)
            .where(Notification.process_id == deal.process_id, Notification.kind == "escalation")
            .order_by(Notification.id)
        )
        return [n.recipient_role for n in rows]
