"""Moving a task between people: 委托 (delegate: the delegate advises, the task comes back to the
delegator to decide), 转办 (transfer: the task moves for good), a deputy taking it for someone out
of office, and claiming (or releasing) a role task so that it is one holder's alone. Stateless: the
seat's task carries who holds it."""

from __future__ import annotations

from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain import errors
    from domain.models import ClaimRequest, HandOverKind, HandOverRequest
    from workflows.engine.board import SeatBoard
    from workflows.engine.context import ChainContext
    from workflows.engine.guards import Guards
    from workflows.engine.refusal import refuse
    from workflows.engine.seats import SeatResolver
    from workflows.engine.step_run import StepRun


class HandOver:
    def __init__(self, context: ChainContext, board: SeatBoard, guards: Guards, seats: SeatResolver) -> None:
        self.context = context
        self.board = board
        self.guards = guards
        self.seats = seats

    def validate(self, request: HandOverRequest) -> None:
        applicant = self.context.process.applicant
        run, seat = self.board.seat_for(request.task_id)
        self.guards.require_holder(seat, request.actor)
        if seat.spec.delegated_by is not None:
            raise refuse(f"this task was delegated by {seat.spec.delegated_by} and goes back to them")
        target = request.to
        if target.username == request.actor.username:
            raise refuse("a task cannot be handed to oneself", errors.INVALID)
        if target.username == applicant:
            raise refuse("a task cannot be handed to the applicant", errors.FORBIDDEN)
        named = target.username in self.seats.named_for(run.step.key)
        if not named and not any(target.has(role) for role in run.step.seat_roles):
            wanted = ", ".join(r.value for r in run.step.seat_roles) or "a named signer of the step"
            raise refuse(f"{target.username} cannot take step {run.step.key}: it needs {wanted}", errors.FORBIDDEN)
        if seat.spec.unit is not None and not self.guards.in_unit(seat.spec, target):
            raise refuse(f"{target.username} is not in unit {seat.spec.unit} (000 §5)", errors.FORBIDDEN)
        if request.kind is HandOverKind.transfer:
            self.guards.require_not_twice(target.username, run)
        if request.deputy is not None:
            self._require_deputy(request, run)

    def _require_deputy(self, request: HandOverRequest, run: StepRun) -> None:
        """The absent target's deputy takes the task for them: never the hander, nor the applicant."""
        applicant = self.context.process.applicant
        deputy = request.deputy
        assert deputy is not None
        if deputy.username in (request.actor.username, applicant):
            who = "the applicant" if deputy.username == applicant else "you"
            raise refuse(
                f"{request.to.username} is out of office and their deputy {deputy.username} is {who}: "
                "hand the task to someone else",
                errors.FORBIDDEN,
            )
        if request.kind is HandOverKind.transfer:
            self.guards.require_not_twice(deputy.username, run, f"{deputy.username} (deputy of {request.to.username})")

    async def hand_over(self, request: HandOverRequest) -> None:
        """委托 comes back to the delegator for the final decision; 转办 moves the task for good. A
        target who is out of office gets it through their deputy, who acts on their behalf."""
        self.validate(request)
        _, seat = self.board.seat_for(request.task_id)
        deputy = request.deputy
        update: dict[str, Any] = {
            "assignee": (deputy or request.to).username,
            "claimed_by": None,
            "on_behalf_of": request.to.username if deputy else None,
        }
        if request.kind is HandOverKind.delegate:
            update["delegated_by"] = request.actor.username
        seat.spec = seat.spec.model_copy(update=update)
        self.context.outbox.put_task(seat.spec)
        await self.context.rest()

    def validate_claim(self, request: ClaimRequest) -> None:
        _, seat = self.board.seat_for(request.task_id)
        spec = seat.spec
        if spec.assignee is not None:
            raise refuse(f"task {spec.task_id} is assigned to {spec.assignee}: nothing to claim")
        if request.release:
            if spec.claimed_by != request.actor.username:
                raise refuse(f"task {spec.task_id} is not claimed by {request.actor.username}")
            return
        self.guards.require_holder(seat, request.actor)

    async def claim(self, request: ClaimRequest) -> None:
        """A claimed role task is the claimer's alone until they release it or decide it."""
        self.validate_claim(request)
        _, seat = self.board.seat_for(request.task_id)
        claimed_by = None if request.release else request.actor.username
        if seat.spec.claimed_by != claimed_by:
            seat.spec = seat.spec.model_copy(update={"claimed_by": claimed_by})
            self.context.outbox.put_task(seat.spec)
        await self.context.rest()
