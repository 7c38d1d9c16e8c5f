"""Inbox decisions on the deal's chains, and the leadership meeting's decision on a partner
(000 §7 (四): marketing → business VP → the company leadership meeting, with its minutes).
"""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain import errors
    from domain.models import DecisionRequest
    from domain.trade import LEADERSHIP_STEP
    from domain.trade_models import (
        LeadershipDecisionRequest,
        LeadershipRecord,
        TradeStage,
        TradeView,
    )
    from workflows.external_trade.payment_forms import PaymentForms
    from workflows.external_trade.tender import leadership_request
    from workflows.external_trade.tender_child import TenderAct
    from workflows.external_trade.work import refuse


class PartnerSteps(PaymentForms):
    """Decisions on any chain of the deal, and the leadership meeting."""

    @workflow.update
    async def decide(self, request: DecisionRequest) -> TradeView:
        """Inbox decisions on any of the deal's chains: partner, award, contract review, payments."""
        self.validate_decide(request)
        child = self._child_owning(request.task_id)
        if child is not None:  # a payment form's or the contract's task: its child decides (children.py)
            return await self._child_act(child, self._new_act(decide=request))
        chain = self._owning_chain(request.task_id)
        assert chain is not None
        chain.lane.move()
        await chain.decide(request)
        await self.kernel.rested(chain.lane)
        return self.view()

    @decide.validator
    def validate_decide(self, request: DecisionRequest) -> None:
        self._require_running()
        if self._child_owning(request.task_id) is not None:
            return  # the child checks the decision against its chain
        chain = self._owning_chain(request.task_id)
        if chain is None:
            work = next((w for w in self.work.values() if w.spec.task_id == request.task_id), None)
            if work is not None:
                raise refuse(f"task {request.task_id} is the work step {work.spec.step}: record it at its endpoint")
            raise refuse(f"task {request.task_id} is not open in this process")
        leadership_task = request.task_id in chain.open_task_ids
        if chain is self.reviewing and leadership_task and chain.current_step == LEADERSHIP_STEP:
            raise refuse(
                "the leadership meeting's collective decision is recorded with its date, attendees and minutes: "
                f"POST /api/v1/trade/{self.ref.process_id}/leadership-decision",
                errors.INVALID,
            )
        chain.validate(request)

    @workflow.update
    async def leadership_decision(self, request: LeadershipDecisionRequest) -> TradeView:
        """000 §7 (四): the company leadership meeting's decision, kept with its minutes."""
        self.validate_leadership_decision(request)
        record = LeadershipRecord(**request.decision.model_dump(), by=request.actor.username, at=workflow.now())
        child = self._child_at_stage()
        if child is not None:  # a winner's review in the tender's child
            return await self._child_act(child, self._new_act(TenderAct, leadership=request, record=record))
        decision = leadership_request(self.reviewing, request)
        self.main.move()
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
        step, waiting, reviewed_at = self._review_under_way()
        if self.stage is not TradeStage.partner_review or step != LEADERSHIP_STEP or not waiting:
            step = step if self.stage is TradeStage.partner_review else self.stage.value
            raise refuse(f"the leadership meeting decides after the business VP's review; the deal is at {step}")
        meeting = request.decision
        self._not_future(meeting.meeting_date, "meeting_date")
        assert reviewed_at is not None
        reviewed = self._china_today(reviewed_at)
        if meeting.meeting_date < reviewed:
            raise refuse(
                f"the meeting ({meeting.meeting_date}) cannot precede the business VP's review ({reviewed})",
                errors.INVALID,
            )
        if self._child_at_stage() is None:  # a child checks its own chain
            self.reviewing.validate(leadership_request(self.reviewing, request))

    def _review_under_way(self) -> tuple[str | None, bool, datetime | None]:
        """The partner review under way: its step, whether it waits, when its last decision was made."""
        child = self._child_at_stage()
        if child is None:
            review = self.reviewing
            last = review.decisions[-1].at if review.decisions else None
            return review.current_step, review.waiting_for_decision, last
        files = [review for review in self.winner_files.values() if review.passed is None]
        last = files[-1].decisions[-1].at if files and files[-1].decisions else None
        return child.current_step, child.waiting, last
