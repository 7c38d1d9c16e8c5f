"""退回 to the applicant: a "correct and resubmit" task in their inbox while the application is
back with them, closed by their resubmission or withdrawal — never by a decision.

The owner of `spec`: the applicant's correction task, while open."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain import errors
    from domain.approvals import Outcome
    from domain.models import TaskClosure, TaskSpec
    from workflows.engine.board import SeatBoard
    from workflows.engine.context import ChainContext
    from workflows.engine.refusal import refuse

CORRECTION_STEP = "correct_and_resubmit"


class Correction:
    def __init__(self, context: ChainContext, board: SeatBoard) -> None:
        self.context = context
        self.board = board
        self.spec: TaskSpec | None = None

    def owns(self, task_id: str) -> bool:
        return self.spec is not None and self.spec.task_id == task_id

    def open_tasks(self) -> list[TaskSpec]:
        return [self.spec] if self.spec is not None else []

    def ask(self, round_: int) -> None:
        """The application went back to the applicant. A "correct and resubmit" task opens in their
        inbox with the returner's reason, and they are notified; a resubmission or a withdrawal
        closes it (`close`). The reason is the return decision's comment, which a return cannot be
        without."""
        process = self.context.process
        returned = next(d for d in reversed(self.board.decisions) if d.outcome is Outcome.return_)
        reason = f"{returned.actor} returned it at {returned.step}: {returned.comment or ''}".strip()
        spec = TaskSpec(
            task_id=str(workflow.uuid4()),
            process_id=process.process_id,
            workflow_id=process.workflow_id,
            process_type=process.process_type,
            step=CORRECTION_STEP,
            step_title="退回修改后重新提交 Correct and resubmit (or withdraw)",
            assignee=process.applicant,
            subject=process.subject[:200],
            round=round_,
            created_at=workflow.now(),
            comment=reason,
        )
        self.spec = spec
        self.context.outbox.put_task(spec)
        self.context.outbox.notifications.append(
            self.context.supervision.notification("returned", None, process.applicant, reason, CORRECTION_STEP)
        )

    def close(self, status: str, comment: str) -> None:
        """The applicant resubmitted ("done") or withdrew ("cancelled"): their task leaves the inbox."""
        spec, self.spec = self.spec, None
        if spec is None:
            return
        applicant = self.context.process.applicant
        closure = TaskClosure(
            task_id=spec.task_id,
            status=status,
            decided_by=applicant,
            decided_at=workflow.now(),
            comment=comment,
        )
        self.board.closed_task_ids[spec.task_id] = applicant
        self.context.outbox.close(closure)

    def refuse_decision(self, task_id: str) -> None:
        """The applicant's correction task is closed by a resubmission or a withdrawal, not a decision."""
        if self.owns(task_id):
            raise refuse(
                f"task {task_id} asks the applicant to correct and resubmit the application, or withdraw it: "
                "it takes no decision",
                errors.INVALID,
            )
