"""What the approver's page tests share: an onboarding filed through the API, and its open task."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import Task
from tests.support import Api


async def filed(api: Api, body: dict[str, Any] | None = None) -> str:
    response = await api.submit(body=body)
    assert response.status_code == 201, response.text
    pid: str = response.json()["process_id"]
    return pid


async def open_task(sessions: async_sessionmaker[AsyncSession], process_id: str) -> Task:
    async with sessions() as session:
        task = await session.scalar(select(Task).where(Task.process_id == process_id, Task.status == "open"))
        assert task is not None
        return task
