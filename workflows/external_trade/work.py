"""Work steps of a deal: a task in someone's inbox that an Update completes (open the tender, draft
the contract, pay a form, ...). Shared by the deal and the child workflow of a payment form
(`payment_child.py`), so a step reads, refuses and closes the same wherever it runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain import errors
    from domain.models import Actor, ProcessStatus, TaskClosure, TaskSpec
    from domain.roles import ROLE_TITLES, Role
    from domain.trade import MARKETING_ROLES, PROCESS_TYPE
    from domain.trade_models import TradeStage
    from workflows.approval import ProcessRef
    from workflows.kernel import Kernel, Lane


@dataclass
class WorkStep:
    """A non-approval step in someone's inbox (open the tender, draft the contract, pay, ...)."""

    spec: TaskSpec
    roles: tuple[Role, ...]
    lane: Lane
    done: bool = False


def refuse(message: str, kind: str = errors.CONFLICT) -> ApplicationError:
    return ApplicationError(message, type=kind)


def approval_of(deal: ProcessRef, applicant: str, what: str) -> ProcessRef:
    """An approval within the deal (资信审批, 定标, 合同审查, 付款 #n): the deal's process, its own subject."""
    return ProcessRef(
        process_id=deal.process_id,
        workflow_id=deal.workflow_id,
        process_type=PROCESS_TYPE,
        subject=f"{what}: {deal.subject}",
        applicant=applicant,
    )


class WorkDesk:
    """Opens work steps, checks who may complete them, and closes them in the lane's next write."""

    applicant: str  # the deal's marketing handler
    ref: ProcessRef
    status: ProcessStatus
    stage: TradeStage
    kernel: Kernel
    main: Lane
    work: dict[str, WorkStep]

    async def _await_work(
        self, key: str, title: str, roles: tuple[Role, ...], lane: Lane | None = None, step: str | None = None
    ) -> None:
        """Open an inbox task, rest, and wait until its update did the work."""
        marketing = roles == MARKETING_ROLES
        spec = TaskSpec(
            task_id=str(workflow.uuid4()),
            process_id=self.ref.process_id,
            workflow_id=self.ref.workflow_id,
            process_type=PROCESS_TYPE,
            step=step or key,
            step_title=title,
            role=roles[0],
            assignee=self.applicant if marketing else None,  # the deal's marketing handler
            subject=self.ref.subject,
            created_at=workflow.now(),
        )
        work = WorkStep(spec, roles, lane or self.main)
        self.work[key] = work
        self.kernel.outbox.put_task(spec)
        await self._rest(work.lane)
        await workflow.wait_condition(lambda: work.done)
        del self.work[key]

    def _require_work(self, key: str, actor: Actor, action: str) -> WorkStep:
        self._require_running()
        work = self.work.get(key)
        if work is None or work.done:
            raise refuse(f"{action} does not fit now: the deal is at stage {self.stage.value}")
        self._require_role(actor, work.roles, action)
        return work

    @staticmethod
    def _require_role(actor: Actor, roles: tuple[Role, ...], action: str) -> None:
        if not any(actor.has(role) for role in roles):
            wanted = ", ".join(f"{r.value} ({ROLE_TITLES[r]})" for r in roles)
            raise refuse(f"{action} needs one of the roles {wanted}; {actor.username} holds none", errors.FORBIDDEN)

    def _require_running(self) -> None:
        if self.status is not ProcessStatus.running:
            raise refuse(f"the deal is {self.status.value}")

    async def _finish_work(self, key: str, actor: Actor, apply: Callable[[], None]) -> None:
        """Record a work step's result (already validated), close its task, return once the lane rests."""
        work = self.work[key]
        work.lane.move()
        apply()
        work.done = True
        closure = TaskClosure(
            task_id=work.spec.task_id, status="done", decided_by=actor.username, decided_at=workflow.now()
        )
        self.kernel.outbox.close(closure)  # written with whatever opens next, in one sync
        await self.kernel.rested(work.lane)

    def _end(self, status: ProcessStatus, stage: TradeStage) -> None:
        self.status, self.stage = status, stage

    async def _rest(self, lane: Lane) -> None:
        """The lane now waits for a human (or has ended): write, then answer pending updates."""
        await self.kernel.rest(lane)
