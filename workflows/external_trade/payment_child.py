"""The child workflow of one payment form (000 §7 (八); STYLE.md "Long-lived processes").

Its own history holds the form's approval chain, its deadlines and escalations, the payment and
the settlement. The deal remains the process: it takes the Updates (and checks what it can: the
deal's status, the form's number, finance's work steps), hands each act here (`act`), and makes
every write this workflow asks for (`payment_form.py` says why).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.calendar import StepDeadline
    from domain.models import CalendarChanged, ProcessStatus
    from domain.trade import PAYMENT_CHAIN, PROCESS_TYPE
    from domain.trade_models import Payment, TradeStage
    from workflows.approval import ApprovalChain, ProcessRef
    from workflows.external_trade.payment_form import (
        NamedRules,
        OpenWork,
        PaymentFormAct,
        PaymentFormReply,
        PaymentFormStart,
        PaymentFormSync,
        PaymentFormWritten,
        PaymentWalk,
        started_id,
    )
    from workflows.external_trade.work import approval_of
    from workflows.kernel import Kernel, Outbox

DEAL_SYNCED = "payment_form_synced"  # the deal's signals (payment_forms.py)
DEAL_REPLIED = "payment_form_replied"
# An act on the form's chain: the field of `PaymentFormAct` -> the chain's check and its action.
CHAIN_ACTS = {
    "decide": ("validate", "decide"),
    "hand_over": ("validate_hand_over", "hand_over"),
    "add_signer": ("validate_add_signer", "add_signer"),
    "claim": ("validate_claim", "claim"),
    "urge": ("validate_urge", "urge"),
}


@dataclass
class NamingOutbox(Outbox):
    """The form's outbox: the deal holds the audit entry of each act, so the rules a decision
    applied travel with the write, to be named on that entry there."""

    named: list[NamedRules] = field(default_factory=list)

    def name_rules(self, task_id: str, step: str, rules: tuple[str, ...]) -> None:
        self.named.append(NamedRules(task_id=task_id, step=step, rules=list(rules)))

    def take(self) -> NamingOutbox:
        taken = NamingOutbox(**vars(self))
        self.tasks, self.closed, self.notifications, self.watchers, self.audit, self.deadlines = [], [], [], [], [], []
        self.named = []
        return taken


@workflow.defn(name="ExternalTradePaymentForm")
class PaymentFormWorkflow(PaymentWalk):
    @workflow.init
    def __init__(self, start: PaymentFormStart) -> None:
        self.payment = start.payment
        self.applicant = start.applicant
        self.ref = ProcessRef(
            process_id=start.process_id,
            workflow_id=start.workflow_id,
            process_type=PROCESS_TYPE,
            subject=start.subject,
            applicant=start.applicant,
        )
        self.status, self.stage = ProcessStatus.running, TradeStage.payment
        self.kernel = Kernel(self._write, self.ref)
        self.kernel.outbox = NamingOutbox()
        self.main = self.kernel.main
        self.work = {}
        what = f"付款 #{start.number} {start.payment.amount}"
        self.chain = ApprovalChain(
            chain=PAYMENT_CHAIN, process=approval_of(self.ref, start.filed_by, what), kernel=self.kernel, lane=self.main
        )
        self.seq = 0
        self.answered: dict[int, list[StepDeadline]] = {}  # by write, the deadlines the deal counted
        parent = workflow.info().parent
        assert parent is not None, "a payment form runs as a child of its deal"
        self.deal = workflow.get_external_workflow_handle(parent.workflow_id, run_id=parent.run_id)

    @workflow.run
    async def run(self, start: PaymentFormStart) -> Payment:
        walk = asyncio.create_task(self._run_payment(self.payment, self.chain, self.main))
        await self.kernel.rested(self.main)
        await self.deal.signal(DEAL_REPLIED, PaymentFormReply(request_id=started_id(self.payment.number)))
        await walk
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.payment

    # --- acts handed on by the deal ---------------------------------------------------------------

    @workflow.signal
    async def act(self, act: PaymentFormAct) -> None:
        try:
            await self._act(act)
        except ApplicationError as refused:  # the chain's own checks: nothing changed
            reply = PaymentFormReply(
                request_id=act.request_id, error=refused.message, error_type=refused.type, details=list(refused.details)
            )
        else:
            reply = PaymentFormReply(request_id=act.request_id)
        await self.deal.signal(DEAL_REPLIED, reply)

    async def _act(self, act: PaymentFormAct) -> None:
        if act.paid is not None or act.settlement is not None:
            assert act.actor is not None
            await self._record_on_form(self.payment, act.actor, act.paid or act.settlement)  # type: ignore[arg-type]
            return
        name, request = next((name, getattr(act, name)) for name in CHAIN_ACTS if getattr(act, name) is not None)
        check, run = CHAIN_ACTS[name]
        getattr(self.chain, check)(request)  # the chain's own checks, as the deal's validator ran them before
        self.main.move()
        await getattr(self.chain, run)(request)
        await self.kernel.rested(self.main)

    @workflow.signal
    async def calendar_changed(self, change: CalendarChanged) -> None:
        """The deal passes on a new year's schedule: the chain's provisional deadlines re-plan."""
        async with self.kernel.busy():
            if await self.chain.replan(change):
                await self.kernel.flush()

    # --- writes, made by the deal -----------------------------------------------------------------

    @workflow.signal
    def written(self, answer: PaymentFormWritten) -> None:
        self.answered[answer.seq] = answer.deadlines

    async def _write(self, outbox: Outbox) -> None:
        """Hand the moment to the deal, which writes it with the process; wait for its answer."""
        self.seq += 1
        seq = self.seq
        chain = self.chain
        sync = PaymentFormSync(
            number=self.payment.number,
            seq=seq,
            payment=self.payment,
            decisions=list(chain.decisions),
            chain_tasks=chain.open_tasks,
            owned=[t.task_id for t in chain.open_tasks] + list(chain.closed_task_ids),
            waiting=chain.waiting_for_decision,
            work=[OpenWork(key=k, spec=w.spec, roles=list(w.roles)) for k, w in self.work.items() if not w.done],
            named=outbox.named if isinstance(outbox, NamingOutbox) else [],
            tasks=outbox.tasks,
            closed=outbox.closed,
            notifications=outbox.notifications,
            watchers=outbox.watchers,
            deadlines=outbox.deadlines,
        )
        await self.deal.signal(DEAL_SYNCED, sync)
        await workflow.wait_condition(lambda: seq in self.answered)
        self.kernel.answered(self.answered.pop(seq))
