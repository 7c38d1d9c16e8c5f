"""The payment forms of a deal (000 §7 (八)): filed by marketing up to the contract's outstanding
amount, each approved by finance → division leader → chief accountant, then paid and settled while
the deal goes on. A form runs as a child workflow (`payment_forms.py`); a deal that filed forms
before runs them in lanes of its own, as it did.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain import errors
    from domain.china_time import china_iso
    from domain.models import Actor, ProcessStatus
    from domain.rulebook import enforces
    from domain.trade import MARKETING_ROLES, PAYMENT_CHAIN
    from domain.trade_models import (
        Payment,
        PaymentFormRequest,
        PaymentPaidRequest,
        PaymentRecord,
        PaymentStatus,
        Settlement,
        SettlementRequest,
        TradeStage,
        TradeView,
    )
    from workflows.external_trade.payment_form import PaymentFormAct, payment_work_key
    from workflows.external_trade.payment_forms import PAYMENT_FORM_CHILD_PATCH, PaymentForms
    from workflows.external_trade.work import refuse
    from workflows.kernel import Lane


class PaymentSteps(PaymentForms):
    """Payment approval forms up to the contract's amount, each a child workflow (or a lane)."""

    def _payment_settled(self, payment: Payment) -> None:
        assert self.contract is not None
        if self._total(PaymentStatus.settled) >= self.contract.current.amount:
            self._end(ProcessStatus.approved, TradeStage.completed)

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
        if workflow.patched(PAYMENT_FORM_CHILD_PATCH):
            self.payments.append(payment)
            await self._start_payment_form(payment, request.actor.username)
            return self.view()
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
            raise refuse(
                "payment forms are filed once the title-transfer certificate is recorded (000 §7 (七)-(八)); "
                f"the deal is at stage {self.stage.value}"
            )
        self._require_role(request.actor, MARKETING_ROLES, "filing a payment approval form")
        outstanding = self._outstanding()
        assert outstanding is not None and self.contract is not None
        if request.form.amount > outstanding:
            pending = self._total(PaymentStatus.in_approval, PaymentStatus.approved)
            paid = self._total(PaymentStatus.paid, PaymentStatus.settled)
            raise refuse(
                f"amount {request.form.amount} exceeds the contract's outstanding amount {outstanding} "
                f"(contract {self.contract.current.amount}, paid {paid}, in approval {pending})",
                errors.INVALID,
            )

    def _payment_work(self, number: int, step: str, actor: Actor, action: str) -> None:
        self._require_running()
        if not 1 <= number <= len(self.payments):
            raise refuse(f"payment {number} not found", errors.NOT_FOUND)
        payment = self.payments[number - 1]
        if payment_work_key(number, step) not in self.work:
            raise refuse(f"{action} does not fit now: payment {number} is {payment.status.value}")
        self._require_work(payment_work_key(number, step), actor, action)

    async def _advance_payment(self, number: int, actor: Actor, record: PaymentRecord | Settlement) -> TradeView:
        form = self.payment_forms.get(number)
        if form is None:  # a form of a deal that ran its forms in lanes
            await self._record_on_form(self.payments[number - 1], actor, record)
            return self.view()
        if isinstance(record, Settlement):
            return await self._child_act(form, self._new_act(PaymentFormAct, settlement=record, actor=actor))
        return await self._child_act(form, self._new_act(PaymentFormAct, paid=record, actor=actor))

    @workflow.update
    async def record_payment(self, request: PaymentPaidRequest) -> TradeView:
        """Finance pays the approved form."""
        self.validate_record_payment(request)
        record = PaymentRecord(**request.paid.model_dump(), by=request.actor.username, at=workflow.now())
        return await self._advance_payment(request.number, request.actor, record)

    @record_payment.validator
    def validate_record_payment(self, request: PaymentPaidRequest) -> None:
        self._payment_work(request.number, "paid", request.actor, "recording the payment")
        if request.paid.paid_at > workflow.now() + timedelta(minutes=5):
            raise refuse(f"paid_at {china_iso(request.paid.paid_at)} lies in the future", errors.INVALID)

    @workflow.update
    async def record_settlement(self, request: SettlementRequest) -> TradeView:
        """Finance, with marketing, settles the inbound refined oil 入库结算 (000 §7 (八))."""
        self.validate_record_settlement(request)
        record = Settlement(**request.settlement.model_dump(), by=request.actor.username, at=workflow.now())
        return await self._advance_payment(request.number, request.actor, record)

    @record_settlement.validator
    def validate_record_settlement(self, request: SettlementRequest) -> None:
        self._payment_work(request.number, "settlement", request.actor, "recording the inbound settlement")
        self._not_future(request.settlement.settled_on, "settled_on")
