"""加签: a signer added before the current step's decision (前加签: the adder's task waits for them,
then comes back) or after it (后加签: a step of its own after this one). The added signer's step is
a normal step (deadline, escalation, history), single-seated and named.

The owner of `added_to` (each added step, the declared step it belongs to and on which side) and
of the count that names added steps."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain import errors
    from domain.approvals import SignMode, StepSpec, UnitScope
    from domain.models import AddSignerRequest, SignerPosition
    from workflows.engine.board import SeatBoard
    from workflows.engine.context import ChainContext
    from workflows.engine.guards import Guards
    from workflows.engine.refusal import refuse
    from workflows.engine.seats import SeatResolver
    from workflows.engine.walker import ChainWalker


class AddSigners:
    def __init__(
        self, context: ChainContext, board: SeatBoard, guards: Guards, seats: SeatResolver, walker: ChainWalker
    ) -> None:
        self.context = context
        self.board = board
        self.guards = guards
        self.seats = seats
        self.walker = walker
        self.added_to: dict[str, tuple[str, bool]] = {}  # an added signer's step -> (its step, after?)
        self._added = 0

    def chain_position(self, step: StepSpec) -> int:
        """A declared step's place in the chain; an added signer's step sits before or after its step."""
        chain = self.walker.chain
        if step.key in self.added_to:
            base, after = self.added_to[step.key]
            return chain.index(base) + (1 if after else 0)
        return chain.index(step.key)

    def validate(self, request: AddSignerRequest) -> None:
        run, seat = self.board.seat_for(request.task_id)
        self.guards.require_holder(seat, request.actor)
        if seat.spec.delegated_by is not None:
            raise refuse("a delegate cannot add signers; the delegator can")
        signer = request.signer.username
        if signer == request.actor.username:
            raise refuse("one cannot add oneself as a signer", errors.INVALID)
        if signer == self.context.process.applicant:
            raise refuse("the applicant cannot be added as a signer", errors.FORBIDDEN)
        self.guards.require_not_twice(signer, run)

    async def add(self, request: AddSignerRequest) -> None:
        self.validate(request)
        run, seat = self.board.seat_for(request.task_id)
        self._added += 1
        position = request.position.value
        added = run.step.model_copy(
            update={
                "key": f"{run.step.key}_added_{self._added}"[:60],
                "title": f"加签 ({position}) {request.signer.username}: {run.step.title}"[:200],
                "role": None,
                "roles": (),
                "mode": SignMode.single,
                "every_holder": False,
                "named": True,
                "leader_level": None,
                "unit_scope": UnitScope.none,
                "cc": (),
            }
        )
        self.seats.signers[added.key] = [request.signer.username]
        base = self.added_to.get(run.step.key, (run.step.key, False))[0]
        self.added_to[added.key] = (base, request.position is SignerPosition.after)
        if request.position is SignerPosition.after:
            plan = self.walker.plan
            index = self.walker.plan_index(run.step.key) + 1
            while index < len(plan) and not self.walker.chain.has_step(plan[index].key):
                index += 1  # after the signers added earlier to this step
            plan.insert(index, added)
            await self.context.rest()
            return
        # Before: the adder's task waits for the added signer, then comes back to the adder.
        seat.spec = seat.spec.model_copy(update={"assignee": request.actor.username, "claimed_by": None})
        self.board.close(self.context.outbox, seat, "cancelled")
        seat.replaced = True
        run.pending_before.append((added, seat))
