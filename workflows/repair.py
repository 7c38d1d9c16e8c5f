"""A process whose write the database refused stops visibly and waits for an administrator.

A store activity that fails on data (activities/data_errors.py) is not retried: the kernel hands
the failure here. The process is marked `failed` with the reason (a minimal write that does not
carry the refused data), the administrators get a repair task and a notification, the process's
clocks hold still, and no step action is taken until the decision: `resume` retries the failed
write (after someone fixed the data or the column), `abandon` ends the process as failed, which
also frees its workflow id (a clean re-application of the same customer is not refused).

Only the failure path issues new commands, so histories of processes that never failed replay
unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.worker import (
    HandleUpdateInput,
    Interceptor,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
)

with workflow.unsafe.imports_passed_through():
    from activities.data_errors import DATA_ERROR, storable
    from activities.notifications import NotificationSpec
    from activities.process_failures import FailureStore, ProcessFailure, RepairRecord
    from domain import errors, search
    from domain.models import ProcessStatus, TaskSpec
    from domain.repair import RepairAction, RepairOutcome, RepairRequest
    from domain.roles import Role

REPAIR_STEP = "repair_store"
REPAIR_TITLE = "修复: 数据无法保存 Repair: the database refused a write of this process"
# The failure's own writes carry no refused data: retried only while the database is unwell.
FAILURE_WRITE_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=10))
TAKEN_WHILE_FAILED = frozenset({"repair", "current"})  # updates a failed process still answers


class ProcessIdentity(Protocol):
    """What names a process on its row and in an inbox (`workflows.approval.ProcessRef`)."""

    process_id: str
    workflow_id: str
    process_type: str
    subject: str
    applicant: str
    unit: str | None


def refused_data(exc: BaseException) -> str | None:
    """The reason, when a store activity failed because the database refused its data (a regular
    activity's failure arrives as an `ActivityError` around it, a local activity's as itself)."""
    cause = exc.cause if isinstance(exc, ActivityError) else exc
    if isinstance(cause, ApplicationError) and cause.type == DATA_ERROR:
        return cause.message
    return None


@dataclass
class Failure:
    reason: str
    at: datetime
    task_id: str  # the administrators' repair task
    recorded: bool = False  # the process row shows it


class StoreRepair:
    """The failure a process waits on, the administrator's decision, and what it led to."""

    def __init__(self) -> None:
        self.failure: Failure | None = None
        self.decision: RepairRequest | None = None
        self.abandoned: RepairRequest | None = None
        self.decisions = 0  # decisions taken
        self.settled = 0  # decisions whose consequence is known: the retry succeeded, failed, or abandoned
        self.answered = False  # the abandoning update has answered: the workflow may end

    @property
    def stopped(self) -> bool:
        """Failed and not (yet) resumed: clocks hold, step actions are refused."""
        return self.failure is not None or self.abandoned is not None

    @property
    def shown(self) -> bool:
        """Stopped, and the process row says so: an update waiting on the process may answer."""
        return self.abandoned is not None or (self.failure is not None and self.failure.recorded)

    def refusal(self) -> ApplicationError:
        why = self.failure.reason if self.failure else "abandoned by an administrator"
        return ApplicationError(
            f"the process stopped because the database refused its data ({why}); "
            "an administrator has been asked to repair it",
            type=errors.STORE_FAILED,
        )

    def require_running(self) -> None:
        if self.stopped:
            raise self.refusal()

    # --- the kernel's side: stop, wait, carry out the decision ------------------------------------

    async def stop(self, process: ProcessIdentity, reason: str) -> None:
        """Mark the process failed and wait for the decision; returns when the write is to be
        retried, raises when the process was abandoned."""
        if self.failure is not None:  # another write failed first: its repair decides for both
            first = self.failure
            await workflow.wait_condition(lambda: self.failure is not first or self.abandoned is not None)
            if self.abandoned is not None:
                raise self._abandonment()
            return
        failure = Failure(reason=reason, at=workflow.now(), task_id=str(workflow.uuid4()))
        self.failure = failure
        workflow.upsert_search_attributes([search.PROCESS_STATUS.value_set(ProcessStatus.failed.value)])
        await workflow.execute_activity_method(
            FailureStore.mark_process_failed,
            self._record_of(process, failure),
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=FAILURE_WRITE_RETRY,
        )
        failure.recorded = True
        self.settled = self.decisions  # a resumed write that failed again: that decision has its answer
        await workflow.wait_condition(lambda: self.decision is not None)
        decision, self.decision = self.decision, None
        assert decision is not None
        await workflow.execute_activity_method(
            FailureStore.record_repair,
            RepairRecord(
                process_id=process.process_id,
                process_type=process.process_type,
                task_id=failure.task_id,
                action=decision.action,
                decided_by=decision.actor.username,
                decided_at=workflow.now(),
                reason=decision.reason,
                failure_reason=failure.reason,
            ),
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=FAILURE_WRITE_RETRY,
        )
        if decision.action is RepairAction.abandon:
            self.abandoned = decision
            self.settled = self.decisions
            raise self._abandonment()
        self.failure = None  # the retry follows: its success or its failure settles the decision

    async def running(self) -> None:
        """Return at once while running; while stopped, wait for the repair (raises if abandoned)."""
        if self.stopped:
            await workflow.wait_condition(lambda: self.failure is None or self.abandoned is not None)
        self.require_not_abandoned()

    def succeeded(self) -> None:
        self.settled = self.decisions

    def require_not_abandoned(self) -> None:
        if self.abandoned is not None:
            raise self._abandonment()

    def _abandonment(self) -> ApplicationError:
        by = self.abandoned.actor.username if self.abandoned else "an administrator"
        why = self.abandoned.reason if self.abandoned else ""
        return ApplicationError(f"abandoned by {by} after a refused write: {why}", type=errors.STORE_FAILED)

    def _record_of(self, process: ProcessIdentity, failure: Failure) -> ProcessFailure:
        started = workflow.info().start_time
        subject = storable(process.subject, 200)  # the refused data may be in it
        task = TaskSpec(
            task_id=failure.task_id,
            process_id=process.process_id,
            workflow_id=process.workflow_id,
            process_type=process.process_type,
            step=REPAIR_STEP,
            step_title=REPAIR_TITLE,
            role=Role.admin,
            subject=subject,
            created_at=failure.at,
        )
        note = NotificationSpec(
            notification_id=f"{process.process_id}:{workflow.uuid4()}",
            process_id=process.process_id,
            recipient_role=Role.admin.value,
            kind="store_failed",
            subject=storable(f"{subject}: the database refused a write; repair or abandon", 300),
            body=failure.reason,
        )
        return ProcessFailure(
            process_id=process.process_id,
            workflow_id=process.workflow_id,
            process_type=process.process_type,
            subject=subject,
            applicant=storable(process.applicant, 80),
            unit_code=process.unit,
            started_at=started,
            reason=failure.reason,
            failed_at=failure.at,
            task=task,
            notification=note,
        )

    # --- the administrator's side: the `repair` update ----------------------------------------------

    def validate(self, request: RepairRequest) -> None:
        if not request.actor.has(Role.admin):
            raise ApplicationError("only an administrator may repair a process", type=errors.FORBIDDEN)
        if self.failure is None or self.abandoned is not None:
            raise ApplicationError("the process is not waiting for a repair", type=errors.CONFLICT)
        if self.decision is not None:
            raise ApplicationError("a repair decision is already being carried out", type=errors.CONFLICT)

    async def decide(self, request: RepairRequest) -> RepairOutcome:
        """Hand the decision to the stopped write and answer once its consequence is known."""
        self.validate(request)
        self.decision = request
        self.decisions += 1
        number = self.decisions
        await workflow.wait_condition(lambda: self.settled >= number)
        process_id = workflow.info().run_id
        if self.abandoned is not None:
            self.answered = True
            reason = f"abandoned by {request.actor.username}: {request.reason}"
            return RepairOutcome(
                process_id=process_id, action=request.action, status=ProcessStatus.failed, failure_reason=reason
            )
        failure = self.failure
        status = ProcessStatus.failed if failure else ProcessStatus.running
        return RepairOutcome(
            process_id=process_id,
            action=request.action,
            status=status,
            failure_reason=failure.reason if failure else None,
        )


def _repair_of(instance: Any) -> StoreRepair | None:
    repair = getattr(getattr(instance, "kernel", None), "repair", None)
    return repair if isinstance(repair, StoreRepair) else None


class _RepairInbound(WorkflowInboundInterceptor):
    def handle_update_validator(self, input: HandleUpdateInput) -> None:
        """A stopped process takes no step action: nothing may change behind the failed write."""
        repair = _repair_of(workflow.instance())
        if repair is not None and input.update not in TAKEN_WHILE_FAILED:
            repair.require_running()
        super().handle_update_validator(input)


class RepairInterceptor(Interceptor):
    """Registered with the worker (`worker.build_worker`)."""

    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[WorkflowInboundInterceptor] | None:
        return _RepairInbound
