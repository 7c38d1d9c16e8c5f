"""P2 external purchase and sale — 外采外销 (000 §7; contract review 003 §5).

One workflow carries the whole deal for weeks: the partner's credit approval (marketing →
business VP → leadership meeting), the tender with a durable bidding deadline (three or more
bidders, else re-open or cancel), the ranking and its approval, the counterpart becoming a
customer, the contract (legal may return it), signing, the title-transfer certificate, and any
number of payment forms, each approved by finance → division leader → chief accountant, then
paid and settled. Every approval runs through `ApprovalChain`, one instance per approval, so
"one person cannot decide two steps" holds per chain.

A deal has lanes that rest on their own: the main line and each payment form. An update waits
until the lane it moved rests again (its next task is in an inbox), so the API reads its writes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import partial

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.trade_store import TradeStore, TradeSync
    from domain import errors
    from domain.approvals import ChainSpec, Outcome
    from domain.china_time import china_iso
    from domain.models import (
        Actor,
        CustomerCreation,
        CustomerKind,
        DecisionRequest,
        ProcessStatus,
        TaskClosure,
        TaskSpec,
    )
    from domain.roles import ROLE_TITLES, Role
    from domain.rulebook import enforces
    from domain.trade import (
        AWARD_CHAIN,
        CONTRACT_REVIEW_CHAIN,
        FINANCE_ROLES,
        LEADERSHIP_STEP,
        MARKETING_ROLES,
        MIN_BIDDERS,
        PARTNER_CHAIN,
        PAYMENT_CHAIN,
        PROCESS_TYPE,
        is_preferred,
        outstanding_amount,
        partner_problems,
        rank_key,
    )
    from domain.trade_models import (
        Bid,
        BidIn,
        BidRequest,
        BidRevision,
        Contract,
        ContractDraft,
        ContractRequest,
        Evaluation,
        EvaluationRequest,
        LeadershipDecisionRequest,
        LeadershipRecord,
        NoAwardDecision,
        NoAwardDecisionRequest,
        Payment,
        PaymentFormRequest,
        PaymentPaidRequest,
        PaymentRecord,
        PaymentStatus,
        RankedBid,
        Settlement,
        SettlementRequest,
        Signing,
        SigningRequest,
        Tender,
        TenderClosure,
        TenderIn,
        TenderRequest,
        TenderStatus,
        TitleTransfer,
        TitleTransferRequest,
        TradeInput,
        TradeProjection,
        TradeStage,
        TradeState,
        TradeView,
        WinnerReview,
    )
    from workflows.activity_calls import store, write
    from workflows.approval import ApprovalChain, ApprovalHost, ProcessRef, holders_of
    from workflows.kernel import Kernel, Lane, Outbox

# 000 §7 (四)/(五): a winning bidder who is not the reviewed partner gets the partner credit review
# before the award, and its customer record carries the documents reviewed. Deals whose history
# passed the award without it replay the way they ran.
WINNER_REVIEW_PATCH = "winner-partner-review"
# Issue 20 item 13: every trade approval step has its declared working-day deadline (domain/trade.py),
# reminder and escalation. A chain opened by a deal whose history predates it runs without, as it did.
STEP_DEADLINES_PATCH = "trade-step-deadlines"
CHINA_OFFSET = timedelta(hours=8)  # dates people write (meetings, signatures) are China dates; no DST
ZERO = Decimal("0")


@dataclass
class WorkStep:
    """A non-approval step in someone's inbox (open the tender, draft the contract, pay, ...)."""

    spec: TaskSpec
    roles: tuple[Role, ...]
    lane: Lane
    done: bool = False


def _refuse(message: str, kind: str = errors.CONFLICT) -> ApplicationError:
    return ApplicationError(message, type=kind)


@workflow.defn(name="ExternalTrade")
class ExternalTradeWorkflow(ApprovalHost):
    @workflow.init
    def __init__(self, start: TradeInput) -> None:
        info = workflow.info()
        self.application = start.application
        self.applicant = start.applicant.username
        self.ref = ProcessRef(
            process_id=info.run_id,
            workflow_id=info.workflow_id,
            process_type=PROCESS_TYPE,
            subject=start.application.partner.name,
            applicant=start.applicant.username,
        )
        self.started_at = workflow.now()
        self.status = ProcessStatus.running
        self.stage = TradeStage.partner_review
        self.kernel = Kernel(self._write, self.ref)
        self.main = self.kernel.main
        self.version = 0
        self.partner = self._chain(PARTNER_CHAIN, self.applicant, self.main, "资信审批")
        self.leadership: LeadershipRecord | None = None
        # Winners reviewed in this deal (000 §7 (四)), by credit code; the review under way.
        self.winner_reviews: dict[str, ApprovalChain] = {}
        self.winner_files: dict[str, WinnerReview] = {}
        self.reviewing = self.partner
        self.tenders: list[Tender] = []
        self.award_chains: dict[int, ApprovalChain] = {}
        self.customer_id: int | None = None
        self.contract: Contract | None = None
        self.contract_review: ApprovalChain | None = None
        self.payments: list[Payment] = []
        self.payment_lanes: dict[int, ApprovalChain] = {}
        self.work: dict[str, WorkStep] = {}

    # --- the deal ---------------------------------------------------------------------------------

    @workflow.run
    async def run(self, start: TradeInput) -> TradeView:
        return await self.kernel.guard(self._run(start))

    @enforces("000-7-business-after-meeting")
    async def _run(self, start: TradeInput) -> TradeView:
        if await self.partner.run() is Outcome.approve:  # 000 §7 (四): "通过后方可开展业务"
            await self._deal()
        else:
            self._end(ProcessStatus.rejected, TradeStage.rejected)
        await self._rest(self.main)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.view()

    @enforces("000-7-customer-after-award")
    async def _deal(self) -> None:
        self.stage = TradeStage.tender_opening
        await self._await_work("open_tender", "发布招标条件 Open the tender", MARKETING_ROLES)
        winner = await self._select_counterpart()
        if winner is None:
            return
        await self._create_customer(winner)
        self.contract = Contract(counterpart_credit_code=winner.bidder.credit_code, counterpart_name=winner.bidder.name)
        if not await self._contract_approved():
            self._end(ProcessStatus.rejected, TradeStage.rejected)
            return
        self.stage = TradeStage.contract_signing
        await self._await_work("contract_signing", "签订业务合同 Sign the contract", MARKETING_ROLES)
        self.stage = TradeStage.title_transfer
        await self._await_work("title_transfer", "签订物权转移证明 Title-transfer certificate", MARKETING_ROLES)
        self.stage = TradeStage.payment
        await self._rest(self.main)
        await workflow.wait_condition(lambda: self.stage is TradeStage.completed)

    async def _select_counterpart(self) -> Bid | None:
        """000 §7 (五): tender rounds until one is awarded; None when marketing cancels."""
        while True:
            tender = self.tenders[-1]
            await self._bidding(tender)
            if tender.status is TenderStatus.evaluation and await self._evaluate_and_award(tender):
                assert tender.winner_credit_code is not None
                winner = tender.bid_of(tender.winner_credit_code)
                assert winner is not None
                return winner
            self.stage = TradeStage.no_award
            await self._await_work("no_award_decision", "未定标: 重新招标或取消 Re-open or cancel", MARKETING_ROLES)
            if tender.status is TenderStatus.cancelled:
                self._end(ProcessStatus.withdrawn, TradeStage.cancelled)
                return None

    @enforces("000-7-three-bidders")
    async def _bidding(self, tender: Tender) -> None:
        """Bids are taken until the deadline, a durable timer; then the tender closes on its own."""
        self.stage = TradeStage.bidding
        await self._rest(self.main)
        remaining = (tender.bidding_deadline - workflow.now()).total_seconds()
        if remaining > 0:
            with suppress(TimeoutError):
                await workflow.wait_condition(lambda: tender.status is not TenderStatus.bidding, timeout=remaining)
        self.main.move()
        tender.closed_at = workflow.now()
        enough = len(tender.bids) >= MIN_BIDDERS
        tender.status = TenderStatus.evaluation if enough else TenderStatus.no_award
        tender.proposed_ranking = self._ranked(tender, self._proposal(tender)) if enough else []
        closure = TenderClosure(
            process_id=self.ref.process_id,
            number=tender.number,
            status=tender.status,
            bidders=len(tender.bids),
            closed_at=tender.closed_at,
            proposed_ranking=[r.credit_code for r in tender.proposed_ranking],
        )
        await self.kernel.stored(lambda: store(TradeStore.close_tender, closure))

    async def _evaluate_and_award(self, tender: Tender) -> bool:
        """Marketing ranks the bids, the business VP approves the award; a return asks for a new ranking."""
        while True:
            self.stage, tender.status = TradeStage.evaluation, TenderStatus.evaluation
            await self._await_work("evaluation", "评标排序 Rank the bids", MARKETING_ROLES)
            if workflow.patched(WINNER_REVIEW_PATCH) and not await self._winner_reviewed(tender):
                tender.status = TenderStatus.award_refused
                return False
            chain = self.award_chains.get(tender.number)
            if chain is None:
                chain = self._chain(AWARD_CHAIN, tender.evaluations[-1].by, self.main, f"定标 #{tender.number}")
                self.award_chains[tender.number] = chain
            self.stage, tender.status = TradeStage.award_approval, TenderStatus.award_approval
            outcome = await chain.run()
            if outcome is Outcome.approve:
                tender.status = TenderStatus.awarded
                tender.winner_credit_code = tender.evaluations[-1].ranking[0].credit_code
                return True
            if outcome is not Outcome.return_:
                tender.status = TenderStatus.award_refused
                return False
            chain.round += 1

    @enforces("000-7-award-by-procedure")
    async def _winner_reviewed(self, tender: Tender) -> bool:
        """000 §7 (四): only a partner who passed the credit review (marketing → business VP →
        leadership meeting) may be awarded; the top-ranked bidder who has not gets it now."""
        code = tender.evaluations[-1].ranking[0].credit_code
        if code == self.application.partner.credit_code:
            return True
        known = self.winner_files.get(code)
        if known is not None and known.passed is not None:
            return known.passed
        bid = tender.bid_of(code)
        assert bid is not None
        review = WinnerReview(credit_code=code, name=bid.bidder.name, documents=list(bid.documents))
        chain = self._chain(PARTNER_CHAIN, self.applicant, self.main, f"中标人资信审批 {bid.bidder.name}")
        self.winner_files[code], self.winner_reviews[code], self.reviewing = review, chain, chain
        self.stage = TradeStage.partner_review
        review.passed = await chain.run() is Outcome.approve
        return review.passed

    async def _contract_approved(self) -> bool:
        """003 §5: legal reviews the draft before signing; a return sends it back for revision."""
        while True:
            self.stage = TradeStage.contract_drafting
            await self._await_work("contract_draft", "起草/修改业务合同 Draft the contract", MARKETING_ROLES)
            assert self.contract is not None
            if self.contract_review is None:
                drafter = self.contract.drafts[0].by
                self.contract_review = self._chain(CONTRACT_REVIEW_CHAIN, drafter, self.main, "合同审查")
            self.stage = TradeStage.contract_review
            outcome = await self.contract_review.run()
            if outcome is not Outcome.return_:
                return outcome is Outcome.approve
            self.contract_review.round += 1

    async def _create_customer(self, winner: Bid) -> None:
        """000 §7 (六): "通过招标确定合作后, 创建客户" — the onboarding's customer creation."""
        tender = self.tenders[-1]
        approval = self.award_chains[tender.number].decisions[-1]
        same_as_partner = winner.bidder.credit_code == self.application.partner.credit_code
        documents = winner.documents or (self.application.documents if same_as_partner else [])
        if workflow.patched(WINNER_REVIEW_PATCH):  # the documents the partner review examined
            reviewed = self.winner_files.get(winner.bidder.credit_code)
            documents = reviewed.documents if reviewed is not None else self.application.documents
        creation = CustomerCreation(
            process_id=self.ref.process_id,
            customer=winner.bidder.model_copy(update={"kind": CustomerKind.external_trade}),
            documents=documents,
            created_by=approval.actor,
            approved_at=approval.at,
        )
        self.customer_id = await self.kernel.stored(lambda: store(TradeStore.create_trade_customer, creation))

    @enforces("000-7-finance-pays-and-settles")
    async def _run_payment(self, payment: Payment, chain: ApprovalChain, lane: Lane) -> None:
        """000 §7 (八): form → finance audit → division leader → chief accountant → paid → settled."""
        outcome = await chain.run()
        if outcome is not Outcome.approve:
            payment.status = PaymentStatus.rejected  # this form only; the deal goes on
        else:
            payment.status = PaymentStatus.approved
            n = payment.number
            title = f"#{n} {payment.amount}"
            await self._await_work(f"payment_{n}:paid", f"支付货款 Pay {title}", FINANCE_ROLES, lane, "record_payment")
            await self._await_work(
                f"payment_{n}:settlement", f"入库结算 Inbound settlement {title}", FINANCE_ROLES, lane, "settlement"
            )
            assert self.contract is not None
            if self._total(PaymentStatus.settled) >= self.contract.current.amount:
                self._end(ProcessStatus.approved, TradeStage.completed)
        await self._rest(lane)

    # --- helpers: chains, work steps, lanes -------------------------------------------------------

    def _chain(self, spec: ChainSpec, applicant: str, lane: Lane, what: str) -> ApprovalChain:
        if not workflow.patched(STEP_DEADLINES_PATCH):
            spec = spec.with_step_deadlines(None)  # the chain as declared before its steps had deadlines
        ref = ProcessRef(
            process_id=self.ref.process_id,
            workflow_id=self.ref.workflow_id,
            process_type=PROCESS_TYPE,
            subject=f"{what}: {self.ref.subject}",
            applicant=applicant,
        )
        return ApprovalChain(chain=spec, process=ref, kernel=self.kernel, lane=lane)

    async def _await_work(
        self, key: str, title: str, roles: tuple[Role, ...], lane: Lane | None = None, step: str | None = None
    ) -> None:
        """Open an inbox task, rest, and wait until its update did the work."""
        marketing = roles == MARKETING_ROLES
        spec = TaskSpec(
            task_id=str(workflow.uuid4()),
            process_id=self.ref.process_id,
            workflow_id=self.ref.workflow_id,
            process_type=PROCESS_TYPE,
            step=step or key,
            step_title=title,
            role=roles[0],
            assignee=self.applicant if marketing else None,  # the deal's marketing handler
            subject=self.ref.subject,
            created_at=workflow.now(),
        )
        work = WorkStep(spec, roles, lane or self.main)
        self.work[key] = work
        self.kernel.outbox.put_task(spec)
        await self._rest(work.lane)
        await workflow.wait_condition(lambda: work.done)
        del self.work[key]

    def _require_work(self, key: str, actor: Actor, action: str) -> WorkStep:
        self._require_running()
        work = self.work.get(key)
        if work is None or work.done:
            raise _refuse(f"{action} does not fit now: the deal is at stage {self.stage.value}")
        self._require_role(actor, work.roles, action)
        return work

    @staticmethod
    def _require_role(actor: Actor, roles: tuple[Role, ...], action: str) -> None:
        if not any(actor.has(role) for role in roles):
            wanted = ", ".join(f"{r.value} ({ROLE_TITLES[r]})" for r in roles)
            raise _refuse(f"{action} needs one of the roles {wanted}; {actor.username} holds none", errors.FORBIDDEN)

    def _require_running(self) -> None:
        if self.status is not ProcessStatus.running:
            raise _refuse(f"the deal is {self.status.value}")

    async def _complete(self, key: str, actor: Actor, apply: Callable[[], None]) -> TradeView:
        """Record a work step's result (already validated), close its task, answer once the lane rests."""
        work = self.work[key]
        work.lane.move()
        apply()
        work.done = True
        closure = TaskClosure(
            task_id=work.spec.task_id, status="done", decided_by=actor.username, decided_at=workflow.now()
        )
        self.kernel.outbox.close(closure)  # written with whatever opens next, in one sync
        await self.kernel.rested(work.lane)
        return self.view()

    def _end(self, status: ProcessStatus, stage: TradeStage) -> None:
        self.status, self.stage = status, stage

    async def _rest(self, lane: Lane) -> None:
        """The lane now waits for a human (or has ended): write, then answer pending updates."""
        await self.kernel.rest(lane)

    def _quiet(self) -> bool:
        """Every lane rests, and no bidding deadline has passed without the tender being closed."""
        tender = self.tenders[-1] if self.tenders else None
        closing = (
            self.stage is TradeStage.bidding
            and tender is not None
            and tender.status is TenderStatus.bidding
            and workflow.now() >= tender.bidding_deadline
        )
        lanes = [self.main, *(chain.lane for chain in self.payment_lanes.values())]
        return not closing and self.kernel.in_flight == 0 and all(lane.settled for lane in lanes)

    def _chains(self) -> list[ApprovalChain]:
        chains = [self.partner, *self.winner_reviews.values(), *self.award_chains.values()]
        if self.contract_review is not None:
            chains.append(self.contract_review)
        return chains + list(self.payment_lanes.values())

    def _owning_chain(self, task_id: str) -> ApprovalChain | None:
        return next((chain for chain in self._chains() if chain.owns(task_id)), None)

    def _require_open(self) -> None:
        self._require_running()

    @staticmethod
    def _china_today(now: datetime) -> date:
        return (now + CHINA_OFFSET).date()

    def _not_future(self, day: date, what: str) -> None:
        if day > self._china_today(workflow.now()):
            raise _refuse(f"{what} {day.isoformat()} lies in the future", errors.INVALID)

    def _future_deadline(self, deadline: datetime | None) -> datetime:
        if deadline is None:
            raise _refuse("re-opening a tender needs a new bidding_deadline", errors.INVALID)
        if deadline <= workflow.now():
            raise _refuse(f"bidding_deadline {china_iso(deadline)} must lie in the future", errors.INVALID)
        return deadline

    # --- money ------------------------------------------------------------------------------------

    def _total(self, *statuses: PaymentStatus) -> Decimal:
        return sum((p.amount for p in self.payments if p.status in statuses), ZERO)

    def _outstanding(self) -> Decimal | None:
        if self.contract is None or not self.contract.drafts:
            return None
        paid = self._total(PaymentStatus.paid, PaymentStatus.settled)
        pending = self._total(PaymentStatus.in_approval, PaymentStatus.approved)
        return outstanding_amount(self.contract.current.amount, paid, pending)

    # --- ranking ----------------------------------------------------------------------------------

    def _proposal(self, tender: Tender) -> list[str]:
        direction = self.application.direction
        ordered = sorted(tender.bids, key=lambda b: rank_key(direction, b.preferred, b.current.amount, b.current.at))
        return [bid.bidder.credit_code for bid in ordered]

    @staticmethod
    def _ranked(tender: Tender, codes: list[str]) -> list[RankedBid]:
        ranked = []
        for index, code in enumerate(codes, start=1):
            bid = tender.bid_of(code)
            assert bid is not None
            ranked.append(
                RankedBid(
                    rank=index,
                    credit_code=code,
                    name=bid.bidder.name,
                    preferred=bid.preferred,
                    amount=bid.current.amount,
                )
            )
        return ranked

    # --- approvals (Updates) ----------------------------------------------------------------------

    @workflow.update
    async def decide(self, request: DecisionRequest) -> TradeView:
        """Inbox decisions on any of the deal's chains: partner, award, contract review, payments."""
        self.validate_decide(request)
        chain = self._owning_chain(request.task_id)
        assert chain is not None
        chain.lane.move()
        await chain.decide(request)
        await self.kernel.rested(chain.lane)
        return self.view()

    @decide.validator
    def validate_decide(self, request: DecisionRequest) -> None:
        self._require_running()
        chain = self._owning_chain(request.task_id)
        if chain is None:
            work = next((w for w in self.work.values() if w.spec.task_id == request.task_id), None)
            if work is not None:
                raise _refuse(f"task {request.task_id} is the work step {work.spec.step}: record it at its endpoint")
            raise _refuse(f"task {request.task_id} is not open in this process")
        leadership_task = request.task_id in chain.open_task_ids
        if chain is self.reviewing and leadership_task and chain.current_step == LEADERSHIP_STEP:
            raise _refuse(
                "the leadership meeting's collective decision is recorded with its date, attendees and minutes: "
                f"POST /api/v1/trade/{self.ref.process_id}/leadership-decision",
                errors.INVALID,
            )
        chain.validate(request)

    @workflow.update
    async def leadership_decision(self, request: LeadershipDecisionRequest) -> TradeView:
        """000 §7 (四): the company leadership meeting's decision, kept with its minutes."""
        self.validate_leadership_decision(request)
        decision = self._leadership_request(request)
        self.main.move()
        record = LeadershipRecord(**request.decision.model_dump(), by=request.actor.username, at=workflow.now())
        winner = next((code for code, chain in self.winner_reviews.items() if chain is self.reviewing), None)
        if winner is None:
            self.leadership = record
        else:
            self.winner_files[winner].leadership = record
        await self.reviewing.decide(decision)
        await self.kernel.rested(self.main)
        return self.view()

    @leadership_decision.validator
    def validate_leadership_decision(self, request: LeadershipDecisionRequest) -> None:
        self._require_running()
        review = self.reviewing
        if (
            self.stage is not TradeStage.partner_review
            or review.current_step != LEADERSHIP_STEP
            or not review.waiting_for_decision
        ):
            step = review.current_step if self.stage is TradeStage.partner_review else self.stage.value
            raise _refuse(f"the leadership meeting decides after the business VP's review; the deal is at {step}")
        meeting = request.decision
        self._not_future(meeting.meeting_date, "meeting_date")
        reviewed = self._china_today(review.decisions[-1].at)
        if meeting.meeting_date < reviewed:
            raise _refuse(
                f"the meeting ({meeting.meeting_date}) cannot precede the business VP's review ({reviewed})",
                errors.INVALID,
            )
        review.validate(self._leadership_request(request))

    def _leadership_request(self, request: LeadershipDecisionRequest) -> DecisionRequest:
        task_ids = self.reviewing.open_task_ids
        assert task_ids
        meeting = request.decision
        return DecisionRequest(
            task_id=task_ids[0],
            step=LEADERSHIP_STEP,
            outcome=meeting.outcome,
            comment=f"{meeting.comment} (领导班子会议 {meeting.meeting_date}, 纪要 {meeting.minutes_ref})",
            actor=request.actor,
        )

    # --- tender (Updates) -------------------------------------------------------------------------

    def _new_tender(self, body: TenderIn, actor: Actor) -> None:
        self.tenders.append(
            Tender(
                number=len(self.tenders) + 1,
                status=TenderStatus.bidding,
                conditions=body.conditions,
                invited_range=body.invited_range,
                bidding_deadline=body.bidding_deadline,
                opened_by=actor.username,
                opened_at=workflow.now(),
            )
        )

    @workflow.update
    async def open_tender(self, request: TenderRequest) -> TradeView:
        """000 §7 (五): conditions published to a defined range, bids until the deadline."""
        self.validate_open_tender(request)
        return await self._complete(
            "open_tender", request.actor, partial(self._new_tender, request.tender, request.actor)
        )

    @open_tender.validator
    def validate_open_tender(self, request: TenderRequest) -> None:
        self._require_work("open_tender", request.actor, "opening the tender")
        self._future_deadline(request.tender.bidding_deadline)

    @workflow.update
    async def submit_bid(self, request: BidRequest) -> TradeView:
        """A bid before the deadline; the same bidder (credit code) bidding again revises its bid."""
        self._check_bid(request)
        tender, body, now = self.tenders[-1], request.bid, workflow.now()
        bid = tender.bid_of(body.bidder.credit_code)
        revision = BidRevision(
            revision=len(bid.revisions) + 1 if bid else 1,
            amount=body.amount,
            unit_price=body.unit_price,
            quantity=body.quantity,
            terms=body.terms,
            by=request.actor.username,
            at=now,
        )
        if bid is None:
            tender.bids.append(
                Bid(
                    bidder=body.bidder,
                    ownership=body.ownership,
                    preferred=is_preferred(body.ownership),
                    documents=body.documents,
                    revisions=[revision],
                )
            )
        else:
            bid.bidder, bid.ownership, bid.preferred = body.bidder, body.ownership, is_preferred(body.ownership)
            bid.documents = body.documents or bid.documents
            bid.revisions.append(revision)
        await self.kernel.flush()
        return self.view()

    @submit_bid.validator
    def validate_submit_bid(self, request: BidRequest) -> None:
        """The handler's checks, and the bidder's credit file: that one in the validator only, which
        never runs on replay, so bids accepted before the rule replay as they ran."""
        self._check_bid(request)
        self._require_credit_file(self.tenders[-1], request.bid)

    @enforces("000-7-tender-published")
    def _check_bid(self, request: BidRequest) -> None:
        self._require_running()
        tender = self.tenders[-1] if self.tenders else None
        if tender is None:
            raise _refuse(f"no tender is open for bids: the tender is not opened yet (stage {self.stage.value})")
        if tender.status is not TenderStatus.bidding or workflow.now() >= tender.bidding_deadline:
            raise _refuse(
                f"bidding closed at {china_iso(tender.bidding_deadline)}: late bids are refused (000 §7 (五)); "
                f"tender #{tender.number} is {tender.status.value}"
            )
        self._require_role(request.actor, MARKETING_ROLES, "recording a bid")

    def _require_credit_file(self, tender: Tender, body: BidIn) -> None:
        """A bidder who may win needs the credit file its partner review examines (000 §7 (四)); the
        deal's own partner was reviewed on its file already."""
        code = body.bidder.credit_code
        if code == self.application.partner.credit_code:
            return
        earlier = tender.bid_of(code)
        documents = body.documents or (earlier.documents if earlier else [])
        today = workflow.now().date()
        problems = partner_problems(documents, self.application.products, body.bidder.business_scope, today)
        if problems:
            raise ApplicationError(
                "the bidder's credit file for the partner review (000 §7 (四)): " + "; ".join(problems),
                problems,
                type=errors.INVALID,
            )

    @workflow.update
    async def no_award_decision(self, request: NoAwardDecisionRequest) -> TradeView:
        """Fewer than three bidders, or the award refused: marketing re-opens the tender or cancels."""
        self.validate_no_award_decision(request)
        return await self._complete("no_award_decision", request.actor, partial(self._apply_no_award, request))

    @no_award_decision.validator
    def validate_no_award_decision(self, request: NoAwardDecisionRequest) -> None:
        self._require_work("no_award_decision", request.actor, "deciding on a tender without award")
        if request.decision.decision == "reopen":
            self._future_deadline(request.decision.bidding_deadline)

    def _apply_no_award(self, request: NoAwardDecisionRequest) -> None:
        body, tender = request.decision, self.tenders[-1]
        tender.no_award_decision = NoAwardDecision(
            decision=body.decision, reason=body.reason, by=request.actor.username, at=workflow.now()
        )
        if body.decision == "cancel":
            tender.status = TenderStatus.cancelled
            return
        assert body.bidding_deadline is not None
        again = TenderIn(
            conditions=body.conditions or tender.conditions,
            invited_range=body.invited_range or tender.invited_range,
            bidding_deadline=body.bidding_deadline,
        )
        self._new_tender(again, request.actor)

    @workflow.update
    async def evaluate(self, request: EvaluationRequest) -> TradeView:
        """Marketing's ranking of the bids (default: state-owned/controlled first, then price)."""
        self.validate_evaluate(request)
        tender = self.tenders[-1]
        codes = request.evaluation.ranking or [r.credit_code for r in tender.proposed_ranking]
        evaluation = Evaluation(
            ranking=self._ranked(tender, codes),
            rationale=request.evaluation.rationale,
            follows_proposal=codes == [r.credit_code for r in tender.proposed_ranking],
            by=request.actor.username,
            at=workflow.now(),
        )
        return await self._complete("evaluation", request.actor, partial(tender.evaluations.append, evaluation))

    @evaluate.validator
    def validate_evaluate(self, request: EvaluationRequest) -> None:
        self._require_work("evaluation", request.actor, "ranking the bids")
        ranking = request.evaluation.ranking
        if ranking is None:
            return
        codes = {bid.bidder.credit_code for bid in self.tenders[-1].bids}
        problems = [f"unknown bidder {code}" for code in ranking if code not in codes]
        problems += [f"bidder {code} is ranked twice" for code in set(ranking) if ranking.count(code) > 1]
        problems += [f"bidder {code} is missing from the ranking" for code in sorted(codes - set(ranking))]
        if problems:
            raise ApplicationError("; ".join(problems), problems, type=errors.INVALID)

    # --- contract (Updates) -----------------------------------------------------------------------

    @workflow.update
    async def draft_contract(self, request: ContractRequest) -> TradeView:
        """The business contract with the awarded counterpart (000 §7 (六)); a revision after a return."""
        self.validate_draft_contract(request)
        assert self.contract is not None
        draft = ContractDraft(
            **request.contract.model_dump(),
            revision=len(self.contract.drafts) + 1,
            by=request.actor.username,
            at=workflow.now(),
        )
        return await self._complete("contract_draft", request.actor, partial(self.contract.drafts.append, draft))

    @draft_contract.validator
    def validate_draft_contract(self, request: ContractRequest) -> None:
        self._require_work("contract_draft", request.actor, "drafting the contract")

    @workflow.update
    async def sign_contract(self, request: SigningRequest) -> TradeView:
        self.validate_sign_contract(request)
        signing = Signing(**request.signing.model_dump(), by=request.actor.username, at=workflow.now())
        return await self._complete("contract_signing", request.actor, partial(self._set_contract, "signing", signing))

    @sign_contract.validator
    def validate_sign_contract(self, request: SigningRequest) -> None:
        self._require_work("contract_signing", request.actor, "recording the signed contract")
        self._not_future(request.signing.signed_on, "signed_on")

    @workflow.update
    async def record_title_transfer(self, request: TitleTransferRequest) -> TradeView:
        """000 §7 (七): after signing, the title-transfer certificate 物权转移证明."""
        self.validate_record_title_transfer(request)
        record = TitleTransfer(**request.certificate.model_dump(), by=request.actor.username, at=workflow.now())
        return await self._complete(
            "title_transfer", request.actor, partial(self._set_contract, "title_transfer", record)
        )

    @record_title_transfer.validator
    @enforces("000-7-title-transfer")
    def validate_record_title_transfer(self, request: TitleTransferRequest) -> None:
        self._require_work("title_transfer", request.actor, "recording the title transfer")
        self._not_future(request.certificate.signed_on, "signed_on")
        assert self.contract is not None and self.contract.signing is not None
        if request.certificate.signed_on < self.contract.signing.signed_on:
            raise _refuse("the title transfer cannot precede the contract's signing", errors.INVALID)

    def _set_contract(self, name: str, value: object) -> None:
        assert self.contract is not None
        setattr(self.contract, name, value)

    # --- payments (Updates) -----------------------------------------------------------------------

    @workflow.update
    async def file_payment(self, request: PaymentFormRequest) -> TradeView:
        """000 §7 (八): a payment approval form; several instalments up to the contract amount."""
        self.validate_file_payment(request)
        number = len(self.payments) + 1
        payment = Payment(
            **request.form.model_dump(),
            number=number,
            status=PaymentStatus.in_approval,
            by=request.actor.username,
            at=workflow.now(),
        )
        lane = Lane()
        chain = self._chain(PAYMENT_CHAIN, request.actor.username, lane, f"付款 #{number} {payment.amount}")
        self.payments.append(payment)
        self.payment_lanes[number] = chain
        asyncio.create_task(self._run_payment(payment, chain, lane))
        await self.kernel.rested(lane)
        return self.view()

    @file_payment.validator
    @enforces("000-7-payment-form")
    def validate_file_payment(self, request: PaymentFormRequest) -> None:
        self._require_running()
        if self.stage is not TradeStage.payment:
            raise _refuse(
                "payment forms are filed once the title-transfer certificate is recorded (000 §7 (七)-(八)); "
                f"the deal is at stage {self.stage.value}"
            )
        self._require_role(request.actor, MARKETING_ROLES, "filing a payment approval form")
        outstanding = self._outstanding()
        assert outstanding is not None and self.contract is not None
        if request.form.amount > outstanding:
            pending = self._total(PaymentStatus.in_approval, PaymentStatus.approved)
            paid = self._total(PaymentStatus.paid, PaymentStatus.settled)
            raise _refuse(
                f"amount {request.form.amount} exceeds the contract's outstanding amount {outstanding} "
                f"(contract {self.contract.current.amount}, paid {paid}, in approval {pending})",
                errors.INVALID,
            )

    def _payment_work(self, number: int, step: str, actor: Actor, action: str) -> None:
        self._require_running()
        if not 1 <= number <= len(self.payments):
            raise _refuse(f"payment {number} not found", errors.NOT_FOUND)
        payment = self.payments[number - 1]
        if f"payment_{number}:{step}" not in self.work:
            raise _refuse(f"{action} does not fit now: payment {number} is {payment.status.value}")
        self._require_work(f"payment_{number}:{step}", actor, action)

    async def _advance_payment(
        self, number: int, step: str, actor: Actor, record: PaymentRecord | Settlement, status: PaymentStatus
    ) -> TradeView:
        payment = self.payments[number - 1]

        def apply() -> None:
            if isinstance(record, Settlement):
                payment.settlement = record
            else:
                payment.payment = record
            payment.status = status

        return await self._complete(f"payment_{number}:{step}", actor, apply)

    @workflow.update
    async def record_payment(self, request: PaymentPaidRequest) -> TradeView:
        """Finance pays the approved form."""
        self.validate_record_payment(request)
        record = PaymentRecord(**request.paid.model_dump(), by=request.actor.username, at=workflow.now())
        return await self._advance_payment(request.number, "paid", request.actor, record, PaymentStatus.paid)

    @record_payment.validator
    def validate_record_payment(self, request: PaymentPaidRequest) -> None:
        self._payment_work(request.number, "paid", request.actor, "recording the payment")
        if request.paid.paid_at > workflow.now() + timedelta(minutes=5):
            raise _refuse(f"paid_at {china_iso(request.paid.paid_at)} lies in the future", errors.INVALID)

    @workflow.update
    async def record_settlement(self, request: SettlementRequest) -> TradeView:
        """Finance, with marketing, settles the inbound refined oil 入库结算 (000 §7 (八))."""
        self.validate_record_settlement(request)
        record = Settlement(**request.settlement.model_dump(), by=request.actor.username, at=workflow.now())
        return await self._advance_payment(request.number, "settlement", request.actor, record, PaymentStatus.settled)

    @record_settlement.validator
    def validate_record_settlement(self, request: SettlementRequest) -> None:
        self._payment_work(request.number, "settlement", request.actor, "recording the inbound settlement")
        self._not_future(request.settlement.settled_on, "settled_on")

    # --- reading ----------------------------------------------------------------------------------

    @workflow.update
    async def current(self) -> TradeView:
        """Waits until the deal rests (every lane's task in an inbox, or ended): read-your-writes."""
        await workflow.wait_condition(lambda: self._quiet() or self.kernel.repair.shown)
        self.kernel.repair.require_running()  # stopped by a refused write: say so, do not hang
        return self.view()

    def _current_step(self) -> str | None:
        if self.status is not ProcessStatus.running:
            return None
        chain = {
            TradeStage.partner_review: self.reviewing,
            TradeStage.award_approval: self.award_chains.get(len(self.tenders)),
            TradeStage.contract_review: self.contract_review,
        }.get(self.stage)
        return (chain.current_step if chain else None) or self.stage.value

    @workflow.query
    def view(self) -> TradeView:
        tasks = [task for chain in self._chains() for task in chain.open_tasks]
        tasks += [w.spec for w in self.work.values() if not w.done]
        return TradeView(
            process_id=self.ref.process_id,
            process_type=PROCESS_TYPE,
            status=self.status,
            stage=self.stage,
            current_step=self._current_step(),
            customer_id=self.customer_id,
            open_task_ids=[t.task_id for t in tasks],
            holders=holders_of(tasks),
            tender_number=len(self.tenders) or None,
            outstanding=self._outstanding(),
        )

    @workflow.query
    def state(self) -> TradeState:
        tenders = [
            t.model_copy(update={"award_decisions": list(self.award_chains[t.number].decisions)})
            if t.number in self.award_chains
            else t
            for t in self.tenders
        ]
        contract = self.contract
        if contract is not None and self.contract_review is not None:
            contract = contract.model_copy(update={"review_decisions": list(self.contract_review.decisions)})
        payments = [
            p.model_copy(update={"decisions": list(self.payment_lanes[p.number].decisions)}) for p in self.payments
        ]
        return TradeState(
            **self.view().model_dump(),
            workflow_id=self.ref.workflow_id,
            applicant=self.applicant,
            started_at=self.started_at,
            application=self.application,
            preferred=self.application.preferred,
            partner_decisions=list(self.partner.decisions),
            leadership=self.leadership,
            winner_reviews=[
                review.model_copy(update={"decisions": list(self.winner_reviews[code].decisions)})
                for code, review in self.winner_files.items()
            ],
            tenders=tenders,
            contract=contract,
            payments=payments,
            paid_total=self._total(PaymentStatus.paid, PaymentStatus.settled),
            settled_total=self._total(PaymentStatus.settled),
        )

    # --- projections ------------------------------------------------------------------------------

    async def _write(self, outbox: Outbox) -> None:
        """The process row, the deal and tender rows, the tasks and notifications: one transaction."""
        self.version += 1
        state = self.state()
        process = self.ref.projection(
            state.status,
            state.current_step,
            self.started_at,
            customer_id=self.customer_id,
            subject_key=self.application.partner.credit_code,
        )
        trade = TradeProjection(process=process, version=self.version, state=state)
        await write(TradeStore.project_trade, TradeSync(projection=trade, **outbox.as_fields()))
