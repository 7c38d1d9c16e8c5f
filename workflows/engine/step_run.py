"""A step while it is open, and its seats: the unit every part of the engine works on."""

from __future__ import annotations

from dataclasses import dataclass, field

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.approvals import Outcome, StepSpec
    from domain.models import DecisionRecord, TaskSpec
    from workflows.clock import DeadlineClock


@dataclass
class SeatTask:
    """One seat of a step and its task in somebody's inbox."""

    spec: TaskSpec
    decision: DecisionRecord | None = None
    closed: bool = False
    replaced: bool = False  # 前加签: closed while the added signer decides; a new task comes back later

    @property
    def holder(self) -> str:
        return self.spec.holder


@dataclass
class StepResult:
    outcome: Outcome
    return_to: str | None = None


@dataclass
class StepRun:
    """A step while it is open: its seats, its clock, what is pending on it."""

    step: StepSpec
    seats: list[SeatTask]
    clock: DeadlineClock | None = None
    result: StepResult | None = None
    pending_before: list[tuple[StepSpec, SeatTask]] = field(default_factory=list)  # 前加签 waiting to run

    def seat(self, task_id: str) -> SeatTask | None:
        return next((s for s in self.seats if s.spec.task_id == task_id and not s.closed), None)
