"""Grading A/B/C on the time-skipping server (001 §1, 000 §11): grade C through the first year, the
first round on the anniversary, the score sheet weighted by the rule in force, the VP's approval."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from api.routes.grading import start_grading_clock
from db.models import Customer, CustomerGrading, GradingConfig, Process, Task
from domain import errors
from domain.grading import (
    GradingClockInput,
    Indicator,
    ScoreRequest,
    ScoreSheetIn,
    first_grading_day,
    grading_clock_id,
    grading_workflow_id,
)
from domain.models import DecisionRequest, ProcessView
from tests.engine_support import person
from tests.support import WorkerControl, random_credit_code, record_history
from workflows.grading import CHINA

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def new_customer(
    sessions: async_sessionmaker[AsyncSession], created_at: datetime, *, trading_since: date | None = None
) -> Customer:
    """A customer created at `created_at`, trading since that day unless its record says earlier
    (e.g. an existing customer entered from paper, 000 §10 开始交易时间)."""
    async with sessions() as session, session.begin():
        customer = Customer(
            credit_code=random_credit_code(),
            name="郑州评级测试石化",
            kind="allocation_self_sale",
            address="郑州",
            legal_representative="王",
            phone="0371-1",
            card={},
            onboarding_process_id=f"grading-test-{uuid.uuid4()}",
            trading_since=trading_since or created_at.date(),
            created_at=created_at,
            created_by="sales_clerk",
            unit_code="MKT",
        )
        session.add(customer)
    return customer


async def add_config(
    sessions: async_sessionmaker[AsyncSession], effective_from: date, weights: dict[str, str], a: str, b: str
) -> int:
    """What an approved rule change writes (tested through the API in tests/api/test_rule_changes.py)."""
    async with sessions() as session, session.begin():
        version = (await session.scalar(select(func.max(GradingConfig.version))) or 0) + 1
        session.add(
            GradingConfig(
                version=version,
                effective_from=effective_from,
                weights=weights,
                thresholds={"A": a, "B": b},
                changed_by="admin",
                changed_at=datetime.now(UTC),
                reason="test",
            )
        )
    return version


async def round_handle(client: Client, credit_code: str) -> WorkflowHandle[Any, Any]:
    """The grading round the clock started (its child starts a moment after the timer fires)."""
    handle = client.get_workflow_handle(grading_workflow_id(credit_code))
    for _ in range(100):
        try:
            await handle.describe()
            return handle
        except RPCError:
            await asyncio.sleep(0.1)
    raise AssertionError("no grading round started")


async def open_tasks(sessions: async_sessionmaker[AsyncSession], customer_id: int) -> list[Task]:
    async with sessions() as session:
        rows = await session.scalars(
            select(Task)
            .join(Process, Process.process_id == Task.process_id)
            .where(Process.customer_id == customer_id, Process.process_type == "grading", Task.status == "open")
        )
        return list(rows)


@pytest.mark.rule("001-1-scored-after-trade", "001-1-new-customer-is-c", "001-1-grades-a-b-c")
async def test_grade_c_for_the_first_year_then_a_round_scored_with_the_rule_in_force(
    time_env: WorkflowEnvironment, clock_worker: WorkerControl, sessions: async_sessionmaker[AsyncSession]
) -> None:
    # An administrator's new rule, in force from 2027-01-01: the round of January 2027 uses it.
    weights = {"contract_payment": "10", "year_end_receivables": "30", "contract_premium": "30"}
    version = await add_config(sessions, date(2027, 1, 1), weights | {"strategic_influence": "30"}, "80", "60")
    customer = await new_customer(sessions, datetime(2026, 1, 5, 10, 0, tzinfo=CHINA))
    client = time_env.client
    await start_grading_clock(client, clock_worker.task_queue, customer)

    anniversary = datetime(2027, 1, 5, tzinfo=CHINA)
    await time_env.sleep(anniversary - timedelta(hours=1) - await time_env.get_current_time())
    async with sessions() as session:
        assert (await session.get(Customer, customer.id)).grade == "C"  # type: ignore[union-attr]
    assert await open_tasks(sessions, customer.id) == []

    await time_env.sleep(timedelta(hours=2))
    handle = await round_handle(client, customer.credit_code)
    view = await handle.execute_update("current", result_type=ProcessView)
    assert view.current_step == "score"
    [task] = await open_tasks(sessions, customer.id)
    assert task.role == "marketing_manager"

    # A bare approve is no score sheet.
    bare = DecisionRequest(task_id=task.task_id, step="score", outcome="approve", actor=person("marketing_manager"))  # type: ignore[arg-type]
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update("decide", bare, result_type=ProcessView)
    assert isinstance(refused.value.cause, ApplicationError) and refused.value.cause.type == errors.INVALID

    scores = {
        Indicator.contract_payment: Decimal(40),
        Indicator.year_end_receivables: Decimal(95),
        Indicator.contract_premium: Decimal(95),
        Indicator.strategic_influence: Decimal(95),
    }  # default rule: 16 + 57 = 73 -> B; the 2027 rule: 4 + 85.5 = 89.5 -> A
    sheet = ScoreRequest(sheet=ScoreSheetIn(scores=scores), actor=person("marketing_manager"))
    view = await handle.execute_update("score", sheet, result_type=ProcessView)
    assert view.current_step == "vp_approval"
    [vp_task] = await open_tasks(sessions, customer.id)
    approve = DecisionRequest(
        task_id=vp_task.task_id,
        step="vp_approval",
        outcome="approve",  # type: ignore[arg-type]
        actor=person("business_vp"),
    )
    view = await handle.execute_update("decide", approve, result_type=ProcessView)
    assert view.status == "approved"
    record_history("grading_scored_then_approved_rule_pinned", await handle.fetch_history())

    async with sessions() as session:
        assert (await session.get(Customer, customer.id)).grade == "A"  # type: ignore[union-attr]
        sheet_row = await session.scalar(select(CustomerGrading).where(CustomerGrading.customer_id == customer.id))
    assert sheet_row is not None
    assert (sheet_row.period, sheet_row.weighted_total, sheet_row.config_version) == ("2026", Decimal("89.50"), version)
    assert (sheet_row.scored_by, sheet_row.approved_by) == ("marketing_manager", "business_vp")


async def test_the_clock_opens_no_round_for_a_customer_that_does_not_trade(
    time_env: WorkflowEnvironment, clock_worker: WorkerControl, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """004 §4-§6: on the anniversary a suspended customer gets no grading round (nobody is asked to
    score it); its clock runs on to the year-end round, when it may trade again."""
    now = (await time_env.get_current_time()).astimezone(CHINA)
    customer = await new_customer(sessions, now - timedelta(days=364))
    async with sessions.begin() as session:
        row = await session.get(Customer, customer.id)
        assert row is not None
        row.status = "suspended"
    client = time_env.client
    await start_grading_clock(client, clock_worker.task_queue, customer)
    clock = client.get_workflow_handle(grading_clock_id(customer.credit_code))
    first_run = (await clock.describe()).run_id
    await time_env.sleep(timedelta(days=3))
    for _ in range(100):  # the anniversary passed: the clock decided and continued as new
        described = await clock.describe()
        if described.run_id != first_run:
            break
        await asyncio.sleep(0.1)
    assert described.run_id != first_run and described.status == WorkflowExecutionStatus.RUNNING
    with pytest.raises(RPCError):
        await client.get_workflow_handle(grading_workflow_id(customer.credit_code)).describe()
    assert await open_tasks(sessions, customer.id) == []
    skipped = client.get_workflow_handle(grading_clock_id(customer.credit_code), run_id=first_run)
    record_history("grading_clock_skipped_suspended", await skipped.fetch_history())


@pytest.mark.rule("001-1-year-end-regrading", "001-1-scored-after-trade")
async def test_after_the_anniversary_round_the_clock_waits_for_the_year_end_round(
    time_env: WorkflowEnvironment, clock_worker: WorkerControl, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """001 §1 客户评级应每年末…重审: once the anniversary round has opened, the customer's clock sleeps
    until the next year-end round (1 December, at least five months on), not another anniversary."""
    now = (await time_env.get_current_time()).astimezone(CHINA)
    customer = await new_customer(sessions, now - timedelta(days=364))
    client = time_env.client
    await start_grading_clock(client, clock_worker.task_queue, customer)
    clock = client.get_workflow_handle(grading_clock_id(customer.credit_code))
    first_run = (await clock.describe()).run_id
    await time_env.sleep(timedelta(days=3))
    await round_handle(client, customer.credit_code)  # the anniversary round opened
    for _ in range(100):
        described = await clock.describe()
        if described.run_id != first_run:
            break
        await asyncio.sleep(0.1)
    assert described.run_id != first_run and described.status == WorkflowExecutionStatus.RUNNING

    history = await clock.fetch_history()
    started = history.events[0].workflow_execution_started_event_attributes
    [next_clock] = await client.data_converter.decode(started.input.payloads, [GradingClockInput])
    anniversary = first_grading_day(customer.trading_since)
    year_end = date(anniversary.year + (1 if anniversary.month >= 7 else 0), 12, 1)
    assert next_clock.next_grading_on == year_end
    assert (year_end - anniversary).days >= 150 and year_end.month == 12
