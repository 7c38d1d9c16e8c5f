"""A write the database refuses stops the process visibly, holds its clock, and waits for an
administrator: `resume` after the fix carries on (workflows/repair.py, issue 10 §2).

The refusal is genuine on both databases: the complaint names a customer id that no customer row
has, and `processes.customer_id` is a foreign key. Retrying cannot help; adding the customer can.
"""

from __future__ import annotations

import random
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowFailureError, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.converter import DataConverter
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from db.models import Customer, Notification, Process, Task
from domain import errors
from domain.complaint_models import ComplaintInput, ComplaintView, InvestigateRequest
from domain.complaints import ComplaintRecord
from domain.models import Actor
from domain.repair import RepairAction, RepairOutcome, RepairRequest
from domain.roles import Role
from tests.support import WorkerControl, record_history
from tests.workflows.test_complaint_clock import REPORT

pytestmark = pytest.mark.asyncio(loop_scope="session")
ADMIN = Actor(username="admin", roles=[Role.admin])
CLERK = Actor(username="sales_clerk", roles=[Role.sales_clerk])
REVIEWER = Actor(username="marketing_reviewer", roles=[Role.marketing_reviewer])


def missing_customer_id() -> int:
    """Far above any id a sequence hands out in a test run, inside PostgreSQL's integer."""
    return 1_500_000_000 + random.randrange(100_000_000)


async def start_complaint(
    env: WorkflowEnvironment, worker: WorkerControl, customer_id: int
) -> WorkflowHandle[Any, Any]:
    """Straight to Temporal, as a script or a future API path might: nothing checks the id first."""
    record = ComplaintRecord(
        customer_id=customer_id,
        customer_name="郑州华豫石化",
        channel="phone",  # type: ignore[arg-type]
        category="delivery",  # type: ignore[arg-type]
        severity="ordinary",  # type: ignore[arg-type]
        description="配送延误两天",
        received_at=await env.get_current_time(),
    )
    return await env.client.start_workflow(
        "Complaint",
        ComplaintInput(record=record, registered_by=CLERK),
        id=f"complaint-{uuid.uuid4()}",
        task_queue=worker.task_queue,
    )


async def add_customer(sessions: async_sessionmaker[AsyncSession], customer_id: int) -> None:
    """The administrator's fix: the customer the complaint names exists again."""
    code = f"91{customer_id:016d}"[:18]
    async with sessions.begin() as session:
        session.add(
            Customer(
                id=customer_id,
                credit_code=code,
                name="郑州华豫石化",
                kind="allocation_self_sale",
                address="郑州市金水区",
                legal_representative="王建国",
                phone="0371-65550000",
                card={},
                onboarding_process_id=f"restored-{customer_id}",
                trading_since=date(2020, 1, 1),
                created_at=datetime.now(UTC),
                created_by="admin",
                unit_code="HQ",
            )
        )


async def rows(sessions: async_sessionmaker[AsyncSession], model: Any, process_id: str) -> list[Any]:
    async with sessions() as session:
        return list(await session.scalars(select(model).where(model.process_id == process_id)))


def refused(error: pytest.ExceptionInfo[WorkflowUpdateFailedError]) -> ApplicationError:
    cause = error.value.cause
    assert isinstance(cause, ApplicationError), cause
    return cause


async def store_attempts(handle: WorkflowHandle[Any, Any], activity_type: str) -> list[int]:
    """The attempt number of every failed run of a local store activity, from the history's markers."""
    converter = DataConverter.default.payload_converter
    attempts = []
    async for event in handle.fetch_history_events():
        if event.event_type != EventType.EVENT_TYPE_MARKER_RECORDED:
            continue
        marker = event.marker_recorded_event_attributes
        if "data" not in marker.details or not marker.HasField("failure"):
            continue
        data = converter.from_payloads(list(marker.details["data"].payloads))[0]
        if data.get("activity_type") == activity_type:
            attempts.append(int(data.get("attempt", 0)))
    return attempts


async def test_refused_write_stops_visibly_holds_the_clock_and_resumes_after_the_fix(
    time_env: WorkflowEnvironment, clock_worker: WorkerControl, sessions: async_sessionmaker[AsyncSession]
) -> None:
    customer_id = missing_customer_id()
    began = time.monotonic()
    handle = await start_complaint(time_env, clock_worker, customer_id)
    process_id = handle.result_run_id
    assert process_id is not None

    # The waiting update answers once the process row shows the failure: no retry loop.
    with pytest.raises(WorkflowUpdateFailedError) as stopped:
        await handle.execute_update("current", result_type=ComplaintView)
    assert refused(stopped).type == errors.STORE_FAILED
    assert time.monotonic() - began < 10
    [process] = await rows(sessions, Process, process_id)
    assert process.status == "failed"
    assert process.failure_reason and process.failure_reason.startswith("IntegrityError")
    assert process.failed_at is not None
    [repair_task] = await rows(sessions, Task, process_id)  # the refused write's task never landed
    assert (repair_task.role, repair_task.step, repair_task.status) == ("admin", "repair_store", "open")
    notes = await rows(sessions, Notification, process_id)
    assert [(n.kind, n.recipient_role) for n in notes] == [("store_failed", "admin")]
    assert await store_attempts(handle, "sync_complaint") == [1]  # not retried

    # No step action while stopped, and the clock holds: a month passes without a reminder.
    with pytest.raises(WorkflowUpdateFailedError) as refused_act:
        await handle.execute_update("investigate", InvestigateRequest(actor=REVIEWER, report=REPORT))
    assert refused(refused_act).type == errors.STORE_FAILED
    await time_env.sleep(timedelta(days=30))
    assert [n.kind for n in await rows(sessions, Notification, process_id)] == ["store_failed"]
    assert [t.step for t in await rows(sessions, Task, process_id)] == ["repair_store"]

    # Only an administrator decides; after the fix, resume writes the process and it carries on.
    with pytest.raises(WorkflowUpdateFailedError) as not_admin:
        await handle.execute_update("repair", RepairRequest(actor=CLERK, action=RepairAction.resume, reason="retry"))
    assert refused(not_admin).type == errors.FORBIDDEN
    await add_customer(sessions, customer_id)
    outcome = await handle.execute_update(
        "repair",
        RepairRequest(actor=ADMIN, action=RepairAction.resume, reason="customer record restored"),
        result_type=RepairOutcome,
    )
    assert (outcome.action, outcome.status, outcome.failure_reason) == (RepairAction.resume, "running", None)
    view = await handle.execute_update("current", result_type=ComplaintView)
    assert view.stage.value == "investigation"
    [process] = await rows(sessions, Process, process_id)
    assert (process.status, process.failure_reason, process.customer_id) == ("running", None, customer_id)
    tasks = {t.step: t for t in await rows(sessions, Task, process_id)}
    assert (tasks["repair_store"].status, tasks["repair_store"].decided_by) == ("done", "admin")
    assert tasks["investigation"].status == "open"
    record_history("complaint_store_refused_then_resumed", await handle.fetch_history())


async def test_a_write_refused_again_after_resume_stays_failed_with_a_new_task(
    time_env: WorkflowEnvironment, clock_worker: WorkerControl, sessions: async_sessionmaker[AsyncSession]
) -> None:
    handle = await start_complaint(time_env, clock_worker, missing_customer_id())
    process_id = handle.result_run_id
    assert process_id is not None
    with pytest.raises(WorkflowUpdateFailedError):
        await handle.execute_update("current", result_type=ComplaintView)
    outcome = await handle.execute_update(
        "repair",
        RepairRequest(actor=ADMIN, action=RepairAction.resume, reason="tried without the fix"),
        result_type=RepairOutcome,
    )
    assert outcome.status == "failed" and (outcome.failure_reason or "").startswith("IntegrityError")
    repair_tasks = [t for t in await rows(sessions, Task, process_id) if t.step == "repair_store"]
    assert sorted(t.status for t in repair_tasks) == ["done", "open"]

    outcome = await handle.execute_update(
        "repair",
        RepairRequest(actor=ADMIN, action=RepairAction.abandon, reason="duplicate of another complaint"),
        result_type=RepairOutcome,
    )
    assert (outcome.action, outcome.status) == (RepairAction.abandon, "failed")
    with pytest.raises(WorkflowFailureError) as ended:  # the process ends as failed
        await handle.result()
    assert isinstance(ended.value.cause, ApplicationError) and ended.value.cause.type == errors.STORE_FAILED
    [process] = await rows(sessions, Process, process_id)
    assert process.status == "failed"
    assert process.failure_reason and process.failure_reason.startswith("abandoned by admin: duplicate")
    assert all(t.status != "open" for t in await rows(sessions, Task, process_id))
    record_history("complaint_store_refused_then_abandoned", await handle.fetch_history())
