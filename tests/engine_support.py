"""Driving the approval engine directly: a declared chain run by the generic `Approval` workflow,
with the demo users as actors (their roles and units as seeded)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from api.history import build_history
from db.models import Task
from domain.approvals import ChainSpec, StepSpec
from domain.history import HistoryEntry
from domain.models import Actor, ApprovalInput, DecisionRequest, ProcessView
from domain.roles import Role

# The demo users (scripts/seed_demo.py): username -> (roles, unit).
PEOPLE: dict[str, tuple[tuple[Role, ...], str]] = {
    "sales_clerk": ((Role.sales_clerk,), "MKT"),
    "marketing_reviewer": ((Role.marketing_reviewer,), "MKT"),
    "marketing_manager": ((Role.marketing_manager,), "MKT"),
    "finance_reviewer": ((Role.finance_reviewer,), "FIN"),
    "chief_accountant": ((Role.chief_accountant,), "FIN"),
    "business_vp": ((Role.business_vp,), "HQ"),
    "general_manager": ((Role.general_manager,), "HQ"),
    "legal_reviewer": ((Role.legal_reviewer,), "LEGAL"),
    "technical_dept": ((Role.technical_dept,), "TECH"),
    "depot_manager": ((Role.depot_manager,), "DEPOT-ZZ"),
    "depot_manager_b": ((Role.depot_manager,), "DEPOT-KF"),
    "station_manager": ((Role.station_manager,), "STATION-ZZ01"),
    "station_manager_b": ((Role.station_manager,), "STATION-KF01"),
    "auditor": ((Role.auditor,), "AUDIT"),
    "admin": ((Role.admin,), "HQ"),
}


def person(username: str) -> Actor:
    roles, unit = PEOPLE[username]
    return Actor(username=username, roles=list(roles), unit=unit)


def chain(*steps: StepSpec, **options: Any) -> ChainSpec:
    return ChainSpec(process_type="test_chain", title="测试审批", steps=steps, **options)


def step(key: str, **options: Any) -> StepSpec:
    return StepSpec(key=key, title=f"step {key}", **options)


class Engine:
    """One process of a declared chain, and the calls an approver makes on it."""

    def __init__(self, client: Client, task_queue: str, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.client, self.task_queue, self.sessions = client, task_queue, sessions
        self.handle: WorkflowHandle[Any, Any] | None = None

    async def start(
        self,
        spec: ChainSpec,
        applicant: str = "sales_clerk",
        *,
        signers: dict[str, list[str]] | None = None,
        unit: str | None = None,
        unit_path: list[str] | None = None,
    ) -> ProcessView:
        start = ApprovalInput(
            chain=spec,
            subject="测试客户",
            applicant=person(applicant),
            unit=unit,
            unit_path=unit_path or [],
            signers=signers or {},
        )
        self.handle = await self.client.start_workflow(
            "Approval", start, id=f"approval-{uuid.uuid4()}", task_queue=self.task_queue
        )
        return await self.update("current")

    @property
    def process_id(self) -> str:
        assert self.handle is not None and self.handle.result_run_id is not None
        return self.handle.result_run_id

    async def update(self, name: str, arg: Any = None) -> ProcessView:
        assert self.handle is not None
        args = [] if arg is None else [arg]
        return await self.handle.execute_update(name, args=args, result_type=ProcessView)

    async def refused(self, name: str, arg: Any) -> ApplicationError:
        with pytest.raises(WorkflowUpdateFailedError) as failed:
            await self.update(name, arg)
        cause = failed.value.cause
        assert isinstance(cause, ApplicationError), cause
        return cause

    async def tasks(self, status: str = "open") -> list[Task]:
        async with self.sessions() as session:
            rows = await session.scalars(
                select(Task).where(Task.process_id == self.process_id, Task.status == status).order_by(Task.created_at)
            )
            return list(rows)

    async def task(self, step_key: str, holder: str | None = None) -> Task:
        """The open task of a step (for one holder: assignee, or the role a person holds)."""
        found = [t for t in await self.tasks() if t.step == step_key]
        if holder is not None:
            roles = {r.value for r in person(holder).roles}
            found = [t for t in found if t.assignee == holder or (t.assignee is None and t.role in roles)]
        assert len(found) == 1, [(t.step, t.role, t.assignee) for t in found]
        return found[0]

    def decision(
        self, task: Task, username: str, outcome: str = "approve", comment: str | None = None, **extra: Any
    ) -> DecisionRequest:
        return DecisionRequest(
            task_id=task.task_id,
            step=task.step,
            outcome=outcome,  # type: ignore[arg-type]
            comment=comment,
            actor=person(username),
            on_behalf_of=task.on_behalf_of or (task.delegated_by if task.assignee == username else None),
            **extra,
        )

    async def decide(
        self, step_key: str, username: str, outcome: str = "approve", comment: str | None = None, **extra: Any
    ) -> ProcessView:
        task = await self.task(step_key, username)
        return await self.update("decide", self.decision(task, username, outcome, comment, **extra))

    async def history(self) -> list[HistoryEntry]:
        assert self.handle is not None
        return build_history((await self.handle.fetch_history()).events)
