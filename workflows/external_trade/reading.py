"""What the deal shows: the view and state queries, read-your-writes, and the one projection write."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.trade_store import TradeStore, TradeSync
    from domain.models import DecisionRecord, ProcessStatus
    from domain.trade import PROCESS_TYPE
    from domain.trade_models import (
        PaymentStatus,
        TradeProjection,
        TradeStage,
        TradeState,
        TradeView,
    )
    from workflows.activity_calls import write
    from workflows.approval import holders_of
    from workflows.external_trade.base import DealBase
    from workflows.external_trade.tender import TenderWalk
    from workflows.kernel import Outbox


class DealReading(TenderWalk, DealBase):
    """The read model of the deal and its one write per moment."""

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
        step = chain.current_step if chain else None
        child = self._child_at_stage()
        if child is not None:
            step = child.current_step  # the approval under way runs in the child
        return step or self.stage.value

    @workflow.query
    def view(self) -> TradeView:
        tasks = [task for chain in self._chains() for task in chain.open_tasks]
        tasks += [task for child in self._children() for task in child.chain_tasks]
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
        contract = self.contract
        review = self.contract_child.decisions if self.contract_child is not None else None
        if self.contract_review is not None:
            review = self.contract_review.decisions
        if contract is not None and review is not None:
            contract = contract.model_copy(update={"review_decisions": list(review)})
        payments = [p.model_copy(update={"decisions": self._payment_decisions(p.number)}) for p in self.payments]
        return TradeState(
            **self.view().model_dump(),
            workflow_id=self.ref.workflow_id,
            applicant=self.applicant,
            started_at=self.started_at,
            application=self.application,
            preferred=self.application.preferred,
            partner_decisions=list(self.partner.decisions),
            leadership=self.leadership,
            winner_reviews=self._winner_reviews_shown(),
            tenders=self._tenders_shown(),
            contract=contract,
            payments=payments,
            paid_total=self._total(PaymentStatus.paid, PaymentStatus.settled),
            settled_total=self._total(PaymentStatus.settled),
        )

    def _payment_decisions(self, number: int) -> list[DecisionRecord]:
        form = self.payment_forms.get(number)
        return list(form.decisions if form is not None else self.payment_lanes[number].decisions)

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
