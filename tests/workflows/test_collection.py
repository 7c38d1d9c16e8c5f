"""Month-end collection on the time-skipping server (000 §13 全部货款必须在月末收回): the round opens a
collection only on the last working day of the month and only for credit customers owing money; the
collector's task escalates when not cleared; "collected" is refused while money is missing; receipts
close it, by the collector's approval or by themselves (`ledger_changed`)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from api.collection_signal import notify_collection
from db.models import CreditAccount, Customer, CustomerBalance, CustomerLedgerEntry, Process, Task
from domain import errors
from domain.collection import CollectionRoundInput, CollectionRoundResult
from domain.credit import collection_workflow_id
from domain.models import DecisionRequest, ProcessView
from tests.engine_support import person
from tests.support import WorkerControl, random_credit_code, record_history

pytestmark = pytest.mark.asyncio(loop_scope="session")

SEPTEMBER_END = date(2026, 9, 30)  # a Wednesday before the National Day holiday: September's last working day


async def credit_customer(
    sessions: async_sessionmaker[AsyncSession],
    owed: Decimal,
    *,
    collector: str | None = "sales_clerk",
    settlement: str = "periodic",
) -> Customer:
    """A customer with credit terms and a ledger owing `owed` (one delivery on credit), as the
    credit booking code would leave it."""
    now = datetime.now(UTC)
    async with sessions() as session, session.begin():
        customer = Customer(
            credit_code=random_credit_code(),
            name="郑州回收测试石化",
            kind="allocation_settlement",
            address="郑州",
            legal_representative="王",
            phone="0371-1",
            card={},
            onboarding_process_id=f"collection-test-{uuid.uuid4()}",
            trading_since=date(2026, 1, 1),
            created_at=now,
            created_by="sales_clerk",
            unit_code="MKT",
        )
        session.add(customer)
        await session.flush()
        session.add(
            CreditAccount(
                customer_id=customer.id,
                settlement=settlement,
                credit_limit=Decimal("500000.00"),
                term_days=30,
                collector=collector,
                risk_level="low",
                overdue_amount=Decimal(0),
                overdue_days=0,
                review_required=False,
                updated_at=now,
            )
        )
        session.add(CustomerBalance(customer_id=customer.id, balance=-owed, updated_at=now))
        if owed > 0:
            session.add(
                CustomerLedgerEntry(
                    customer_id=customer.id,
                    kind="delivery",
                    amount=owed,
                    reference="DLV-0915",
                    occurred_at=datetime(2026, 9, 15, 2, 0, tzinfo=UTC),
                    recorded_by="sales_clerk",
                    created_at=now,
                    due_on=date(2026, 10, 15),
                )
            )
    return customer


async def receive(sessions: async_sessionmaker[AsyncSession], customer_id: int, amount: Decimal) -> None:
    """A receipt booked as the ledger does: the row, and the running balance moved by it."""
    await book(sessions, customer_id, amount, kind="receipt", reference="RCV", recorded_by="finance_reviewer")


async def book(
    sessions: async_sessionmaker[AsyncSession],
    customer_id: int,
    amount: Decimal,
    *,
    kind: str,
    reference: str,
    recorded_by: str,
    due_on: date | None = None,
) -> None:
    """A ledger row booked as the ledger does, with the running balance moved by it."""
    now = datetime.now(UTC)
    async with sessions() as session, session.begin():
        session.add(
            CustomerLedgerEntry(
                customer_id=customer_id,
                kind=kind,
                amount=amount,
                reference=f"{reference}-{uuid.uuid4().hex[:8]}",
                occurred_at=now,
                recorded_by=recorded_by,
                created_at=now,
                due_on=due_on,
            )
        )
        signed = amount if kind == "receipt" else -amount
        await session.execute(
            update(CustomerBalance)
            .where(CustomerBalance.customer_id == customer_id)
            .values(balance=CustomerBalance.balance + signed, updated_at=now)
        )


async def run_round(env: WorkflowEnvironment, task_queue: str, day: date) -> CollectionRoundResult:
    with env.auto_time_skipping_disabled():  # the collections' clocks must not jump meanwhile
        return await env.client.execute_workflow(
            "CreditCollectionRound",
            CollectionRoundInput(day=day),
            id=f"collection-round-{uuid.uuid4()}",
            task_queue=task_queue,
            result_type=CollectionRoundResult,
        )


async def collection(client: Client, customer: Customer, month: str = "2026-09") -> WorkflowHandle[Any, Any]:
    handle = client.get_workflow_handle(collection_workflow_id(customer.credit_code, month))
    await handle.execute_update("current", result_type=ProcessView)  # waits until its task is written
    return handle


async def tasks_of(sessions: async_sessionmaker[AsyncSession], customer_id: int, status: str = "open") -> list[Task]:
    async with sessions() as session:
        rows = await session.scalars(
            select(Task)
            .join(Process, Process.process_id == Task.process_id)
            .where(
                Process.customer_id == customer_id, Process.process_type == "credit_collection", Task.status == status
            )
            .order_by(Task.created_at)
        )
        return list(rows)


def collected(task: Task, username: str = "sales_clerk", outcome: str = "approve") -> DecisionRequest:
    return DecisionRequest(
        task_id=task.task_id,
        step=task.step,
        outcome=outcome,  # type: ignore[arg-type]
        comment="收回" if outcome == "approve" else "客户拒付",
        actor=person(username),
    )


@pytest.mark.rule("000-13-collected-by-month-end", "000-13-named-collector")
async def test_round_opens_a_collection_for_each_customer_owing_on_the_last_working_day(
    time_env: WorkflowEnvironment, clock_worker: WorkerControl, sessions: async_sessionmaker[AsyncSession]
) -> None:
    owing = await credit_customer(sessions, Decimal("120000.00"))
    unassigned = await credit_customer(sessions, Decimal("3000.00"), collector=None)
    clear = await credit_customer(sessions, Decimal(0))
    # credit withdrawn (back to prepaid) with money still owed: collected all the same (000 §13)
    prepaid = await credit_customer(sessions, Decimal("50.00"), settlement="prepaid")

    # The day before the month's last working day: nothing opens.
    before = await run_round(time_env, clock_worker.task_queue, SEPTEMBER_END - timedelta(days=1))
    assert (before.is_last_working_day, before.opened, before.provisional) == (False, [], False)
    assert await tasks_of(sessions, owing.id) == []

    result = await run_round(time_env, clock_worker.task_queue, SEPTEMBER_END)
    assert result.is_last_working_day and result.month == "2026-09"
    assert collection_workflow_id(owing.credit_code, "2026-09") in result.opened
    assert collection_workflow_id(unassigned.credit_code, "2026-09") in result.opened
    assert collection_workflow_id(clear.credit_code, "2026-09") not in result.opened
    assert collection_workflow_id(prepaid.credit_code, "2026-09") in result.opened

    await collection(time_env.client, owing)
    [task] = await tasks_of(sessions, owing.id)
    assert (task.step, task.assignee, task.status) == ("collect", "sales_clerk", "open")
    assert "120000.00" in task.subject and task.due_at is not None
    await collection(time_env.client, unassigned)
    [fallback] = await tasks_of(sessions, unassigned.id)
    assert (fallback.assignee, fallback.role) == (None, "marketing_manager")
    assert await tasks_of(sessions, clear.id) == []
    await collection(time_env.client, prepaid)
    [withdrawn] = await tasks_of(sessions, prepaid.id)
    assert (withdrawn.assignee, "50.00" in withdrawn.subject) == ("sales_clerk", True)

    # A second fire of the same day opens nothing twice.
    again = await run_round(time_env, clock_worker.task_queue, SEPTEMBER_END)
    assert collection_workflow_id(owing.credit_code, "2026-09") in again.opened
    assert len(await tasks_of(sessions, owing.id)) == 1


async def test_a_customer_without_credit_terms_owing_money_is_collected_too(
    time_env: WorkflowEnvironment, clock_worker: WorkerControl, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """000 §13: the terms gone (no credit account at all, e.g. a prepaid customer an ERP import
    overdrew), the money owed is still collected; the marketing manager holds the task."""
    owing = await credit_customer(sessions, Decimal("70.00"))
    async with sessions.begin() as session:
        await session.execute(delete(CreditAccount).where(CreditAccount.customer_id == owing.id))
    result = await run_round(time_env, clock_worker.task_queue, SEPTEMBER_END)
    assert collection_workflow_id(owing.credit_code, "2026-09") in result.opened
    await collection(time_env.client, owing)
    [task] = await tasks_of(sessions, owing.id)
    assert (task.assignee, task.role, "70.00" in task.subject) == (None, "marketing_manager", True)


async def test_a_year_beyond_the_official_schedule_is_provisional(
    time_env: WorkflowEnvironment, clock_worker: WorkerControl, sessions: async_sessionmaker[AsyncSession]
) -> None:
    result = await run_round(time_env, clock_worker.task_queue, date(2031, 1, 31))  # a Friday
    assert (result.is_last_working_day, result.provisional) == (True, True)


@pytest.mark.rule("000-13-collected-by-month-end")
async def test_uncollected_escalates_to_the_marketing_manager_then_the_business_vp(
    time_env: WorkflowEnvironment, clock_worker: WorkerControl, sessions: async_sessionmaker[AsyncSession]
) -> None:
    customer = await credit_customer(sessions, Decimal("8000.00"))
    await run_round(time_env, clock_worker.task_queue, SEPTEMBER_END)
    handle = await collection(time_env.client, customer)
    [task] = await tasks_of(sessions, customer.id)
    assert task.due_at is not None
    due = task.due_at if task.due_at.tzinfo else task.due_at.replace(tzinfo=UTC)

    await time_env.sleep(due + timedelta(minutes=1) - await time_env.get_current_time())
    await handle.execute_update("current", result_type=ProcessView)
    supervising = [t for t in await tasks_of(sessions, customer.id) if t.step == "supervise_collect"]
    assert [(t.role, t.escalation_level) for t in supervising] == [("marketing_manager", 1)]

    await time_env.sleep(timedelta(days=20))  # far past every level: each level exactly once
    await handle.execute_update("current", result_type=ProcessView)
    supervising = [t for t in await tasks_of(sessions, customer.id) if t.step == "supervise_collect"]
    assert [(t.role, t.escalation_level) for t in supervising] == [("marketing_manager", 1), ("business_vp", 2)]
    [late] = [t for t in await tasks_of(sessions, customer.id) if t.step == "collect"]
    assert (late.overdue, late.escalation_level) == (True, 2)

    # The manager acknowledges the 督办 task (no figures asked of them); the collection stays open.
    view = await handle.execute_update(
        "decide", collected(supervising[0], "marketing_manager"), result_type=ProcessView
    )
    assert view.status == "running" and late.task_id in view.open_task_ids


async def test_collected_is_refused_while_unpaid_then_accepted_once_the_receipts_cover_it(
    time_env: WorkflowEnvironment, clock_worker: WorkerControl, sessions: async_sessionmaker[AsyncSession]
) -> None:
    customer = await credit_customer(sessions, Decimal("5000.00"))
    await run_round(time_env, clock_worker.task_queue, SEPTEMBER_END)
    handle = await collection(time_env.client, customer)
    [task] = await tasks_of(sessions, customer.id)

    await receive(sessions, customer.id, Decimal("3000.00"))
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update("decide", collected(task), result_type=ProcessView)
    cause = refused.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == errors.CONFLICT
    assert "still unpaid 2000.00" in str(cause) and "received since 3000.00" in str(cause)
    with pytest.raises(WorkflowUpdateFailedError) as rejected:  # nobody closes a duty by refusing it
        await handle.execute_update("decide", collected(task, outcome="reject"), result_type=ProcessView)
    assert isinstance(rejected.value.cause, ApplicationError) and rejected.value.cause.type == errors.INVALID
    with pytest.raises(WorkflowUpdateFailedError) as stranger:  # the task is the collector's
        await handle.execute_update("decide", collected(task, "marketing_reviewer"), result_type=ProcessView)
    assert isinstance(stranger.value.cause, ApplicationError) and stranger.value.cause.type == errors.FORBIDDEN

    await receive(sessions, customer.id, Decimal("2000.00"))
    view = await handle.execute_update("decide", collected(task), result_type=ProcessView)
    assert view.status == "approved" and view.open_task_ids == []
    [done] = await tasks_of(sessions, customer.id, "done")
    assert (done.decided_by, done.outcome, done.comment) == ("sales_clerk", "approve", "收回")
    record_history("credit_collection_collected", await handle.fetch_history())


async def test_receipts_covering_the_month_end_close_the_task_by_themselves(
    time_env: WorkflowEnvironment, clock_worker: WorkerControl, sessions: async_sessionmaker[AsyncSession]
) -> None:
    customer = await credit_customer(sessions, Decimal("7000.00"))
    await run_round(time_env, clock_worker.task_queue, SEPTEMBER_END)
    handle = await collection(time_env.client, customer)

    await receive(sessions, customer.id, Decimal("6999.99"))  # a cent short: stays open
    await handle.signal("ledger_changed")
    view = await handle.execute_update("current", result_type=ProcessView)
    assert view.status == "running" and len(await tasks_of(sessions, customer.id)) == 1

    await receive(sessions, customer.id, Decimal("0.01"))
    await handle.signal("ledger_changed")
    with time_env.auto_time_skipping_disabled():
        result = ProcessView.model_validate(await handle.result())
    assert result.status == "approved"
    [done] = await tasks_of(sessions, customer.id, "done")
    assert done.decided_by == "system" and (done.comment or "").startswith("cleared by receipts")
    assert "still unpaid 0.00" in (done.comment or "")
    record_history("credit_collection_cleared_by_receipts", await handle.fetch_history())


async def owe_more(sessions: async_sessionmaker[AsyncSession], customer_id: int, amount: Decimal) -> None:
    """A delivery on credit booked as the ledger does."""
    due = date(2026, 11, 15)
    await book(sessions, customer_id, amount, kind="delivery", reference="DLV", recorded_by="sales_clerk", due_on=due)


async def test_a_receipt_counts_toward_one_collection_only(
    time_env: WorkflowEnvironment, clock_worker: WorkerControl, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """Issue 20 (000 §13): September's collection still open at October's round, October asks only
    what is owed beyond it, and a receipt pays September first — never both months at once."""
    client = time_env.client
    customer = await credit_customer(sessions, Decimal("100.00"))
    await run_round(time_env, clock_worker.task_queue, SEPTEMBER_END)
    september = await collection(client, customer)
    await owe_more(sessions, customer.id, Decimal("150.00"))
    round_id = f"collection-round-{uuid.uuid4()}"
    with time_env.auto_time_skipping_disabled():
        october_end = await client.execute_workflow(
            "CreditCollectionRound",
            CollectionRoundInput(day=date(2026, 10, 30)),
            id=round_id,
            task_queue=clock_worker.task_queue,
            result_type=CollectionRoundResult,
        )
    assert october_end.is_last_working_day
    october = await collection(client, customer, "2026-10")
    tasks = {t.subject.split(" 月末回收 ")[0][-7:]: t for t in await tasks_of(sessions, customer.id)}
    assert "150.00" in tasks["2026-10"].subject and "250.00" not in tasks["2026-10"].subject

    await receive(sessions, customer.id, Decimal("100.00"))
    for month in ("2026-09", "2026-10"):
        await notify_collection(client, customer.credit_code, month)
    assert ProcessView.model_validate(await september.result()).status == "approved"
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await october.execute_update("decide", collected(tasks["2026-10"]), result_type=ProcessView)
    assert isinstance(refused.value.cause, ApplicationError)
    assert "received since 0.00, still unpaid 150.00" in str(refused.value.cause)
    record_history("credit_collection_round_recorded_dues", await client.get_workflow_handle(round_id).fetch_history())
    record_history("credit_collection_cleared_once_over_months", await september.fetch_history())
