"""Who may act on a seat: its holder (000 §5 unit scoping), and never one person twice (000 §6).
Pure checks over the board; every step action asks them in its validator and again in its handler."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain import errors
    from domain.models import Actor, TaskSpec
    from domain.rulebook import enforces
    from workflows.engine.board import SeatBoard
    from workflows.engine.process_ref import ProcessRef
    from workflows.engine.refusal import refuse
    from workflows.engine.step_run import SeatTask, StepRun


class Guards:
    def __init__(self, process: ProcessRef, board: SeatBoard) -> None:
        self.process = process
        self.board = board

    @enforces("000-4-unified-tiered")
    def in_unit(self, spec: TaskSpec, actor: Actor) -> bool:
        """000 §5: a unit-scoped task is for holders in its unit (or, if declared, the units above)."""
        if spec.unit is None:
            return True
        if actor.unit == spec.unit:
            return True
        return spec.unit_parents and actor.unit is not None and actor.unit in self.process.unit_path[1:]

    def require_holder(self, seat: SeatTask, actor: Actor) -> None:
        """The person the task is assigned to; or, for a role task, a holder of the role in the unit
        who has not been beaten to it by a claim."""
        spec = seat.spec
        if spec.assignee is not None:
            if actor.username != spec.assignee:
                raise refuse(f"task {spec.task_id} is assigned to {spec.assignee}", errors.FORBIDDEN)
            return
        assert spec.role is not None
        if not actor.has(spec.role):
            raise refuse(
                f"step {spec.step} needs role {spec.role.value}; {actor.username} does not hold it", errors.FORBIDDEN
            )
        if not self.in_unit(spec, actor):
            raise refuse(
                f"task {spec.task_id} is for {spec.role.value} of unit {spec.unit}; {actor.username} is in "
                f"{actor.unit or 'no unit'} (000 §5)",
                errors.FORBIDDEN,
            )
        if spec.claimed_by is not None and spec.claimed_by != actor.username:
            raise refuse(f"task {spec.task_id} is claimed by {spec.claimed_by}")

    @enforces("000-6-distinct-signers")
    def require_not_twice(self, username: str, run: StepRun, who: str = "") -> None:
        """One person never decides two steps of the same process, nor two seats of one step; the
        same step again (after a return or a resubmission) is theirs to decide again."""
        who = who or username
        if username == self.process.applicant:
            raise refuse(f"{who}: the applicant cannot approve their own application", errors.FORBIDDEN)
        for earlier in self.board.decisions:
            if earlier.actor == username and earlier.step != run.step.key:
                raise refuse(
                    f"{who} already decided step {earlier.step}; one person cannot decide two steps "
                    "of the same process",
                    errors.FORBIDDEN,
                )
        if any(s.decision is not None and s.decision.actor == username for s in run.seats):
            raise refuse(f"{who} already decided another seat of step {run.step.key}", errors.FORBIDDEN)
