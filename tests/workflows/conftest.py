"""Workflow tests on the time-skipping server: durable timers are tested by skipping time."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from tests.support import WorkerControl


@pytest_asyncio.fixture(loop_scope="session")
async def clock_worker(
    time_env: WorkflowEnvironment, sessions: async_sessionmaker[AsyncSession]
) -> AsyncIterator[WorkerControl]:
    worker = WorkerControl(time_env.client, f"clock-{uuid.uuid4()}", sessions)
    await worker.start()
    yield worker
    await worker.stop()
