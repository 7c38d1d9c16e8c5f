"""The child workflow of a deal's tender (000 §7 (四)-(五); STYLE.md "Long-lived processes").

Its own history holds every tender round: the bids until the bidding deadline (a durable timer), the
closing, marketing's ranking, the winner's partner review with its leadership meeting, the business
VP's award (with returns) and marketing's decision on a round without award. The deal remains the
process: it takes the Updates, checks what it can, and hands each act here.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from pydantic import BaseModel
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain import errors
    from domain.models import Actor, DecisionRequest
    from domain.trade import LEADERSHIP_STEP
    from domain.trade_models import (
        Bid,
        BidIn,
        BidRevision,
        Evaluation,
        LeadershipDecisionRequest,
        LeadershipRecord,
        NoAwardDecisionRequest,
        Tender,
        TenderClosure,
        TradeApplication,
        TradeStage,
        WinnerReview,
    )
    from workflows.approval import ApprovalChain
    from workflows.external_trade.child import DealChild
    from workflows.external_trade.child_messages import ChildAct, ChildStart, ChildSync
    from workflows.external_trade.tender import TenderWalk, leadership_request
    from workflows.external_trade.work import refuse

TENDER = "tender"  # the tender child's name within its deal
DEAL_CLOSES_TENDER = "tender_closing"  # the deal's signal (tender_updates.py)


class TenderStart(ChildStart):
    application: TradeApplication
    tenders: list[Tender]  # the first round, as marketing opened it


class TenderSync(ChildSync):
    tenders: list[Tender]  # with their award decisions
    winner_reviews: list[WinnerReview]  # with their decisions
    stage: TradeStage


class TenderAct(ChildAct):
    bid: BidIn | None = None
    revision: BidRevision | None = None
    evaluation: Evaluation | None = None
    no_award: NoAwardDecisionRequest | None = None
    leadership: LeadershipDecisionRequest | None = None
    record: LeadershipRecord | None = None  # the meeting's record, with `leadership`
    actor: Actor | None = None  # who ranked the bids


class TenderOutcome(BaseModel):
    winner: Bid | None  # None: marketing cancelled


@workflow.defn(name="ExternalTradeTender")
class TenderWorkflow(DealChild, TenderWalk):
    DEAL_SYNCED = "tender_synced"

    @workflow.init
    def __init__(self, start: TenderStart) -> None:
        self._begin(start)
        self.application = start.application
        self.tenders = start.tenders
        self.award_chains, self.winner_reviews, self.winner_files = {}, {}, {}
        self.chain = None
        self.stage = TradeStage.bidding
        self.over = False
        self.closed: set[int] = set()  # the rounds the deal closed

    @workflow.run
    async def run(self, start: TenderStart) -> TenderOutcome:
        return TenderOutcome(winner=await self._live(self._walk_to_its_end()))

    async def _walk_to_its_end(self) -> Bid | None:
        winner = await self._select_counterpart()
        self.over = True
        await self._rest(self.main)  # the last step's closing, written before the deal goes on
        return winner

    def _chains(self) -> list[ApprovalChain]:
        return [*self.winner_reviews.values(), *self.award_chains.values()]

    def _current_chain_step(self) -> str | None:
        chain = {
            TradeStage.partner_review: getattr(self, "reviewing", None),
            TradeStage.award_approval: self.award_chains.get(len(self.tenders)),
        }.get(self.stage)
        return chain.current_step if chain is not None else None

    def _check_decision(self, chain: ApprovalChain, request: DecisionRequest) -> None:
        meeting = chain in self.winner_reviews.values() and chain.current_step == LEADERSHIP_STEP
        if meeting and request.task_id in chain.open_task_ids:
            raise refuse(
                "the leadership meeting's collective decision is recorded with its date, attendees and minutes: "
                f"POST /api/v1/trade/{self.ref.process_id}/leadership-decision",
                errors.INVALID,
            )

    @workflow.signal
    async def act(self, act: TenderAct) -> None:
        await self._answer(act)

    async def _act(self, act: ChildAct) -> None:
        assert isinstance(act, TenderAct)
        if act.bid is not None and act.revision is not None:
            self._record_bid(act.bid, act.revision)
            await self.kernel.flush()
        elif act.evaluation is not None:
            evaluations = self.tenders[-1].evaluations
            assert act.actor is not None
            await self._finish_work("evaluation", act.actor, partial(evaluations.append, act.evaluation))
        elif act.no_award is not None:
            await self._finish_work(
                "no_award_decision", act.no_award.actor, partial(self._apply_no_award, act.no_award)
            )
        elif act.leadership is not None and act.record is not None:
            await self._record_meeting(act.leadership, act.record)
        else:
            await super()._act(act)

    async def _record_meeting(self, request: LeadershipDecisionRequest, record: LeadershipRecord) -> None:
        """000 §7 (四): the leadership meeting's decision on the winner under review, with its minutes."""
        review = self.reviewing
        decision = leadership_request(review, request)
        review.validate(decision)
        self.main.move()
        code = next(code for code, chain in self.winner_reviews.items() if chain is review)
        self.winner_files[code].leadership = record
        await review.decide(decision)
        await self.kernel.rested(self.main)

    async def _close_tender(self, closure: TenderClosure) -> None:
        await self.deal.signal(DEAL_CLOSES_TENDER, closure)
        await workflow.wait_condition(lambda: closure.number in self.closed)

    @workflow.signal
    def tender_closed(self, number: int) -> None:
        self.closed.add(number)

    def _ended(self) -> bool:
        return self.over

    def _sync(self, fields: dict[str, Any]) -> TenderSync:
        shown = {"tenders": self._tenders_shown(), "winner_reviews": self._winner_reviews_shown()}
        return TenderSync(stage=self.stage, **shown, **fields)
