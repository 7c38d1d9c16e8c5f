"""The seats of a chain: the steps open now (the step walked, and an added signer's step opened
inside it), the tasks closed and by whom, and the decisions and a delegate's opinions given on them.
The one owner of that state; the walker opens and closes steps on it, the actions read it."""

from __future__ import annotations

from dataclasses import dataclass, field

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.models import DecisionRecord, TaskClosure
    from workflows.engine.refusal import refuse
    from workflows.engine.step_run import SeatTask, StepRun
    from workflows.kernel import Outbox


@dataclass
class SeatBoard:
    runs: list[StepRun] = field(default_factory=list)  # the open step, and an added signer's step opened inside it
    decisions: list[DecisionRecord] = field(default_factory=list)
    opinions: list[DecisionRecord] = field(default_factory=list)  # a delegate's advice: not a decision
    closed_task_ids: dict[str, str] = field(default_factory=dict)  # task id -> who decided (or "cancelled")

    @property
    def current(self) -> StepRun | None:
        return self.runs[-1] if self.runs else None

    @property
    def open_seats(self) -> list[SeatTask]:
        return [s for run in self.runs for s in run.seats if not s.closed]

    def has_task(self, task_id: str) -> bool:
        """A task of a seat of this chain, open now or closed."""
        return any(s.spec.task_id == task_id for run in self.runs for s in run.seats) or task_id in self.closed_task_ids

    def seat_for(self, task_id: str) -> tuple[StepRun, SeatTask]:
        """The open seat a step action names; refused when it is closed or not of this chain."""
        if task_id in self.closed_task_ids:
            by = self.closed_task_ids[task_id]
            raise refuse(f"task {task_id} was already {'cancelled' if by == 'cancelled' else 'decided by ' + by}")
        for run in reversed(self.runs):
            seat = run.seat(task_id)
            if seat is not None:
                return run, seat
        raise refuse(f"task {task_id} is not open in this process")

    def close(self, outbox: Outbox, seat: SeatTask, status: str, record: DecisionRecord | None = None) -> None:
        seat.closed = True
        self.closed_task_ids[seat.spec.task_id] = record.actor if record else status
        outbox.close(
            TaskClosure(
                task_id=seat.spec.task_id,
                status=status,
                outcome=record.outcome if record else None,
                decided_by=record.actor if record else None,
                decided_at=workflow.now(),
                comment=record.comment if record else None,
            )
        )
