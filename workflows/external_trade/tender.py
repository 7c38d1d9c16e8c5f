"""The tender of a deal (000 §7 (五)): bidding until a durable deadline, three or more bidders,
marketing's ranking, the winner's partner review (000 §7 (四)) and the business VP's award.

A tender that ends without award is re-opened or cancelled by marketing (`tender_updates.py`).
"""

from __future__ import annotations

from contextlib import suppress

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.trade_store import TradeStore
    from domain.approvals import Outcome
    from domain.models import ProcessStatus
    from domain.rulebook import enforces
    from domain.trade import (
        AWARD_CHAIN,
        MARKETING_ROLES,
        MIN_BIDDERS,
        PARTNER_CHAIN,
        rank_key,
    )
    from domain.trade_models import (
        Bid,
        RankedBid,
        Tender,
        TenderClosure,
        TenderStatus,
        TradeStage,
        WinnerReview,
    )
    from workflows.activity_calls import store
    from workflows.external_trade.base import WINNER_REVIEW_PATCH, DealBase


class TenderSteps(DealBase):
    """The tender rounds of a deal, until one is awarded or marketing cancels."""

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
