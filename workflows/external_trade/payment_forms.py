"""The deal's side of its payment forms' child workflows (000 §7 (八)).

A deal started after `PAYMENT_FORM_CHILD_PATCH` runs each payment form as a child workflow
(`payment_child.py`); deals whose history ran forms in lanes of their own replay that way. The deal
keeps what it must answer at once — the form's open tasks, decisions and finance's work steps,
mirrored from each write the child hands it — and hands each act on a form to its child.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain.models import AddSignerRequest, CalendarChanged, ClaimRequest, HandOverRequest, UrgeRequest
    from domain.trade_models import Payment, PaymentStatus, TradeView
    from workflows.approval import ApprovalHost
    from workflows.external_trade.base import DealBase
    from workflows.external_trade.payment_child import PaymentFormWorkflow
    from workflows.external_trade.payment_form import (
        FormMirror,
        OpenWork,
        PaymentFormAct,
        PaymentFormReply,
        PaymentFormStart,
        PaymentFormSync,
        PaymentFormWritten,
        PaymentWalk,
        payment_form_id,
        started_id,
    )
    from workflows.external_trade.work import WorkStep

# Issue 22: each payment form is a child workflow with its own history. Deals that filed a form
# before ran it in a lane of the deal, and replay so.
PAYMENT_FORM_CHILD_PATCH = "trade-payment-form-child"


class PaymentForms(PaymentWalk, DealBase):
    """Starts a form's child, hands it the acts on the form, and writes what it asks to write."""

    async def _start_payment_form(self, payment: Payment, filed_by: str) -> None:
        form = FormMirror(number=payment.number)
        self.payment_forms[payment.number] = form  # before the start: its first write may arrive with it
        start = PaymentFormStart(
            number=payment.number,
            payment=payment,
            process_id=self.ref.process_id,
            workflow_id=self.ref.workflow_id,
            subject=self.ref.subject,
            applicant=self.applicant,
            filed_by=filed_by,
        )
        self._awaiting(form)
        form.handle = await workflow.start_child_workflow(
            PaymentFormWorkflow.run, start, id=payment_form_id(self.ref.workflow_id, payment.number)
        )
        await self._form_answer(form, started_id(payment.number))

    def _form_owning(self, task_id: str) -> FormMirror | None:
        return next((form for form in self.payment_forms.values() if task_id in form.owned), None)

    async def _form_act(self, form: FormMirror, act: PaymentFormAct) -> TradeView:
        """Hand an accepted act to the form's child; answer once it rests again, or with its refusal."""
        assert form.handle is not None
        self._awaiting(form)
        await form.handle.signal(PaymentFormWorkflow.act, act)
        await self._form_answer(form, act.request_id)
        return self.view()

    @staticmethod
    def _awaiting(form: FormMirror) -> None:
        """An answer of the form is awaited: a read-your-writes waits for it too."""
        form.pending += 1
        form.lane.move()

    async def _form_answer(self, form: FormMirror, request_id: str) -> None:
        await workflow.wait_condition(lambda: request_id in self.form_replies)
        form.pending -= 1
        form.lane.settled = form.pending == 0
        reply = self.form_replies.pop(request_id)
        if reply.error is not None:
            raise ApplicationError(reply.error, *reply.details, type=reply.error_type)

    def _new_act(self, **act: Any) -> PaymentFormAct:
        return PaymentFormAct(request_id=str(workflow.uuid4()), **act)

    async def _payment_forms_ended(self) -> None:
        """The deal ends after its forms' children (each ends once rejected or settled)."""
        for form in self.payment_forms.values():
            if form.handle is not None:
                await form.handle

    # --- what a form's child asks of the deal -----------------------------------------------------

    @workflow.signal
    def payment_form_replied(self, reply: PaymentFormReply) -> None:
        self.form_replies[reply.request_id] = reply

    @workflow.signal
    async def payment_form_synced(self, sync: PaymentFormSync) -> None:
        """A form's moment: mirrored here, written with the process in one transaction, answered."""
        form = self.payment_forms[sync.number]
        form.decisions, form.chain_tasks, form.waiting = sync.decisions, sync.chain_tasks, sync.waiting
        form.owned.update(sync.owned)
        form.ended = sync.payment.status in (PaymentStatus.rejected, PaymentStatus.settled)
        self.payments[sync.number - 1] = sync.payment
        self._mirror_work(form, sync.work)
        outbox = self.kernel.outbox
        for task in sync.tasks:
            outbox.put_task(task)
        outbox.closed += sync.closed
        outbox.notifications += sync.notifications
        outbox.watchers += sync.watchers
        outbox.deadlines += sync.deadlines
        for named in sync.named:
            outbox.name_rules(named.task_id, named.step, tuple(named.rules))
        if sync.payment.status is PaymentStatus.settled:
            self._payment_settled(sync.payment)
        await self.kernel.flush()
        answers = self.kernel.answers
        counted = [d.model_copy(update={"answer": answers.pop(d.key)}) for d in sync.deadlines if d.key in answers]
        await workflow.wait_condition(lambda: form.handle is not None)
        assert form.handle is not None
        await form.handle.signal(PaymentFormWorkflow.written, PaymentFormWritten(seq=sync.seq, deadlines=counted))

    def _mirror_work(self, form: FormMirror, work: list[OpenWork]) -> None:
        """Finance's open work steps on the form, so the deal's Updates check them as before."""
        prefix = f"payment_{form.number}:"
        for key in [k for k in self.work if k.startswith(prefix)]:
            del self.work[key]
        for step in work:
            self.work[step.key] = WorkStep(step.spec, tuple(step.roles), form.lane)

    async def _replan_own(self, change: CalendarChanged) -> bool:
        """A new year's schedule: each running form re-plans its chain's deadlines in its child."""
        for form in self.payment_forms.values():
            if form.handle is not None and not form.ended:
                await form.handle.signal(PaymentFormWorkflow.calendar_changed, change)
        return False

    # --- step actions on a form's tasks (the deal's own tasks: as every process) -------------------

    async def _step_action(self, name: str, request: Any, on_deal: Callable[[], Awaitable[Any]]) -> Any:
        """A step action on a task: the deal's chains act as in every process, a form's child on its own."""
        form = self._form_owning(request.task_id)
        if form is None:
            return await on_deal()
        self._require_open()
        return await self._form_act(form, self._new_act(**{name: request}))

    def _check_step_action(self, request: Any, on_deal: Callable[[], None]) -> None:
        self._require_open()
        if self._form_owning(request.task_id) is None:
            on_deal()  # a form's child checks its chain's tasks itself

    @workflow.update
    async def hand_over(self, request: HandOverRequest) -> Any:
        """委托 / 转办 of an open task."""
        return await self._step_action("hand_over", request, lambda: ApprovalHost.hand_over(self, request))

    @hand_over.validator
    def validate_hand_over(self, request: HandOverRequest) -> None:
        self._check_step_action(request, lambda: ApprovalHost.validate_hand_over(self, request))

    @workflow.update
    async def add_signer(self, request: AddSignerRequest) -> Any:
        """加签 before or after the current step."""
        return await self._step_action("add_signer", request, lambda: ApprovalHost.add_signer(self, request))

    @add_signer.validator
    def validate_add_signer(self, request: AddSignerRequest) -> None:
        self._check_step_action(request, lambda: ApprovalHost.validate_add_signer(self, request))

    @workflow.update
    async def claim(self, request: ClaimRequest) -> Any:
        """Claim (or release) a role task."""
        return await self._step_action("claim", request, lambda: ApprovalHost.claim(self, request))

    @claim.validator
    def validate_claim(self, request: ClaimRequest) -> None:
        self._check_step_action(request, lambda: ApprovalHost.validate_claim(self, request))

    def _waiting_forms(self) -> list[FormMirror]:
        return [form for form in self.payment_forms.values() if form.waiting and not form.ended]

    @workflow.update
    async def urge(self, request: UrgeRequest) -> Any:
        """催办: nudge whoever holds the process's open approval tasks, a form's in its child."""
        forms = self._waiting_forms()
        if not forms:
            return await ApprovalHost.urge(self, request)
        self.validate_urge(request)
        for chain in self._waiting_chains():
            chain.lane.move()
            await chain.urge(request)
        for form in forms:
            await self._form_act(form, self._new_act(urge=request))
        for chain in self._chains():
            await self.kernel.rested(chain.lane)
        return self.view()

    @urge.validator
    def validate_urge(self, request: UrgeRequest) -> None:
        if not self._waiting_forms():
            ApprovalHost.validate_urge(self, request)
            return
        self._require_open()
        for chain in self._waiting_chains():
            chain.validate_urge(request)
