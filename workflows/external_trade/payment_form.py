"""One payment form's life (000 §7 (八)): finance audit → division leader → chief accountant, then
paid, then settled — walked the same by a deal that runs its forms in lanes (deals started before
the forms became child workflows) and by the child workflow of one form (`payment_child.py`), with
the messages a form's child and its deal add to every child's (`child_messages.py`).
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.approvals import Outcome
    from domain.models import Actor
    from domain.rulebook import enforces
    from domain.trade import FINANCE_ROLES
    from domain.trade_models import Payment, PaymentRecord, PaymentStatus, Settlement
    from workflows.approval import ApprovalChain
    from workflows.external_trade.child_messages import ChildAct, ChildStart, ChildSync, child_id
    from workflows.external_trade.work import WorkDesk
    from workflows.kernel import Lane


def payment_form_name(number: int) -> str:
    return f"payment-{number}"


def payment_form_id(deal_workflow_id: str, number: int) -> str:
    """The child workflow of form `number`: derived from the deal's id, so a retry finds it again."""
    return child_id(deal_workflow_id, payment_form_name(number))


def payment_work_key(number: int, step: str) -> str:
    return f"payment_{number}:{step}"


class PaymentFormStart(ChildStart):
    payment: Payment
    filed_by: str


class PaymentFormSync(ChildSync):
    payment: Payment


class PaymentFormAct(ChildAct):
    paid: PaymentRecord | None = None
    settlement: Settlement | None = None
    actor: Actor | None = None  # who recorded `paid` or `settlement`


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
