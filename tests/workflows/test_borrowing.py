"""File borrowing (002 rule 1, 004 §3) on the time-skipping server and a real database: the
borrower's department leader approves (for an outsider the manager too), finance consents, the
file is lent, the clock reminds the borrower and escalates the overdue loan to the keeping unit's
manager, the keeper records the return and the loan closes."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import pytest_asyncio
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from db.models import Borrowing, Customer, Notification, Task
from domain import errors
from domain.approvals import borrowing_chain
from domain.borrowing import LOAN_REMIND_BEFORE, BorrowingInput, OutsiderReader, ReturnRequest
from domain.models import WithdrawRequest
from domain.roles import Role
from tests.engine_support import Engine, person
from tests.support import WorkerControl, random_credit_code, record_history

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def a_customer(sessions: async_sessionmaker[AsyncSession], unit: str = "DEPOT-ZZ") -> Customer:
    async with sessions() as session, session.begin():
        customer = Customer(
            credit_code=random_credit_code(),
            name="郑州借阅测试石化",
            kind="allocation_self_sale",
            address="郑州",
            legal_representative="王",
            phone="0371-1",
            registered_capital=Decimal("1000000"),
            card={},
            onboarding_process_id=f"borrowing-test-{uuid.uuid4()}",
            trading_since=datetime.now(UTC).date(),
            created_at=datetime.now(UTC),
            created_by="sales_clerk",
            unit_code=unit,
        )
        session.add(customer)
    return customer


class Loan(Engine):
    async def borrow(
        self,
        customer: Customer,
        borrower: str,
        due_in: timedelta,
        now: datetime,
        outsider: OutsiderReader | None = None,
    ) -> None:
        """A unit head borrows: their department leader is the head of the unit above (level 2)."""
        due_at = now + due_in
        start = BorrowingInput(
            chain=borrowing_chain(2, outsider=outsider is not None),
            outsider=outsider,
            customer_id=customer.id,
            customer_name=customer.name,
            owner_unit=customer.unit_code,
            keeper=Role.depot_manager,
            purpose="核对开票信息",
            return_by=due_at.date(),
            due_at=due_at,
            applicant=person(borrower),
            unit_path=[person(borrower).unit or "HQ", "HQ"],
        )
        self.handle = await self.client.start_workflow(
            "Borrowing", start, id=f"borrowing-{uuid.uuid4()}", task_queue=self.task_queue
        )
        await self.update("current")

    async def row(self) -> Borrowing:
        async with self.sessions() as session:
            row = await session.scalar(select(Borrowing).where(Borrowing.process_id == self.process_id))
            assert row is not None
            return row

    async def notes(self) -> list[Notification]:
        async with self.sessions() as session:
            rows = await session.scalars(
                select(Notification).where(Notification.process_id == self.process_id).order_by(Notification.id)
            )
            return list(rows)


@pytest_asyncio.fixture(loop_scope="session")
async def loan(
    time_env: WorkflowEnvironment, clock_worker: WorkerControl, sessions: async_sessionmaker[AsyncSession]
) -> AsyncIterator[Loan]:
    yield Loan(time_env.client, clock_worker.task_queue, sessions)


@pytest.mark.rule("002-1-overdue-pursued")
async def test_lent_overdue_reminded_escalated_then_returned(
    loan: Loan, time_env: WorkflowEnvironment, sessions: async_sessionmaker[AsyncSession]
) -> None:
    customer = await a_customer(sessions)
    await loan.borrow(customer, "depot_manager_b", timedelta(days=3), await time_env.get_current_time())
    assert (await loan.row()).status == "requested"

    led = await loan.decide("department_leader", "general_manager", "approve", "同意 (002 rule 1)")
    assert led.current_step == "finance_consent"
    lent = await loan.decide("finance_consent", "finance_reviewer")
    assert lent.status == "running" and lent.current_step == "lent"
    row = await loan.row()
    assert row.status == "lent" and row.approved_by == "finance_reviewer" and row.overdue_level == 0
    assert await loan.notes() == []  # no reminder before its time

    # A day before the return date: the borrower is reminded.
    await time_env.sleep(timedelta(days=3) - LOAN_REMIND_BEFORE + timedelta(minutes=5))
    await loan.update("current")
    notes = await loan.notes()
    assert [(n.kind, n.recipient) for n in notes] == [("reminder", "depot_manager_b")]

    # Past the return date: overdue, escalated to the keeping depot's manager with a 督办 task.
    await time_env.sleep(LOAN_REMIND_BEFORE)
    await loan.update("current")
    kinds = [(n.kind, n.recipient, n.recipient_role) for n in await loan.notes()]
    assert ("escalation", None, "depot_manager") in kinds and ("overdue", "depot_manager_b", None) in kinds
    supervision = [t for t in await loan.tasks() if t.step == "supervise_loan"]
    assert len(supervision) == 1 and supervision[0].role == "depot_manager" and supervision[0].unit_code == "DEPOT-ZZ"
    assert (await loan.row()).overdue_level == 1

    # The borrower cannot withdraw a lent file nor record its own return; the keeper does.
    refused = await loan.refused("return_file", ReturnRequest(actor=person("depot_manager_b")))
    assert refused.type == errors.FORBIDDEN
    withdrawn = await loan.refused("withdraw", WithdrawRequest(actor=person("depot_manager_b"), reason="不借了"))
    assert withdrawn.type == errors.CONFLICT

    closed = await loan.update("return_file", ReturnRequest(actor=person("depot_manager"), note="完好"))
    assert closed.status == "closed" and closed.current_step is None and closed.open_task_ids == []
    row = await loan.row()
    assert row.status == "returned" and row.return_recorded_by == "depot_manager" and row.returned_at is not None
    async with sessions() as session:
        task = await session.get(Task, supervision[0].task_id)
        assert task is not None and task.status == "cancelled"  # the 督办 leaves the inbox
    assert loan.handle is not None
    record_history("borrowing_overdue_escalated_returned", await loan.handle.fetch_history())


async def test_finance_refuses_and_nothing_is_lent(
    loan: Loan, time_env: WorkflowEnvironment, sessions: async_sessionmaker[AsyncSession]
) -> None:
    customer = await a_customer(sessions)
    await loan.borrow(customer, "station_manager_b", timedelta(days=5), await time_env.get_current_time())
    await loan.decide("department_leader", "general_manager")
    refused = await loan.decide("finance_consent", "finance_reviewer", "reject", "用途不明 (004 §3)")
    assert refused.status == "rejected"
    assert (await loan.row()).status == "refused"
    # No clock runs for a file never lent: a week later there is still nothing to remind of.
    await time_env.sleep(timedelta(days=7))
    assert await loan.notes() == []


async def test_outsider_reads_after_leader_manager_and_finance(
    loan: Loan, time_env: WorkflowEnvironment, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """002 rule 1 第二节: the outsider's letter is on the register line; the leader of the colleague
    who receives them approves, then the manager, then finance (004 §3)."""
    customer = await a_customer(sessions)
    visitor = OutsiderReader(name="李审计", organisation="郑州市审计局", introduction_letter="郑审函〔2026〕12号")
    await loan.borrow(customer, "depot_manager", timedelta(days=1), await time_env.get_current_time(), visitor)
    row = await loan.row()
    assert row.status == "requested" and row.outsider_name == "李审计"
    assert row.introduction_letter == "郑审函〔2026〕12号" and row.outsider_organisation == "郑州市审计局"
    assert (await loan.decide("department_leader", "general_manager")).current_step == "manager_approval"
    assert (await loan.decide("manager_approval", "marketing_manager")).current_step == "finance_consent"
    lent = await loan.decide("finance_consent", "finance_reviewer")
    assert lent.current_step == "lent" and (await loan.row()).approved_by == "finance_reviewer"
    closed = await loan.update("return_file", ReturnRequest(actor=person("depot_manager"), note="当面点清"))
    assert closed.status == "closed"
    assert loan.handle is not None
    record_history("borrowing_outsider_leader_manager_finance", await loan.handle.fetch_history())
