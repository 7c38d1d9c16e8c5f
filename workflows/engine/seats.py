"""Who sits on a step: its roles, or the people resolved when it opens — a leader of the
applicant's reporting line (按汇报线), named signers (the declaration's, or a workflow's own, or an
added signer's), every holder of a role, the deputy of someone absent — and the task each seat
gets, scoped to the process's unit where the step says so (000 §5 分级实施).

The owner of `signers`: who was named for which step."""

from __future__ import annotations

from collections.abc import Callable

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.calendar import DeadlineAnswer
    from activities.process_store import ProcessStore
    from domain.approvals import LeaderGap, StepSpec, UnitScope
    from domain.models import Seat, SeatAnswer, SeatQuery, TaskSpec
    from domain.roles import UNIT_SCOPED_ROLES, Role
    from workflows.activity_calls import look_up
    from workflows.engine.process_ref import ProcessRef


class SeatResolver:
    def __init__(self, process: ProcessRef, signers: dict[str, list[str]] | None = None) -> None:
        self.process = process
        self.signers: dict[str, list[str]] = {k: list(v) for k, v in (signers or {}).items()}

    def named_for(self, step_key: str) -> list[str]:
        """The people named for a step (by the workflow, or as an added signer)."""
        return self.signers.get(step_key, [])

    async def resolve(self, step: StepSpec, leader_gap: Callable[[], LeaderGap]) -> tuple[list[Seat], str | None]:
        """Who sits on the step: roles need no look-up; people (leaders, named signers, every holder,
        deputies of the absent) are resolved against the organisation when the step opens. A leader
        level with nobody at it goes to the administrator, or is skipped (no seats), as the chain
        declares (`leader_gap`, read after the look-up: a re-plan during it, e.g. an analysis at a
        前加签 step, decides with the chain as it then is, as the engine always has)."""
        if not (step.named or step.leader_level or step.every_holder):
            return [Seat(role=role) for role in step.seat_roles], None
        scoped = step.unit_scope is not UnitScope.none
        query = SeatQuery(
            step=step.key,
            roles=list(step.seat_roles),
            every_holder=step.every_holder,
            named=self.signers.get(step.key) or list(step.signers),
            leader_level=step.leader_level,
            applicant_unit=self.process.unit_path[0] if self.process.unit_path else self.process.unit,
            unit=self.process.unit if scoped else None,
            unit_parents=step.unit_scope is UnitScope.unit_and_parents,
            at=workflow.now(),
        )
        answer: SeatAnswer = await look_up(ProcessStore.resolve_seats, query)
        if answer.seats or (step.leader_level is None and not step.signers):
            return answer.seats or [Seat(role=role) for role in step.seat_roles], answer.note
        if leader_gap() is LeaderGap.admin:
            return [Seat(role=Role.admin, note=answer.note)], answer.note
        return [], answer.note

    def task(self, step: StepSpec, seat: Seat, due: DeadlineAnswer | None, round_: int) -> TaskSpec:
        """The seat's task in an inbox: a person's, or a role's (in the process's unit if scoped)."""
        scoped = step.unit_scope is not UnitScope.none and seat.user is None and seat.role in UNIT_SCOPED_ROLES
        return TaskSpec(
            task_id=str(workflow.uuid4()),
            process_id=self.process.process_id,
            workflow_id=self.process.workflow_id,
            process_type=self.process.process_type,
            step=step.key,
            step_title=step.title,
            role=seat.role,
            unit=self.process.unit if scoped else None,
            unit_parents=scoped and step.unit_scope is UnitScope.unit_and_parents,
            assignee=seat.user,
            on_behalf_of=seat.on_behalf_of,
            subject=self.process.subject[:200],
            round=round_,
            created_at=workflow.now(),
            due_at=due.deadline if due else None,
            due_provisional=due.provisional if due else False,
        )
