"""Step deadlines pinned at the start (issue 21 §3, 新老划断) by the clock alone: through the real API
on the time-skipping server, a research note filed before a change of its step deadline falls
overdue at the old deadline, and one filed after the change only at the new one."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from activities.rule_store import step_deadlines_in_force
from db.models import Task
from domain.models import ProcessView
from tests.api.test_credit_application_api import approve_all
from tests.api.test_step_deadline_versions import DECLARED_DAYS, STEP, TYPE, change, file_note, open_task, today
from tests.support import Api, running_api

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def overdue(api: Api, sessions: async_sessionmaker[AsyncSession], note: dict[str, Any]) -> bool:
    """Whether the note's step is overdue, once its process has written what its clock did."""
    handle = api.worker.client.get_workflow_handle(note["workflow_id"], run_id=note["process_id"])
    await handle.execute_update("current", result_type=ProcessView)
    async with sessions() as session:
        task = await session.scalar(select(Task).where(Task.process_id == note["process_id"], Task.step == STEP))
    assert task is not None
    return task.overdue


async def test_a_note_falls_overdue_at_the_deadline_pinned_at_its_start(
    time_env: WorkflowEnvironment, sessions: async_sessionmaker[AsyncSession], database_url: str, task_queue: str
) -> None:
    async with sessions() as session:
        before = await step_deadlines_in_force(session, TYPE, today())
    old_days = before.steps[STEP].due_working_days if before else DECLARED_DAYS
    async with running_api(time_env.client, sessions, task_queue, database_url) as api:
        old = await file_note(api)
        drafted = await api.post(
            "/api/v1/rule-changes", "marketing_manager", json=change({STEP: {"due_working_days": old_days + 8}})
        )
        assert drafted.status_code == 201, drafted.text
        assert (await approve_all(api, drafted.json()["process_id"], "business_vp", "general_manager"))["status"] == (
            "approved"
        )
        new = await file_note(api)
        old_due = (await open_task(sessions, old["process_id"])).due_at
        new_due = (await open_task(sessions, new["process_id"])).due_at
        assert old_due is not None and new_due is not None and old_due < new_due
        for note in (old, new):
            note["workflow_id"] = (await api.get(f"/api/v1/processes/{note['process_id']}", "auditor")).json()[
                "workflow_id"
            ]

        await time_env.sleep(old_due - await time_env.get_current_time() + timedelta(minutes=1))
        assert (await overdue(api, sessions, old), await overdue(api, sessions, new)) == (True, False)
        await time_env.sleep(new_due - await time_env.get_current_time() + timedelta(minutes=1))
        assert await overdue(api, sessions, new)

        for note in (old, new):
            assert (await api.decide("marketing_manager", note["process_id"], "approve")).status_code == 200
