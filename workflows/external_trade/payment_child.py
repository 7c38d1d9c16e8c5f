"""The child workflow of one payment form (000 §7 (八); STYLE.md "Long-lived processes").

Its own history holds the form's approval chain, its deadlines and escalations, the payment and
the settlement. The deal remains the process: it takes the Updates (and checks what it can: the
deal's status, the form's number, finance's work steps) and hands each act here.
"""

from __future__ import annotations

from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.trade import PAYMENT_CHAIN
    from domain.trade_models import Payment, PaymentStatus, TradeStage
    from workflows.approval import ApprovalChain
    from workflows.external_trade.child import DealChild
    from workflows.external_trade.child_messages import ChildAct
    from workflows.external_trade.payment_form import PaymentFormAct, PaymentFormStart, PaymentFormSync, PaymentWalk
    from workflows.external_trade.work import approval_of


@workflow.defn(name="ExternalTradePaymentForm")
class PaymentFormWorkflow(DealChild, PaymentWalk):
    DEAL_SYNCED = "payment_form_synced"

    @workflow.init
    def __init__(self, start: PaymentFormStart) -> None:
        self._begin(start)
        self.payment = start.payment
        self.stage = TradeStage.payment
        what = f"付款 #{start.payment.number} {start.payment.amount}"
        self.chain = ApprovalChain(
            chain=PAYMENT_CHAIN, process=approval_of(self.ref, start.filed_by, what), kernel=self.kernel, lane=self.main
        )

    @workflow.run
    async def run(self, start: PaymentFormStart) -> Payment:
        assert self.chain is not None
        await self._live(self._run_payment(self.payment, self.chain, self.main))
        return self.payment

    @workflow.signal
    async def act(self, act: PaymentFormAct) -> None:
        await self._answer(act)

    async def _act(self, act: ChildAct) -> None:
        assert isinstance(act, PaymentFormAct)
        record = act.paid or act.settlement
        if record is None:
            await super()._act(act)
            return
        assert act.actor is not None
        await self._record_on_form(self.payment, act.actor, record)

    def _ended(self) -> bool:
        return self.payment.status in (PaymentStatus.rejected, PaymentStatus.settled)

    def _sync(self, fields: dict[str, Any]) -> PaymentFormSync:
        return PaymentFormSync(payment=self.payment, **fields)
