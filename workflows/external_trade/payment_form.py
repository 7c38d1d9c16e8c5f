"""One payment form's life (000 §7 (八)): finance audit → division leader → chief accountant, then
paid, then settled — walked the same by a deal that runs its forms in lanes (deals started before
the forms became child workflows) and by the child workflow of one form (`payment_child.py`).

The messages between a deal and the child of one of its forms are here too. The deal stays the
one door and the one book of the process: the API's updates and the inbox's task rows address
the deal (a task row names the deal's run), and the deal writes every moment of the process in one
transaction. So the child hands each of its writes to the deal (`PaymentFormSync`), which writes
it and answers with the deadlines it counted (`PaymentFormWritten`), and the deal hands the child
the acts on the form (`PaymentFormAct`), which the child answers once it rests again
(`PaymentFormReply`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.calendar import StepDeadline
    from activities.notifications import NotificationSpec
    from domain.approvals import Outcome
    from domain.models import (
        Actor,
        AddSignerRequest,
        ClaimRequest,
        DecisionRecord,
        DecisionRequest,
        HandOverRequest,
        TaskClosure,
        TaskSpec,
        UrgeRequest,
        WatcherSpec,
    )
    from domain.roles import Role
    from domain.rulebook import enforces
    from domain.trade import FINANCE_ROLES
    from domain.trade_models import Payment, PaymentRecord, PaymentStatus, Settlement
    from workflows.approval import ApprovalChain
    from workflows.external_trade.work import WorkDesk
    from workflows.kernel import Lane


def payment_form_id(deal_workflow_id: str, number: int) -> str:
    """The child workflow of form `number`: derived from the deal's id, so a retry finds it again."""
    return f"{deal_workflow_id}/payment-{number}"


def started_id(number: int) -> str:
    """The request id of a form's first rest, answered like an act's."""
    return f"started-{number}"


def payment_work_key(number: int, step: str) -> str:
    return f"payment_{number}:{step}"


class NamedRules(BaseModel):
    """The rules a decision applied (issue 21 §3), for the audit entry the deal holds."""

    task_id: str
    step: str
    rules: list[str]


class OpenWork(BaseModel):
    key: str
    spec: TaskSpec
    roles: list[Role]


class PaymentFormStart(BaseModel):
    number: int
    payment: Payment
    process_id: str  # the deal's run: the process the form belongs to
    workflow_id: str  # the deal's: its tasks are decided through the deal
    subject: str
    applicant: str  # the deal's marketing handler
    filed_by: str


class PaymentFormSync(BaseModel):
    """One write of the form, for the deal to make: the form as it now is, and its outbox."""

    number: int
    seq: int
    payment: Payment
    decisions: list[DecisionRecord]
    chain_tasks: list[TaskSpec]
    owned: list[str]  # every task the form's chain opened: a decision on one belongs to the form
    waiting: bool  # an approval step waits for a decision (what 催办 nudges)
    work: list[OpenWork]
    named: list[NamedRules]
    tasks: list[TaskSpec]
    closed: list[TaskClosure]
    notifications: list[NotificationSpec]
    watchers: list[WatcherSpec]
    deadlines: list[StepDeadline]


class PaymentFormWritten(BaseModel):
    seq: int
    deadlines: list[StepDeadline] = Field(default_factory=list)  # as the write counted them


class PaymentFormAct(BaseModel):
    """One act on the form, already accepted by the deal's Update (exactly one field set)."""

    request_id: str
    decide: DecisionRequest | None = None
    hand_over: HandOverRequest | None = None
    add_signer: AddSignerRequest | None = None
    claim: ClaimRequest | None = None
    urge: UrgeRequest | None = None
    paid: PaymentRecord | None = None
    settlement: Settlement | None = None
    actor: Actor | None = None  # who recorded `paid` or `settlement`


class PaymentFormReply(BaseModel):
    """The form rests again after an act, or refused it (the chain's own checks) and changed nothing."""

    request_id: str
    error: str | None = None
    error_type: str | None = None
    details: list[Any] = Field(default_factory=list)


@dataclass
class FormMirror:
    """What a deal knows of one form's child: what it shows, and whether an act awaits its answer."""

    number: int
    handle: workflow.ChildWorkflowHandle[Any, Payment] | None = None
    lane: Lane = field(default_factory=Lane)  # settled while no act waits for the form's answer
    decisions: list[DecisionRecord] = field(default_factory=list)
    chain_tasks: list[TaskSpec] = field(default_factory=list)
    owned: set[str] = field(default_factory=set)
    waiting: bool = False
    ended: bool = False
    pending: int = 0


class PaymentWalk(WorkDesk):
    """The steps of one form, over the work desk of whichever workflow runs it."""

    def _payment_settled(self, payment: Payment) -> None:
        """A form was settled: the deal ends when the contract is settled in full (override)."""

    @enforces("000-7-finance-pays-and-settles")
    async def _run_payment(self, payment: Payment, chain: ApprovalChain, lane: Lane) -> None:
        """000 §7 (八): form → finance audit → division leader → chief accountant → paid → settled."""
        outcome = await chain.run()
        if outcome is not Outcome.approve:
            payment.status = PaymentStatus.rejected  # this form only; the deal goes on
        else:
            payment.status = PaymentStatus.approved
            n = payment.number
            title = f"#{n} {payment.amount}"
            await self._await_work(
                payment_work_key(n, "paid"), f"支付货款 Pay {title}", FINANCE_ROLES, lane, "record_payment"
            )
            await self._await_work(
                payment_work_key(n, "settlement"),
                f"入库结算 Inbound settlement {title}",
                FINANCE_ROLES,
                lane,
                "settlement",
            )
            self._payment_settled(payment)
        await self._rest(lane)

    async def _record_on_form(self, payment: Payment, actor: Actor, record: PaymentRecord | Settlement) -> None:
        """Finance's payment or settlement on an approved form (validated by the deal's Update)."""

        def apply() -> None:
            if isinstance(record, Settlement):
                payment.settlement, payment.status = record, PaymentStatus.settled
            else:
                payment.payment, payment.status = record, PaymentStatus.paid

        step = "settlement" if isinstance(record, Settlement) else "paid"
        await self._finish_work(payment_work_key(payment.number, step), actor, apply)
