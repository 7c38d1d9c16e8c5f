"""Month-end collection through the real API, a real worker on the dev server and both databases
(000 §13): the collector finds the task in the inbox, "collected" answers 409 with the figures while
money is missing; a receipt and `notify_collection` close it by themselves. And the schedule: it
fires at 09:00 China time on the 20th-31st, and the worker's `ensure_schedules` creates it."""

from __future__ import annotations

import uuid
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from api.collection_signal import notify_collection
from domain.collection import CollectionRoundInput, CollectionRoundResult
from domain.credit import collection_workflow_id
from domain.models import ProcessView
from schedules import CREDIT_COLLECTION_SCHEDULE, credit_collection_schedule, ensure_schedules
from tests.support import Api
from tests.workflows.test_collection import SEPTEMBER_END, credit_customer, receive, tasks_of

pytestmark = pytest.mark.asyncio(loop_scope="session")
P = "/api/v1"
CHINA = ZoneInfo("Asia/Shanghai")


async def september_round(client: Client, task_queue: str) -> CollectionRoundResult:
    return await client.execute_workflow(
        "CreditCollectionRound",
        CollectionRoundInput(day=SEPTEMBER_END),
        id=f"collection-round-test-{uuid.uuid4()}",
        task_queue=task_queue,
        result_type=CollectionRoundResult,
    )


@pytest.mark.rule("000-13-collected-by-month-end")
async def test_collector_is_refused_while_unpaid_then_receipts_close_the_task(
    api: Api, temporal_env: WorkflowEnvironment, sessions: async_sessionmaker[AsyncSession]
) -> None:
    client = temporal_env.client
    customer = await credit_customer(sessions, Decimal("9000.00"))
    result = await september_round(client, api.worker.task_queue)
    workflow_id = collection_workflow_id(customer.credit_code, "2026-09")
    assert workflow_id in result.opened
    handle = client.get_workflow_handle(workflow_id)
    process_id = (await handle.execute_update("current", result_type=ProcessView)).process_id

    task = await api.task_for("sales_clerk", process_id)
    assert task["step"] == "collect" and task["due_at"] is not None
    refused = await api.decide("sales_clerk", process_id, "approve", "已收回")
    assert refused.status_code == 409, refused.text
    assert "still unpaid 9000.00" in refused.json()["detail"]
    other = await api.post(f"{P}/tasks/{task['task_id']}/decision", "marketing_reviewer", json={"outcome": "approve"})
    assert other.status_code in (403, 404), other.text

    await receive(sessions, customer.id, Decimal("9000.00"))
    await notify_collection(client, customer.credit_code, "2026-09")
    view = ProcessView.model_validate(await handle.result())
    assert view.status == "approved"
    [done] = await tasks_of(sessions, customer.id, "done")
    assert done.decided_by == "system" and (done.comment or "").startswith("cleared by receipts")
    # a collection that has closed, or never existed, is no error for the receipt that signals it
    await notify_collection(client, customer.credit_code, "2026-09")


async def test_collected_through_the_inbox_once_paid(
    api: Api, temporal_env: WorkflowEnvironment, sessions: async_sessionmaker[AsyncSession]
) -> None:
    client = temporal_env.client
    customer = await credit_customer(sessions, Decimal("100.00"))
    await september_round(client, api.worker.task_queue)
    handle = client.get_workflow_handle(collection_workflow_id(customer.credit_code, "2026-09"))
    process_id = (await handle.execute_update("current", result_type=ProcessView)).process_id
    await receive(sessions, customer.id, Decimal("150.00"))  # no signal: the collector's approval checks
    decided = await api.decide("sales_clerk", process_id, "approve", "现金收回")
    assert decided.status_code == 200, decided.text
    assert decided.json()["status"] == "approved"


async def test_schedule_fires_at_nine_china_time_on_the_last_days_of_the_month(
    api: Api, temporal_env: WorkflowEnvironment
) -> None:
    client = temporal_env.client
    handle = await client.create_schedule(
        f"credit-collection-test-{uuid.uuid4()}", credit_collection_schedule(api.worker.task_queue)
    )
    try:
        description = await handle.describe()
        assert description.schedule.spec.time_zone_name == "Asia/Shanghai"
        upcoming = [t.astimezone(CHINA) for t in description.info.next_action_times]
        assert upcoming and all((t.hour, t.minute) == (9, 0) and t.day >= 20 for t in upcoming)
        assert len({t.date() for t in upcoming}) == len(upcoming)  # once a day
    finally:
        await handle.delete()

    await ensure_schedules(client, api.worker.task_queue)
    await ensure_schedules(client, api.worker.task_queue)  # idempotent
    created = client.get_schedule_handle(CREDIT_COLLECTION_SCHEDULE)
    try:
        description = await created.describe()
        assert description.schedule.spec.time_zone_name == "Asia/Shanghai"
    finally:
        await created.delete()


async def test_a_receipt_posted_through_the_api_closes_the_open_collection(
    api: Api, temporal_env: WorkflowEnvironment, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """The ledger route tells the customer's open collections, of whatever month, of a receipt."""
    client = temporal_env.client
    customer = await credit_customer(sessions, Decimal("300.00"))
    await september_round(client, api.worker.task_queue)
    handle = client.get_workflow_handle(collection_workflow_id(customer.credit_code, "2026-09"))
    await handle.execute_update("current", result_type=ProcessView)  # the collector's task is in the inbox
    part = {"kind": "receipt", "amount": "100.00", "reference": f"R-{uuid.uuid4().hex[:8]}"}
    url = f"{P}/customers/{customer.id}/ledger"
    posted = await api.post(url, "finance_reviewer", json=part | {"occurred_at": "2026-11-02T10:00:00+08:00"})
    assert posted.status_code == 201, posted.text
    assert await tasks_of(sessions, customer.id, "open")  # 200.00 still unpaid: the task stays open
    rest = part | {"amount": "200.00", "reference": f"R-{uuid.uuid4().hex[:8]}"}
    posted = await api.post(url, "finance_reviewer", json=rest | {"occurred_at": "2026-11-03T10:00:00+08:00"})
    assert posted.status_code == 201, posted.text
    view = ProcessView.model_validate(await handle.result())
    assert view.status == "approved"
    [done] = await tasks_of(sessions, customer.id, "done")
    assert done.decided_by == "system"
