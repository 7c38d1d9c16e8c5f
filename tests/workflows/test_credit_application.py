"""The credit application and the GM's over-limit approval on the time-skipping server (000 §13;
001 信用管理措施 §3): who approves, what the grant writes, step deadlines, and one booking per approval."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from activities.credit_hold import hold_credit
from activities.credit_store import credit_standing
from api.over_limit import start_import_follow_up, start_over_limit_approval
from db.models import (
    AuditRecord,
    CreditAccount,
    CreditDecision,
    Customer,
    CustomerBalance,
    CustomerLedgerEntry,
    Notification,
    Process,
    Task,
)
from domain.approvals import Outcome
from domain.credit import (
    RATIFICATION_PREFIX,
    CreditCustomer,
    Settlement,
    credit_application_workflow_id,
    over_limit_workflow_id,
)
from domain.credit_application import (
    AnalysisRequest,
    CreditAnalysisIn,
    CreditApplicationForm,
    CreditApplicationInput,
    CreditResubmission,
    OverLimitView,
    credit_application_chain,
)
from domain.grading import Grade
from domain.import_credit import Beyond, FollowUp
from domain.ledger import LedgerEntry, LedgerKind
from domain.models import DecisionRequest, ProcessStatus, ProcessView, WithdrawRequest
from tests.engine_support import person
from tests.support import WorkerControl, random_credit_code, record_history

pytestmark = pytest.mark.asyncio(loop_scope="session")

CEILING_C = Decimal("500000.00")  # DEFAULT_POLICY, grade C (a new customer's grade, 001 §1)


async def new_customer(sessions: async_sessionmaker[AsyncSession], unit: str = "MKT") -> CreditCustomer:
    async with sessions() as session, session.begin():
        customer = Customer(
            credit_code=random_credit_code(),
            name="郑州信用测试石化",
            kind="allocation_self_sale",
            address="郑州",
            legal_representative="王",
            phone="0371-1",
            card={},
            onboarding_process_id=f"credit-test-{uuid.uuid4()}",
            trading_since=datetime.now(UTC).date(),
            created_at=datetime.now(UTC),
            created_by="sales_clerk",
            unit_code=unit,
        )
        session.add(customer)
    return CreditCustomer(customer_id=customer.id, credit_code=customer.credit_code, name=customer.name, unit=unit)


def form(customer: CreditCustomer, limit: str, **overrides: Any) -> CreditApplicationForm:
    values: dict[str, Any] = {
        "customer_id": customer.customer_id,
        "limit": Decimal(limit),
        "term_days": 30,
        "collateral": "房产抵押",
        "reason": "长期合作, 月度结算",
        "collector": "sales_clerk",
        "grade": "C",
        "ceiling": CEILING_C,
        "policy_version": 1,
    }
    return CreditApplicationForm(**(values | overrides))


async def start_application(
    client: Client, task_queue: str, customer: CreditCustomer, limit: str
) -> WorkflowHandle[Any, Any]:
    filed = form(customer, limit)
    start = CreditApplicationInput(
        customer=customer,
        form=filed,
        applicant=person("sales_clerk"),
        unit_path=["MKT"],
        chain=credit_application_chain(filed.limit, filed.ceiling),
    )
    handle = await client.start_workflow(
        "CreditApplication",
        start,
        id=credit_application_workflow_id(customer.credit_code, uuid.uuid4().hex[:12]),
        task_queue=task_queue,
    )
    # as a reviewer does: act once the joint review's tasks are in the inboxes (an analysis sent
    # while the process is still opening its first step is refused, "at step None")
    await handle.execute_update("current", result_type=ProcessView)
    return handle


async def open_tasks(sessions: async_sessionmaker[AsyncSession], process_id: str) -> list[Task]:
    async with sessions() as session:
        return list(
            await session.scalars(
                select(Task).where(Task.process_id == process_id, Task.status == "open").order_by(Task.role)
            )
        )


async def decide(
    handle: WorkflowHandle[Any, Any], task: Task, username: str, outcome: Outcome = Outcome.approve
) -> ProcessView:
    request = DecisionRequest(
        task_id=task.task_id, step=task.step, outcome=outcome, comment="意见", actor=person(username)
    )
    return await handle.execute_update("decide", request, result_type=ProcessView)


async def analyse(
    handle: WorkflowHandle[Any, Any], username: str, limit: str, ceiling: Decimal = CEILING_C
) -> ProcessView:
    """A reviewer's analysis at the joint review (000 §13): grade C, the limit given."""
    request = AnalysisRequest(
        analysis=CreditAnalysisIn(grade=Grade.C, limit=Decimal(limit), reasoning="认真分析"),
        actor=person(username),
        ceiling=ceiling,
    )
    return await handle.execute_update("analyse", request, result_type=ProcessView)


async def analyse_jointly(handle: WorkflowHandle[Any, Any], limit: str) -> ProcessView:
    await analyse(handle, "marketing_reviewer", limit)
    return await analyse(handle, "finance_reviewer", limit)


async def approve_step(
    handle: WorkflowHandle[Any, Any], sessions: async_sessionmaker[AsyncSession], process_id: str, step: str
) -> ProcessView:
    tasks = await open_tasks(sessions, process_id)
    assert {t.step for t in tasks} == {step}
    view = None
    for task in tasks:
        view = await decide(handle, task, task.role)
    assert view is not None
    return view


@pytest.mark.rule("000-13-joint-analysis", "000-13-leaders-approve")
async def test_joint_review_and_both_leaders_grant_periodic_settlement(
    time_env: WorkflowEnvironment, clock_worker: WorkerControl, sessions: async_sessionmaker[AsyncSession]
) -> None:
    customer = await new_customer(sessions)
    handle = await start_application(time_env.client, clock_worker.task_queue, customer, "200000.00")
    view = await handle.execute_update("current", result_type=ProcessView)
    assert view.current_step == "joint_review"
    tasks = await open_tasks(sessions, view.process_id)
    assert [t.role for t in tasks] == ["finance_reviewer", "marketing_reviewer"]  # 000 §13: both, in parallel
    assert all(t.due_at is not None for t in tasks)

    # A bare approval is refused: the reviewer approves with their analysis (000 §13).
    with pytest.raises(WorkflowUpdateFailedError):
        await decide(handle, tasks[0], "finance_reviewer")
    # One analysis is not enough: the step is a countersign (mode all).
    view = await analyse(handle, "finance_reviewer", "200000.00")
    assert view.current_step == "joint_review"
    view = await analyse(handle, "marketing_reviewer", "200000.00")
    assert view.current_step == "leaders_approval"
    leaders = await open_tasks(sessions, view.process_id)
    assert [t.role for t in leaders] == ["business_vp", "chief_accountant"]
    await decide(handle, leaders[0], "business_vp")
    view = await decide(handle, leaders[1], "chief_accountant")
    assert view.status is ProcessStatus.approved  # no GM step: the limit is within grade C's ceiling

    async with sessions() as session:
        account = await session.get(CreditAccount, customer.customer_id)
        assert account is not None
        assert (account.settlement, account.credit_limit, account.term_days) == ("periodic", Decimal("200000.00"), 30)
        assert (account.collector, account.collateral, account.review_required) == ("sales_clerk", "房产抵押", False)
        assert account.granted_process_id == view.process_id
        [decision] = (
            await session.scalars(select(CreditDecision).where(CreditDecision.customer_id == customer.customer_id))
        ).all()
        assert (decision.kind, decision.outcome, decision.old_settlement, decision.new_settlement) == (
            "application",
            "granted",
            "prepaid",
            "periodic",
        )
        assert decision.decided_by == "chief_accountant"
        assert decision.form["limit"] == "200000.00"
        notes = (await session.scalars(select(Notification).where(Notification.process_id == view.process_id))).all()
        told = {(n.recipient, n.recipient_role) for n in notes if n.kind == "credit_granted"}
        assert told == {("sales_clerk", None), (None, "finance_reviewer")}
        standing = await credit_standing(session, customer.customer_id)
        assert standing.settlement is Settlement.periodic
        assert standing.available == Decimal("200000.00")


async def test_a_limit_above_the_grade_ceiling_needs_the_general_manager(
    time_env: WorkflowEnvironment, clock_worker: WorkerControl, sessions: async_sessionmaker[AsyncSession]
) -> None:
    customer = await new_customer(sessions)
    handle = await start_application(time_env.client, clock_worker.task_queue, customer, "800000.00")
    view = await analyse_jointly(handle, "800000.00")
    view = await approve_step(handle, sessions, view.process_id, "leaders_approval")
    assert view.current_step == "gm_approval"  # 001 §3: beyond the credit range
    async with sessions() as session:
        assert await session.get(CreditAccount, customer.customer_id) is None  # not granted yet
    view = await approve_step(handle, sessions, view.process_id, "gm_approval")
    assert view.status is ProcessStatus.approved
    async with sessions() as session:
        account = await session.get(CreditAccount, customer.customer_id)
        assert account is not None and account.credit_limit == Decimal("800000.00")
        decision = await session.scalar(select(CreditDecision).where(CreditDecision.process_id == view.process_id))
        assert decision is not None and decision.decided_by == "general_manager"
    await handle.result()
    record_history("credit_application_gm_approved_rule_named", await handle.fetch_history())


async def test_a_returned_application_resubmitted_above_the_ceiling_adds_the_gm_step(
    time_env: WorkflowEnvironment, clock_worker: WorkerControl, sessions: async_sessionmaker[AsyncSession]
) -> None:
    customer = await new_customer(sessions)
    handle = await start_application(time_env.client, clock_worker.task_queue, customer, "100000.00")
    view = await handle.execute_update("current", result_type=ProcessView)
    [finance, _] = await open_tasks(sessions, view.process_id)
    view = await decide(handle, finance, "finance_reviewer", Outcome.return_)
    assert view.status is ProcessStatus.returned
    # The other seat's task is cancelled; the applicant is asked to correct and resubmit (issue 20 item 16).
    [correction] = await open_tasks(sessions, view.process_id)
    assert (correction.step, correction.assignee, correction.comment) == (
        "correct_and_resubmit",
        "sales_clerk",
        "finance_reviewer returned it at joint_review: 意见",
    )
    assert view.holders == ["sales_clerk"]

    corrected = CreditResubmission(actor=person("sales_clerk"), form=form(customer, "900000.00"), comment="提高额度")
    stranger = corrected.model_copy(update={"actor": person("marketing_reviewer")})
    with pytest.raises(WorkflowUpdateFailedError):
        await handle.execute_update("resubmit", stranger, result_type=ProcessView)
    view = await handle.execute_update("resubmit", corrected, result_type=ProcessView)
    assert (view.status, view.current_step, view.round) == (ProcessStatus.running, "joint_review", 2)
    view = await analyse_jointly(handle, "900000.00")
    view = await approve_step(handle, sessions, view.process_id, "leaders_approval")
    assert view.current_step == "gm_approval"  # the corrected limit is beyond grade C's ceiling
    view = await approve_step(handle, sessions, view.process_id, "gm_approval")
    assert view.status is ProcessStatus.approved
    async with sessions() as session:
        account = await session.get(CreditAccount, customer.customer_id)
        assert account is not None and account.credit_limit == Decimal("900000.00")
    await handle.result()
    record_history("credit_application_returned_correction_task_resubmitted", await handle.fetch_history())


async def test_a_rejection_leaves_the_customer_prepaid(
    time_env: WorkflowEnvironment, clock_worker: WorkerControl, sessions: async_sessionmaker[AsyncSession]
) -> None:
    customer = await new_customer(sessions)
    handle = await start_application(time_env.client, clock_worker.task_queue, customer, "100000.00")
    view = await analyse_jointly(handle, "100000.00")
    leaders = await open_tasks(sessions, view.process_id)
    view = await decide(handle, leaders[0], "business_vp", Outcome.reject)
    assert view.status is ProcessStatus.rejected
    async with sessions() as session:
        assert await session.get(CreditAccount, customer.customer_id) is None
        assert (await credit_standing(session, customer.customer_id)).settlement is Settlement.prepaid
        decisions = await session.scalars(
            select(CreditDecision).where(CreditDecision.customer_id == customer.customer_id)
        )
        assert decisions.all() == []
        assert await open_tasks(sessions, view.process_id) == []


async def test_a_late_joint_review_is_reminded_then_escalated(
    time_env: WorkflowEnvironment, clock_worker: WorkerControl, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """ASSUMPTION 3 working days per step; past it the marketing manager gets a 督办 task."""
    customer = await new_customer(sessions)
    handle = await start_application(time_env.client, clock_worker.task_queue, customer, "100000.00")
    view = await handle.execute_update("current", result_type=ProcessView)
    [first, _] = await open_tasks(sessions, view.process_id)
    assert first.due_at is not None
    due = first.due_at if first.due_at.tzinfo else first.due_at.replace(tzinfo=UTC)
    await time_env.sleep(due + timedelta(minutes=5) - await time_env.get_current_time())
    await handle.execute_update("current", result_type=ProcessView)
    async with sessions() as session:
        kinds = set(
            (await session.scalars(select(Notification.kind).where(Notification.process_id == view.process_id))).all()
        )
        assert "reminder" in kinds
        tasks = (await session.scalars(select(Task).where(Task.process_id == view.process_id))).all()
    overdue = [t for t in tasks if t.step == "joint_review" and t.status == "open"]
    assert overdue and all(t.overdue for t in overdue)
    assert any(t.role == "marketing_manager" and t.status == "open" for t in tasks if t.step != "joint_review")


# --- the GM's over-limit approval (001 §3) --------------------------------------------------------


async def credit_customer(sessions: async_sessionmaker[AsyncSession], limit: str) -> CreditCustomer:
    """A periodic customer who has used its whole limit already."""
    customer = await new_customer(sessions)
    now = datetime.now(UTC)
    async with sessions() as session, session.begin():
        session.add(
            CreditAccount(
                customer_id=customer.customer_id,
                settlement="periodic",
                credit_limit=Decimal(limit),
                term_days=30,
                collateral=None,
                collector="sales_clerk",
                risk_level="low",
                overdue_amount=Decimal("0"),
                overdue_days=0,
                review_required=False,
                risk_since=None,
                granted_process_id=None,
                updated_at=now,
            )
        )
        session.add(CustomerBalance(customer_id=customer.customer_id, balance=-Decimal(limit), updated_at=now))
    return customer


async def start_over_limit(
    client: Client, task_queue: str, sessions: async_sessionmaker[AsyncSession], customer: CreditCustomer
) -> tuple[str, LedgerEntry]:
    entry = LedgerEntry(
        customer_id=customer.customer_id,
        kind=LedgerKind.delivery,
        amount=Decimal("3000.00"),
        reference="提货单 OL-1",
        occurred_at=datetime.now(UTC),
        recorded_by="sales_clerk",
    )
    async with sessions() as session:
        standing = await credit_standing(session, customer.customer_id)
    process_id = await start_over_limit_approval(
        client, task_queue, customer, entry, standing, "over the credit limit", person("sales_clerk")
    )
    return process_id, entry


async def over_limit_handle(client: Client, sessions: async_sessionmaker[AsyncSession], process_id: str) -> Any:
    async with sessions() as session:
        process = await session.get(Process, process_id)
    assert process is not None and process.workflow_id.startswith("credit-over-limit-")
    return client.get_workflow_handle(process.workflow_id, run_id=process_id)


async def deliveries(sessions: async_sessionmaker[AsyncSession], customer_id: int) -> list[CustomerLedgerEntry]:
    async with sessions() as session:
        return list(
            await session.scalars(
                select(CustomerLedgerEntry).where(
                    CustomerLedgerEntry.customer_id == customer_id, CustomerLedgerEntry.kind == "delivery"
                )
            )
        )


async def test_the_gm_approves_a_delivery_over_the_limit_and_it_is_booked_once(
    time_env: WorkflowEnvironment, clock_worker: WorkerControl, sessions: async_sessionmaker[AsyncSession]
) -> None:
    customer = await credit_customer(sessions, "10000.00")
    process_id, entry = await start_over_limit(time_env.client, clock_worker.task_queue, sessions, customer)
    handle = await over_limit_handle(time_env.client, sessions, process_id)
    assert over_limit_workflow_id(customer.credit_code, "")[:-1] in handle.id
    view = await handle.query("view", result_type=OverLimitView)
    assert (view.entry.amount, view.entry.reference, view.booked_entry_id) == (entry.amount, entry.reference, None)
    [task] = await open_tasks(sessions, process_id)
    assert (task.role, task.step) == ("general_manager", "gm_approval")
    assert "3000.00" in task.subject and "short by 3000.00" in task.subject  # the figures the GM decides on
    assert task.due_at is not None  # ASSUMPTION: one working day

    await decide(handle, task, "general_manager")
    result = await handle.result()
    assert OverLimitView.model_validate(result).booked_entry_id is not None
    [booked] = await deliveries(sessions, customer.customer_id)
    assert (booked.amount, booked.process_id, booked.recorded_by) == (Decimal("3000.00"), process_id, "sales_clerk")
    async with sessions() as session:
        balance = await session.get(CustomerBalance, customer.customer_id)
        assert balance is not None and balance.balance == Decimal("-13000.00")
        process = await session.get(Process, process_id)
        assert process is not None and process.status == "approved"
        told = await session.scalars(
            select(Notification.recipient).where(
                Notification.process_id == process_id, Notification.kind == "over_limit_decided"
            )
        )
        assert told.all() == ["sales_clerk"]  # the poster learns the answer
        named = select(AuditRecord.outcome).where(AuditRecord.process_id == process_id)
        applied = (await session.scalars(named.where(AuditRecord.action == "rule_applied"))).all()
        assert len(applied) == 1 and applied[0].startswith("credit_policy v")  # issue 20 item 7: its version
    record_history("credit_over_limit_booked_rule_pinned", await handle.fetch_history())


async def test_the_gm_rejects_and_nothing_is_booked(
    time_env: WorkflowEnvironment, clock_worker: WorkerControl, sessions: async_sessionmaker[AsyncSession]
) -> None:
    customer = await credit_customer(sessions, "10000.00")
    process_id, _ = await start_over_limit(time_env.client, clock_worker.task_queue, sessions, customer)
    handle = await over_limit_handle(time_env.client, sessions, process_id)
    [task] = await open_tasks(sessions, process_id)
    view = await decide(handle, task, "general_manager", Outcome.reject)
    assert view.status is ProcessStatus.rejected
    await handle.result()
    assert await deliveries(sessions, customer.customer_id) == []
    async with sessions() as session:
        balance = await session.get(CustomerBalance, customer.customer_id)
        assert balance is not None and balance.balance == Decimal("-10000.00")


async def test_the_poster_withdraws_and_nothing_is_booked(
    time_env: WorkflowEnvironment, clock_worker: WorkerControl, sessions: async_sessionmaker[AsyncSession]
) -> None:
    customer = await credit_customer(sessions, "10000.00")
    process_id, _ = await start_over_limit(time_env.client, clock_worker.task_queue, sessions, customer)
    handle = await over_limit_handle(time_env.client, sessions, process_id)
    withdrawn = WithdrawRequest(actor=person("sales_clerk"), reason="客户改为先付款")
    view = await handle.execute_update("withdraw", withdrawn, result_type=ProcessView)
    assert view.status is ProcessStatus.withdrawn
    await handle.result()
    assert await open_tasks(sessions, process_id) == []
    assert await deliveries(sessions, customer.customer_id) == []


async def test_the_gm_ratifies_imported_deliveries_and_the_credit_hold_lifts(
    time_env: WorkflowEnvironment, clock_worker: WorkerControl, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """Issue 20 (001 §3): an import booked the deliveries already; the GM's ratification books nothing
    more and lifts the hold the import set; a ratification cannot be withdrawn."""
    customer = await credit_customer(sessions, "10000.00")
    async with sessions() as session, session.begin():
        await hold_credit(session, [customer.customer_id])
        standing = await credit_standing(session, customer.customer_id)
    beyond = Beyond(
        customer_id=customer.customer_id,
        follow_up=FollowUp.ratification,
        rows=[2, 5],
        amount=Decimal("700.00"),
        available_before=Decimal("0.00"),
    )
    process_id = await start_import_follow_up(
        time_env.client, clock_worker.task_queue, customer, beyond, standing, 7, person("finance_reviewer")
    )
    async with sessions() as session:
        process = await session.get(Process, process_id)
    assert process is not None and process.workflow_id.startswith(RATIFICATION_PREFIX)
    handle = time_env.client.get_workflow_handle(process.workflow_id, run_id=process_id)
    [task] = await open_tasks(sessions, process_id)
    assert (task.role, task.step) == ("general_manager", "gm_ratification")
    assert "追认" in task.subject and "ERP import 7 rows 2, 5" in task.subject
    withdraw = WithdrawRequest(actor=person("finance_reviewer"), reason="撤回")
    with pytest.raises(WorkflowUpdateFailedError):
        await handle.execute_update("withdraw", withdraw, result_type=ProcessView)

    await decide(handle, task, "general_manager")
    assert OverLimitView.model_validate(await handle.result()).status is ProcessStatus.approved
    assert await deliveries(sessions, customer.customer_id) == []  # booked by the import, not again
    async with sessions() as session:
        account = await session.get(CreditAccount, customer.customer_id)
    assert account is not None and account.credit_hold is None
    record_history("credit_over_limit_ratified", await handle.fetch_history())
