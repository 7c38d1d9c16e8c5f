"""The product's schedules are created once and kept up to date: a worker on another task queue (a
new deployment) takes them over, so no schedule starts workflows that nobody polls for."""

from __future__ import annotations

import uuid

import pytest
from temporalio.client import ScheduleActionStartWorkflow
from temporalio.testing import WorkflowEnvironment

from schedules import ensure_schedules, product_schedules
from tests.support import Api

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_ensure_schedules_moves_every_schedule_to_the_current_task_queue(
    api: Api, temporal_env: WorkflowEnvironment
) -> None:
    client = temporal_env.client
    elsewhere = f"retired-queue-{uuid.uuid4().hex[:8]}"
    await ensure_schedules(client, elsewhere)
    await ensure_schedules(client, api.worker.task_queue)
    await ensure_schedules(client, api.worker.task_queue)  # idempotent
    for schedule_id in product_schedules(api.worker.task_queue):
        described = await client.get_schedule_handle(schedule_id).describe()
        action = described.schedule.action
        assert isinstance(action, ScheduleActionStartWorkflow)
        assert action.task_queue == api.worker.task_queue, schedule_id
        assert described.info.next_action_times, schedule_id  # the server keeps it as calendars
        assert described.schedule.spec.time_zone_name == "Asia/Shanghai"
