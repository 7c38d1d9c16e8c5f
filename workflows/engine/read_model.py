"""What a chain shows the process's row, its view and the inboxes: the tasks open now (the seats',
the 督办 tasks of an overdue step, the applicant's correction task), who they wait for, the
nearest due date, and whether a task is the chain's at all. Reads the parts; owns nothing."""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.models import TaskSpec
    from workflows.clock import Supervision
    from workflows.engine.board import SeatBoard
    from workflows.engine.correction import Correction


def holders_of(tasks: list[TaskSpec]) -> list[str]:
    """Who open tasks wait for, each once, in the order the tasks opened."""
    return list(dict.fromkeys(t.holder for t in tasks))


class ReadModel:
    def __init__(self, board: SeatBoard, supervision: Supervision, correction: Correction) -> None:
        self.board = board
        self.supervision = supervision
        self.correction = correction

    @property
    def current_step(self) -> str | None:
        current = self.board.current
        return current.step.key if current else None

    @property
    def open_tasks(self) -> list[TaskSpec]:
        """Every task of the chain in an inbox: its seats, the 督办 tasks of an overdue step, and
        the applicant's "correct and resubmit" task after a return."""
        tasks = [s.spec for s in self.board.open_seats] + self.supervision.open_tasks()
        return tasks + self.correction.open_tasks()

    @property
    def open_task_ids(self) -> list[str]:
        """The open seats' tasks (the tasks a decision of the chain's steps is made on)."""
        return [s.spec.task_id for s in self.board.open_seats]

    @property
    def holders(self) -> list[str]:
        """Who the chain waits for, one entry per open task's holder (users, or role@unit)."""
        return holders_of(self.open_tasks)

    @property
    def due_at(self) -> datetime | None:
        dues = [s.spec.due_at for s in self.board.open_seats if s.spec.due_at is not None]
        return min(dues) if dues else None

    @property
    def waiting_for_decision(self) -> bool:
        return bool(self.board.open_seats)

    def owns(self, task_id: str) -> bool:
        return self.board.has_task(task_id) or self.supervision.owns(task_id) or self.correction.owns(task_id)
