"""Issue 22: each payment form of a deal (000 §7 (八)) runs as a child workflow of the deal, with its
own history, while the deal stays the one process its users and auditors see: the same Updates, the
same tasks (decided through the deal), the same refusals, the same audit record."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from db.models import AuditRecord, Task
from domain import errors
from domain.models import ClaimRequest, DecisionRequest, UrgeRequest
from domain.trade_models import Payment, PaymentStatus
from temporal_client import DATA_CONVERTER
from tests.support import WorkerControl, record_history
from tests.workflows.test_external_trade import (
    PAYMENT_STEPS,
    Deal,
    actor,
    approve_payment,
    approved_partner,
    at_payment,
)
from workflows.external_trade.payment_form import payment_form_id
from workflows.registry import WORKFLOWS

pytestmark = pytest.mark.asyncio(loop_scope="session")

# The deal's history is saved under its workflow id: the replay runs it under that name, and the ids of
# its payment forms' children derive from it.
SAVED_AS = "trade_payment_forms_as_children"
CHIEF_ACCOUNTANT = ("chief_accountant", "decision", "chief_accountant_approval")


async def form_task(deal: Deal, number: int) -> Task:
    """The open finance-audit task of form `number` (each form's tasks name it in their subject)."""
    async with deal.sessions() as session:
        rows = await session.scalars(
            select(Task).where(
                Task.process_id == deal.process_id, Task.status == "open", Task.role == "finance_reviewer"
            )
        )
        found = [t for t in rows if t.subject.startswith(f"付款 #{number} ")]
    assert len(found) == 1, [t.subject for t in found]
    return found[0]


def decision_on(task: Task, who: str, outcome: str = "approve") -> DecisionRequest:
    return DecisionRequest(task_id=task.task_id, step=task.step, outcome=outcome, comment="审核", actor=actor(who))  # type: ignore[arg-type]


async def audit_rows(deal: Deal) -> list[AuditRecord]:
    async with deal.sessions() as session:
        rows = await session.scalars(
            select(AuditRecord).where(AuditRecord.process_id == deal.process_id).order_by(AuditRecord.position)
        )
        return list(rows)


@pytest.mark.rule("000-7-payment-chain", "000-7-finance-pays-and-settles")
async def test_each_payment_form_is_a_child_of_its_deal(
    time_env: WorkflowEnvironment, clock_worker: WorkerControl, sessions: async_sessionmaker[AsyncSession]
) -> None:
    deal = await approved_partner(time_env, clock_worker, sessions, SAVED_AS)
    await at_payment(deal)
    await deal.update("file_payment", deal.form("10000000.00"))
    await deal.update("file_payment", deal.form("20000000.00"))
    first = time_env.client.get_workflow_handle(payment_form_id(deal.handle.id, 1))
    assert (await first.describe()).parent_id == deal.handle.id

    # The form's tasks are the deal's: in the deal's process, decided through the deal.
    task = await form_task(deal, 1)
    assert (task.workflow_id, task.process_id) == (deal.handle.id, deal.process_id)
    # The chain's own checks run in the child and refuse as before: nothing is written.
    rows = len(await audit_rows(deal))
    wrong = await deal.refused("decide", decision_on(task, "sales_clerk"))
    assert wrong.type == errors.FORBIDDEN
    claim = ClaimRequest(task_id=task.task_id, actor=actor("finance_reviewer"))
    await deal.update("claim", claim)
    urge = UrgeRequest(actor=actor("sales_clerk"), comment="请尽快审核")
    await deal.update("urge", urge)
    again = await deal.refused("urge", urge)
    assert again.type == errors.CONFLICT and "already urged" in again.message
    acted = [(r.actor, r.action) for r in (await audit_rows(deal))[rows:] if r.details.get("update")]
    assert acted == [("finance_reviewer", "claimed"), ("sales_clerk", "urged")]  # not the refusals
    nudged = [r.details["recipient"] for r in (await audit_rows(deal))[rows:] if r.action == "urge"]
    assert nudged == ["finance_reviewer", None]  # the claimed task's holder, and form 2's role

    # Form 1 is rejected (this form only), form 2 approved, paid and settled: the deal goes on; a third
    # form settles the contract in full and ends the deal.
    view = await deal.update("decide", decision_on(task, "finance_reviewer", "reject"))
    assert view.status == "running" and view.outstanding == 10000000
    await approve_payment(deal)
    view = await deal.pay_and_settle(2)
    assert (view.status, view.stage, view.outstanding) == ("running", "payment", 10000000)
    await deal.update("file_payment", deal.form("10000000.00"))
    await approve_payment(deal)
    final = await deal.pay_and_settle(3)
    assert (final.status, final.stage, final.outstanding) == ("approved", "completed", 0)
    children = [time_env.client.get_workflow_handle(payment_form_id(deal.handle.id, n)) for n in (1, 2, 3)]
    results = [Payment.model_validate(await child.result()) for child in children]
    assert [p.status for p in results] == [PaymentStatus.rejected, PaymentStatus.settled, PaymentStatus.settled]
    state = await deal.state()
    assert [d.actor for d in state.payments[1].decisions] == PAYMENT_STEPS
    assert [d.outcome for d in state.payments[0].decisions] == ["reject"]

    # The audit record reads as it did: every act on a form is the deal's, its decisions name their rule.
    acts = [(r.actor, r.action, r.step) for r in await audit_rows(deal) if r.details.get("update")]
    assert ("finance_reviewer", "claimed", None) in acts and acts.count(("sales_clerk", "urged", None)) == 1
    finance = ("finance_reviewer", "decision", "finance_audit")
    steps = {"finance_audit", "chief_accountant_approval"}
    # form 1 rejected by finance; form 2 through to the chief accountant; then form 3
    assert [a for a in acts if a[2] in steps] == [finance, finance, CHIEF_ACCOUNTANT, finance, CHIEF_ACCOUNTANT]
    decisions = [r for r in await audit_rows(deal) if r.action == "decision" and r.step == "finance_audit"]
    assert [r.details.get("rules") for r in decisions] == [["000-7-payment-chain"]] * 3

    histories = [await deal.handle.fetch_history(), await children[1].fetch_history()]
    record_history(SAVED_AS, histories[0])
    record_history("trade_payment_form_child_settled", histories[1])
    replayer = Replayer(workflows=WORKFLOWS, data_converter=DATA_CONVERTER)
    for history in histories:
        assert (await replayer.replay_workflow(history)).replay_failure is None


async def test_a_payment_step_in_a_child_escalates_through_its_deal(
    time_env: WorkflowEnvironment, clock_worker: WorkerControl, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """The form's deadline clock runs in the child; its task is dated, reminded and escalated in the
    deal's rows, by the deal's writes."""
    deal = await approved_partner(time_env, clock_worker, sessions)
    await at_payment(deal)
    await deal.update("file_payment", deal.form("30000000.00"))
    task = await deal.task("finance_reviewer")
    assert task.due_at is not None and not task.overdue
    await time_env.sleep(timedelta(days=30))
    await deal.update("current")
    task = await deal.task("finance_reviewer")
    assert task.overdue and task.escalation_level >= 1
