"""The deal's side of its payment forms' child workflows (000 §7 (八)).

A deal started after `PAYMENT_FORM_CHILD_PATCH` runs each payment form as a child workflow
(`payment_child.py`); deals whose history ran forms in lanes of their own replay that way.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.trade_models import Payment, PaymentStatus
    from workflows.external_trade.child_messages import ChildMirror
    from workflows.external_trade.children import DealChildren
    from workflows.external_trade.payment_child import PaymentFormWorkflow
    from workflows.external_trade.payment_form import (
        PaymentFormStart,
        PaymentFormSync,
        PaymentWalk,
        payment_form_name,
    )

# Issue 22: each payment form is a child workflow with its own history. Deals that filed a form
# before ran it in a lane of the deal, and replay so.
PAYMENT_FORM_CHILD_PATCH = "trade-payment-form-child"


class PaymentForms(PaymentWalk, DealChildren):
    """Starts a form's child and writes what it asks to write."""

    async def _start_payment_form(self, payment: Payment, filed_by: str) -> None:
        name = payment_form_name(payment.number)
        form = ChildMirror(name=name)
        self.payment_forms[payment.number] = form  # before the start: its first write may arrive with it
        start = PaymentFormStart(**self._child_start(name).model_dump(), payment=payment, filed_by=filed_by)
        await self._start_child(
            form, workflow.start_child_workflow(PaymentFormWorkflow.run, start, id=self._child_id(name))
        )

    async def _payment_forms_ended(self) -> None:
        """The deal ends after its forms' children (each ends once rejected or settled)."""
        for form in self.payment_forms.values():
            if form.handle is not None:
                await form.handle

    @workflow.signal
    async def payment_form_synced(self, sync: PaymentFormSync) -> None:
        """A form's moment: mirrored here, written with the process in one transaction, answered."""
        form = self.payment_forms[sync.payment.number]
        self._absorb(form, sync)
        form.ended = sync.ended
        self.payments[sync.payment.number - 1] = sync.payment
        if sync.payment.status is PaymentStatus.settled:
            self._payment_settled(sync.payment)
        await self._write_for(form, sync)
