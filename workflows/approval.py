"""The one approval-step mechanism every workflow uses: task opened → decision received → recorded.

A workflow declares its chain in `domain/approvals.py` and runs it here. Decisions arrive as
Temporal Updates; `validate` refuses what is not allowed before anything reaches the history,
and `decide` checks again because two racing updates can both pass their validators.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.process_store import ProcessStore
    from domain import errors, search
    from domain.approvals import ChainSpec, Outcome, StepSpec
    from domain.models import (
        DecisionRecord,
        DecisionRequest,
        ProcessProjection,
        ProcessStatus,
        TaskClosure,
        TaskSpec,
    )

A = TypeVar("A")
R = TypeVar("R")

STORE_RETRY = RetryPolicy(initial_interval=timedelta(milliseconds=200), maximum_interval=timedelta(seconds=10))


async def store(method: Callable[[Any, A], Awaitable[R]], arg: A) -> R:
    """Run a database activity: short timeout, retried until the database answers."""
    return await workflow.execute_activity_method(
        method, arg, start_to_close_timeout=timedelta(seconds=30), retry_policy=STORE_RETRY
    )


@dataclass
class OpenTask:
    spec: TaskSpec
    decision: DecisionRecord | None = None


@dataclass
class ProcessRef:
    process_id: str
    workflow_id: str
    process_type: str
    subject: str
    applicant: str

    def projection(
        self,
        status: ProcessStatus,
        current_step: str | None,
        started_at: datetime,
        *,
        customer_id: int | None = None,
        subject_key: str | None = None,
    ) -> ProcessProjection:
        """The process row as of now, with the search attributes the Temporal UI filters on set to match."""
        attributes = [
            search.PROCESS_TYPE.value_set(self.process_type),
            search.PROCESS_STATUS.value_set(status.value),
            search.CURRENT_STEP.value_set(current_step or ""),
        ]
        if subject_key is not None:
            attributes.append(search.CUSTOMER_CREDIT_CODE.value_set(subject_key))
        workflow.upsert_search_attributes(attributes)
        return ProcessProjection(
            process_id=self.process_id,
            workflow_id=self.workflow_id,
            process_type=self.process_type,
            status=status,
            current_step=current_step,
            subject=self.subject,
            subject_key=subject_key,
            applicant=self.applicant,
            customer_id=customer_id,
            started_at=started_at,
            updated_at=workflow.now(),
        )


@dataclass
class ApprovalChain:
    """Walks a declared chain of steps; each step waits for the decision of a holder of its role."""

    chain: ChainSpec
    process: ProcessRef
    round: int = 1
    current: OpenTask | None = None
    decisions: list[DecisionRecord] = field(default_factory=list)
    closed_task_ids: dict[str, str] = field(default_factory=dict)  # task id -> who decided
    cancelled: bool = False
    on_waiting: Callable[[], Awaitable[None]] | None = None  # called once a task sits in an inbox
    _opened: bool = False

    @property
    def current_step(self) -> str | None:
        return self.current.spec.step if self.current else None

    @property
    def waiting_for_decision(self) -> bool:
        """True once the current task is in the inbox and nothing has decided it yet."""
        return self.current is not None and self.current.decision is None and self._opened

    async def run(self) -> Outcome | None:
        """Approve when every step approves; stop at the first reject or return; None if cancelled."""
        index = 0
        while index < len(self.chain.steps):
            record = await self._run_step(self.chain.steps[index])
            if record is None:
                return None
            if record.outcome is not Outcome.approve:
                return record.outcome
            index += 1
        return Outcome.approve

    def cancel(self) -> None:
        """Withdrawal: the open task is cancelled, the chain ends without an outcome."""
        self.cancelled = True

    async def _run_step(self, step: StepSpec) -> DecisionRecord | None:
        spec = TaskSpec(
            task_id=str(workflow.uuid4()),
            process_id=self.process.process_id,
            workflow_id=self.process.workflow_id,
            process_type=self.process.process_type,
            step=step.key,
            step_title=step.title,
            role=step.role,
            subject=self.process.subject,
            round=self.round,
            created_at=workflow.now(),
        )
        task = OpenTask(spec)
        self.current, self._opened = task, False
        await store(ProcessStore.open_task, spec)
        self._opened = True
        if self.on_waiting is not None:
            await self.on_waiting()
        await workflow.wait_condition(lambda: task.decision is not None or self.cancelled)
        self.current, self._opened = None, False
        if task.decision is None:
            closure = TaskClosure(task_id=spec.task_id, status="cancelled", decided_at=workflow.now())
            await store(ProcessStore.close_task, closure)
            return None
        return task.decision

    def validate(self, request: DecisionRequest) -> None:
        """Refuse a decision that is stale, by the wrong person, or malformed (raises ApplicationError)."""
        task = self.current
        if request.task_id in self.closed_task_ids:
            raise ApplicationError(
                f"task {request.task_id} was already decided by {self.closed_task_ids[request.task_id]}",
                type=errors.CONFLICT,
            )
        if task is None or task.spec.task_id != request.task_id or task.decision is not None:
            raise ApplicationError(f"task {request.task_id} is not open in this process", type=errors.CONFLICT)
        if request.step != task.spec.step:
            raise ApplicationError(
                f"task {request.task_id} belongs to step {task.spec.step}, not {request.step}", type=errors.CONFLICT
            )
        actor = request.actor
        if not actor.has(task.spec.role):
            raise ApplicationError(
                f"step {task.spec.step} needs role {task.spec.role.value}; {actor.username} does not hold it",
                type=errors.FORBIDDEN,
            )
        if actor.username == self.process.applicant:
            raise ApplicationError("the applicant cannot approve their own application", type=errors.FORBIDDEN)
        for earlier in self.decisions:
            if earlier.actor == actor.username and earlier.step != task.spec.step:
                raise ApplicationError(
                    f"{actor.username} already decided step {earlier.step}; one person cannot decide two steps "
                    "of the same process",
                    type=errors.FORBIDDEN,
                )
        if request.outcome is not Outcome.approve and not (request.comment or "").strip():
            raise ApplicationError(f"a {request.outcome.value} decision needs a reason in comment", type=errors.INVALID)
        if request.outcome is Outcome.return_ and not self.chain.step(task.spec.step).allow_return:
            raise ApplicationError(f"step {task.spec.step} cannot return the application", type=errors.INVALID)

    async def decide(self, request: DecisionRequest) -> DecisionRecord:
        """Apply a validated decision exactly once and record it in the inbox projection."""
        self.validate(request)
        task = self.current
        assert task is not None
        record = DecisionRecord(
            task_id=task.spec.task_id,
            step=task.spec.step,
            round=task.spec.round,
            outcome=request.outcome,
            comment=(request.comment or "").strip() or None,
            actor=request.actor.username,
            at=workflow.now(),
        )
        task.decision = record
        self.decisions.append(record)
        self.closed_task_ids[record.task_id] = record.actor
        closure = TaskClosure(
            task_id=record.task_id,
            status="done",
            outcome=record.outcome,
            decided_by=record.actor,
            decided_at=record.at,
            comment=record.comment,
        )
        await store(ProcessStore.close_task, closure)
        return record
