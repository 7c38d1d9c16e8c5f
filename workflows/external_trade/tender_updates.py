"""What marketing records in a tender (000 §7 (五)): opening it, the bids, the ranking, and the
decision on a tender without award. Each is an Update validated before anything is written.

A deal started after `TENDER_CHILD_PATCH` runs its tender as a child workflow (`tender_child.py`)
once marketing opened it; a deal whose history ran it in line replays that way.
"""

from __future__ import annotations

from functools import partial

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain import errors
    from domain.china_time import china_iso
    from domain.models import DecisionRecord, ProcessStatus
    from domain.rulebook import enforces
    from domain.trade import MARKETING_ROLES, partner_problems
    from domain.trade_models import (
        Bid,
        BidIn,
        BidRequest,
        BidRevision,
        Evaluation,
        EvaluationRequest,
        NoAwardDecisionRequest,
        Tender,
        TenderClosure,
        TenderRequest,
        TenderStatus,
        TradeStage,
        TradeView,
    )
    from workflows.external_trade.child_messages import ChildMirror
    from workflows.external_trade.children import DealChildren
    from workflows.external_trade.tender import TenderWalk
    from workflows.external_trade.tender_child import (
        TENDER,
        TenderAct,
        TenderOutcome,
        TenderStart,
        TenderSync,
        TenderWorkflow,
    )
    from workflows.external_trade.work import refuse

# Issue 22: the tender is a child workflow with its own history. Deals that opened their tender
# before run it in line, and replay so.
TENDER_CHILD_PATCH = "trade-tender-child"


class TenderUpdates(TenderWalk, DealChildren):
    """The Updates of the tender: open, bid, rank, re-open or cancel; the tender's child."""

    async def _tender_in_child(self) -> Bid | None:
        """The tender as a child workflow; the deal's main line rests where the child rests."""
        child = ChildMirror(name=TENDER, moves_main=True)
        self.tender_child = child
        start = TenderStart(
            **self._child_start(TENDER).model_dump(), application=self.application, tenders=self.tenders
        )
        await self._start_child(
            child, workflow.start_child_workflow(TenderWorkflow.run, start, id=self._child_id(TENDER))
        )
        assert child.handle is not None
        winner = TenderOutcome.model_validate(await child.handle).winner
        if winner is None:
            self._end(ProcessStatus.withdrawn, TradeStage.cancelled)
        return winner

    @workflow.signal
    async def tender_synced(self, sync: TenderSync) -> None:
        """The tender's moment: mirrored here, written with the process in one transaction, answered."""
        child = self.tender_child
        assert child is not None
        self._absorb(child, sync)
        child.ended = sync.ended
        self.tenders, self.stage = sync.tenders, sync.stage
        self.winner_files = {review.credit_code: review for review in sync.winner_reviews}
        await self._write_for(child, sync)

    @workflow.signal
    async def tender_closing(self, closure: TenderClosure) -> None:
        """The tender's child closed a round at its deadline: its row is written by the deal."""
        await self._close_tender(closure)
        child = self.tender_child
        assert child is not None and child.handle is not None
        await child.handle.signal(TenderWorkflow.tender_closed, closure.number)

    def _award_approval(self) -> DecisionRecord:
        """The business VP's approval of the award the customer is created on (000 §7 (六))."""
        tender = self.tenders[-1]
        if self.tender_child is not None:
            return tender.award_decisions[-1]
        return self.award_chains[tender.number].decisions[-1]

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
        body = request.bid
        earlier = self.tenders[-1].bid_of(body.bidder.credit_code)
        revision = BidRevision(
            revision=len(earlier.revisions) + 1 if earlier else 1,
            amount=body.amount,
            unit_price=body.unit_price,
            quantity=body.quantity,
            terms=body.terms,
            by=request.actor.username,
            at=workflow.now(),
        )
        if self.tender_child is not None:
            return await self._child_act(self.tender_child, self._new_act(TenderAct, bid=body, revision=revision))
        self._record_bid(body, revision)
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
            raise refuse(f"no tender is open for bids: the tender is not opened yet (stage {self.stage.value})")
        if tender.status is not TenderStatus.bidding or workflow.now() >= tender.bidding_deadline:
            raise refuse(
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
        if self.tender_child is not None:
            return await self._child_act(self.tender_child, self._new_act(TenderAct, no_award=request))
        return await self._complete("no_award_decision", request.actor, partial(self._apply_no_award, request))

    @no_award_decision.validator
    def validate_no_award_decision(self, request: NoAwardDecisionRequest) -> None:
        self._require_work("no_award_decision", request.actor, "deciding on a tender without award")
        if request.decision.decision == "reopen":
            self._future_deadline(request.decision.bidding_deadline)

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
        if self.tender_child is not None:
            act = self._new_act(TenderAct, evaluation=evaluation, actor=request.actor)
            return await self._child_act(self.tender_child, act)
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
