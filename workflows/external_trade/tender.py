"""The tender of a deal (000 §7 (五)): bidding until a durable deadline, three or more bidders,
marketing's ranking, the winner's partner review (000 §7 (四)) and the business VP's award.

A tender that ends without award is re-opened or cancelled by marketing (`tender_updates.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.trade_store import TradeStore
    from domain.approvals import ChainSpec, Outcome
    from domain.models import Actor, DecisionRequest, ProcessStatus
    from domain.rulebook import enforces
    from domain.trade import (
        AWARD_CHAIN,
        LEADERSHIP_STEP,
        MARKETING_ROLES,
        MIN_BIDDERS,
        PARTNER_CHAIN,
        is_preferred,
        rank_key,
    )
    from domain.trade_models import (
        Bid,
        BidIn,
        BidRevision,
        LeadershipDecisionRequest,
        NoAwardDecision,
        NoAwardDecisionRequest,
        RankedBid,
        Tender,
        TenderClosure,
        TenderIn,
        TenderStatus,
        TradeApplication,
        TradeStage,
        WinnerReview,
    )
    from workflows.activity_calls import store
    from workflows.approval import ApprovalChain
    from workflows.external_trade.base import WINNER_REVIEW_PATCH
    from workflows.external_trade.work import WorkDesk
    from workflows.kernel import Lane


class TenderWalk(WorkDesk):
    """The tender rounds of a deal, until one is awarded or marketing cancels."""

    application: TradeApplication
    tenders: list[Tender]
    award_chains: dict[int, ApprovalChain]
    winner_reviews: dict[str, ApprovalChain]  # winners reviewed in this deal (000 §7 (四)), by credit code
    winner_files: dict[str, WinnerReview]
    reviewing: ApprovalChain  # the partner review under way

    _chain: Callable[[ChainSpec, str, Lane, str], ApprovalChain]  # the host's (the deal's, or a child's)

    def _tenders_shown(self) -> list[Tender]:
        """The tenders with their award decisions, as the deal's state shows them."""
        return [
            t.model_copy(update={"award_decisions": list(self.award_chains[t.number].decisions)})
            if t.number in self.award_chains
            else t
            for t in self.tenders
        ]

    def _winner_reviews_shown(self) -> list[WinnerReview]:
        return [
            review.model_copy(update={"decisions": list(self.winner_reviews[code].decisions)})
            if code in self.winner_reviews
            else review
            for code, review in self.winner_files.items()
        ]

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
        await self._close_tender(closure)

    async def _close_tender(self, closure: TenderClosure) -> None:
        """The tender's row closes with its bidders and proposed ranking, by the deal (the tender's
        child asks its deal to: the deal's history shows the closing, as it always did)."""
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

    def _record_bid(self, body: BidIn, revision: BidRevision) -> None:
        """A bid, or the same bidder's (credit code) revision of it, in the tender open for bids."""
        tender = self.tenders[-1]
        bid = tender.bid_of(body.bidder.credit_code)
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


def leadership_request(review: ApprovalChain, request: LeadershipDecisionRequest) -> DecisionRequest:
    """000 §7 (四): the leadership meeting's decision, as the decision on the review's meeting step."""
    task_ids = review.open_task_ids
    assert task_ids
    meeting = request.decision
    return DecisionRequest(
        task_id=task_ids[0],
        step=LEADERSHIP_STEP,
        outcome=meeting.outcome,
        comment=f"{meeting.comment} (领导班子会议 {meeting.meeting_date}, 纪要 {meeting.minutes_ref})",
        actor=request.actor,
    )
