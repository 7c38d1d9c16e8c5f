"""The base class of a process that is one chain (onboarding, a chain run on its own, most
regulation processes): decisions, withdrawal, a return to the applicant and their resubmission,
forms that approve a step, the view and the row, and read-your-writes — written once for all."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain import errors
    from domain.approvals import Outcome
    from domain.models import Actor, DecisionRequest, ProcessProjection, ProcessStatus, ProcessView, WithdrawRequest
    from workflows.engine.chain import ApprovalChain
    from workflows.engine.host import ApprovalHost
    from workflows.engine.read_model import holders_of
    from workflows.engine.refusal import refuse

# A return to the applicant opens a "correct and resubmit" task in their inbox (issue 20 item 16).
# Histories recorded before it replay without the task.
CORRECTION_TASK = "correction-task"

# What a chain's outcome makes of its process (a chain that ends without one was withdrawn).
OUTCOME_STATUS = {
    Outcome.approve: ProcessStatus.approved,
    Outcome.reject: ProcessStatus.rejected,
    Outcome.return_: ProcessStatus.returned,
}


class SingleChainHost(ApprovalHost):
    """A process that is one chain (onboarding, a chain run on its own): decisions, withdrawal and
    read-your-writes, written once for both."""

    approvals: ApprovalChain
    status: ProcessStatus
    applicant_name: str
    resubmitted: bool = False  # set by a workflow's own `resubmit` update
    # Steps approved only with their form (a score sheet, a review form), sent by an update of their
    # own: step → what a bare approval is told. Rejecting or returning needs no form.
    form_steps: ClassVar[dict[str, str]] = {}

    def _chains(self) -> list[ApprovalChain]:
        return [self.approvals]

    def chain_view(self, customer_id: int | None = None, **extra: Any) -> ProcessView:
        """The process as its chain shows it: step and due date while it runs; its open tasks and
        their holders while it is open (a returned application waits for its applicant)."""
        running = self.status is ProcessStatus.running
        tasks = self.approvals.open_tasks if self.status.is_open else []
        return ProcessView(
            process_id=self.approvals.process.process_id,
            process_type=self.approvals.process.process_type,
            status=self.status,
            current_step=self.approvals.current_step if running else None,
            customer_id=customer_id,
            open_task_ids=[t.task_id for t in tasks],
            holders=holders_of(tasks),
            due_at=self.approvals.due_at if running else None,
            **extra,
        )

    def chain_projection(self, started_at: datetime, **extra: Any) -> ProcessProjection:
        """The process row as `view()` shows it now (customer_id, subject_key in `extra`)."""
        view = self.view()
        return self.approvals.process.projection(view.status, view.current_step, started_at, **extra)

    def _require_open(self) -> None:
        if self.status is not ProcessStatus.running:
            raise refuse(f"the process is {self.status.value}, not running")

    async def await_resubmission(self) -> bool:
        """A return to the applicant: the process rests as `returned`, with a "correct and resubmit"
        task (the returner's reason on it) in the applicant's inbox, until their `resubmit` (True:
        the task is done, the next round begins) or their withdrawal (False: the task is cancelled).
        Histories recorded before the task existed replay without it."""
        self.status = ProcessStatus.returned
        if workflow.patched(CORRECTION_TASK):
            self.approvals.ask_for_correction()
        await self.kernel.rest()
        await workflow.wait_condition(lambda: self.resubmitted or self.status is ProcessStatus.withdrawn)
        if self.status is ProcessStatus.withdrawn:
            return False
        self.approvals.close_correction("done", "resubmitted")
        self.resubmitted = False
        self.status = ProcessStatus.running
        self.approvals.round += 1
        return True

    @workflow.update
    async def decide(self, request: DecisionRequest) -> Any:
        self.validate_decide(request)
        self.kernel.main.move()
        await self.approvals.decide(request)
        await self.kernel.rested()
        return self.view()

    def form_required(self, step: str) -> str | None:
        """What a bare approval of `step` is told when the step is approved only with its form; a
        workflow whose form became required later overrides it (saved histories approved bare)."""
        return self.form_steps.get(step)

    def form_decision(self, step: str, actor: Actor, comment: str | None, seat: int = 0) -> DecisionRequest:
        """The approval a form sent by its own update makes on `step`'s open seat (a score sheet, a
        review form; `seat`: which, of a countersign's); a deputy's or delegate's decision names its
        principal, as the inbox's does."""
        if self.approvals.current_step != step:
            raise refuse(f"the process is at step {self.approvals.current_step}, not {step}")
        seats = [s for s in self.approvals.open_seats if s.spec.step == step]
        if len(seats) <= seat:
            raise refuse(f"no {step} task is open")
        spec = seats[seat].spec
        principal = (spec.delegated_by or spec.on_behalf_of) if spec.assignee == actor.username else None
        return DecisionRequest(
            task_id=spec.task_id,
            step=step,
            outcome=Outcome.approve,
            comment=comment,
            actor=actor,
            on_behalf_of=principal,
        )

    @decide.validator
    def validate_decide(self, request: DecisionRequest) -> None:
        self.approvals.refuse_decision_on_correction(request.task_id)
        self._require_open()
        needs_form = self.form_required(request.step)
        if needs_form is not None and request.outcome is Outcome.approve:
            raise ApplicationError(needs_form, type=errors.INVALID)
        self.approvals.validate(request)

    @workflow.update
    async def withdraw(self, request: WithdrawRequest) -> Any:
        """The applicant withdraws an open application; its open tasks are cancelled."""
        self.validate_withdraw(request)
        self.kernel.main.move()
        self.status = ProcessStatus.withdrawn
        self.approvals.cancel()
        await self.kernel.rested()
        return self.view()

    @withdraw.validator
    def validate_withdraw(self, request: WithdrawRequest) -> None:
        if not self.status.is_open:
            raise refuse(f"the process is already {self.status.value}")
        if request.actor.username != self.applicant_name:
            raise refuse("only the applicant may withdraw this application", errors.FORBIDDEN)

    @workflow.update
    async def current(self) -> Any:
        """Waits until the process rests (tasks in inboxes, or finished): read-your-writes for the API."""
        await self.kernel.rested()
        return self.view()
