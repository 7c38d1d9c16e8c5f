"""Helpers for the inbox and out-of-office tests: the API without Temporal, users, units and task
rows written straight into the database (the projections the engine would write)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from functools import cache
from typing import Any, cast

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.main import create_app
from api.security import hash_password
from db.models import OrgUnit, Process, ProcessWatcher, Task, User, UserRole
from settings import Settings
from tests.support import Api


@cache
def demo_hash() -> str:
    return hash_password("demo")


def uid(prefix: str = "") -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


@asynccontextmanager
async def api_without_temporal(sessions: async_sessionmaker[AsyncSession], database_url: str) -> AsyncIterator[Api]:
    """The real app over ASGI for the routes that only read or validate (no workflow is reached)."""
    app = create_app(Settings(database_url=database_url), temporal=cast(Any, object()), sessions=sessions)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test", timeout=60) as http:
            yield Api(http, cast(Any, None), app, token_scope=database_url)


async def add_unit(sessions: async_sessionmaker[AsyncSession], parent: str | None = "HQ", kind: str = "depot") -> str:
    code = uid("U-")
    async with sessions.begin() as session:
        session.add(OrgUnit(code=code, name=code, kind=kind, parent_code=parent))
    return code


async def add_user(
    sessions: async_sessionmaker[AsyncSession], *roles: str, unit: str | None = "HQ", active: bool = True
) -> str:
    username = uid("u_")
    async with sessions.begin() as session:
        session.add(
            User(
                username=username,
                full_name=username,
                password_hash=demo_hash(),
                unit_code=unit,
                is_active=active,
                created_at=datetime.now(UTC),
                roles=[UserRole(role=r) for r in roles],
            )
        )
    return username


class Rows:
    """Task and process rows of one test; every open task it wrote is closed when the test ends,
    so the next test's inboxes do not see them (the database lives for the whole session)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions
        self.task_ids: list[str] = []

    async def task(self, **fields: Any) -> Task:
        now = datetime.now(UTC)
        values: dict[str, Any] = {
            "task_id": uid("task-"),
            "process_id": uid("proc-"),
            "workflow_id": "inbox-test",
            "process_type": "onboarding",
            "step": "marketing_review",
            "step_title": "审核",
            "role": "production_dept",
            "unit_code": None,
            "unit_parents": False,
            "assignee": None,
            "claimed_by": None,
            "subject": "郑州华豫石化贸易有限公司",
            "round": 1,
            "status": "open",
            "created_at": now,
            "due_at": None,
            "due_provisional": False,
            "overdue": False,
            "escalation_level": 0,
            **fields,
        }
        task = Task(**values)
        async with self.sessions.begin() as session:
            if "case_unit" not in fields:  # its case's unit, as the store writes it (process_store.put_tasks)
                case = select(Process.unit_code).where(Process.process_id == task.process_id)
                task.case_unit = await session.scalar(case)
            session.add(task)
        self.task_ids.append(task.task_id)
        return task

    async def process(self, process_id: str | None = None, **fields: Any) -> Process:
        now = datetime.now(UTC)
        values: dict[str, Any] = {
            "process_id": process_id or uid("proc-"),
            "workflow_id": "inbox-test",
            "process_type": "onboarding",
            "status": "running",
            "current_step": "marketing_review",
            "subject": "郑州华豫石化贸易有限公司",
            "subject_key": None,
            "applicant": "sales_clerk",
            "started_at": now,
            "updated_at": now,
            **fields,
        }
        process = Process(**values)
        async with self.sessions.begin() as session:
            session.add(process)
        return process

    async def watcher(self, process_id: str, *, username: str | None = None, role: str | None = None) -> None:
        async with self.sessions.begin() as session:
            session.add(
                ProcessWatcher(
                    watcher_id=uid("w-"),
                    process_id=process_id,
                    username=username,
                    role=role,
                    added_by="test",
                    added_at=datetime.now(UTC),
                )
            )

    async def close_all(self) -> None:
        if self.task_ids:
            async with self.sessions.begin() as session:
                await session.execute(
                    update(Task)
                    .where(Task.task_id.in_(self.task_ids), Task.status == "open")
                    .values(status="cancelled")
                )
