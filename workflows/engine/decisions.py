"""Decisions on a step's seats: approve, reject, return (to the applicant, or to an earlier step),
a delegate's advice, a 督办 task's acknowledgement, and the system settling a step whose condition
came true. `validate` refuses before anything reaches the history; `decide` checks again, because
two racing updates can both pass their validators. Decisions and opinions are kept on the board."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain import errors
    from domain.approvals import Outcome, StepSpec
    from domain.models import DecisionRecord, DecisionRequest
    from workflows.engine.add_signer import AddSigners
    from workflows.engine.board import SeatBoard
    from workflows.engine.context import ChainContext
    from workflows.engine.correction import Correction
    from workflows.engine.guards import Guards
    from workflows.engine.notices import Notices
    from workflows.engine.refusal import refuse
    from workflows.engine.sign_modes import step_result
    from workflows.engine.step_run import StepResult
    from workflows.engine.walker import ChainWalker


class DecisionDesk:
    def __init__(
        self,
        context: ChainContext,
        board: SeatBoard,
        guards: Guards,
        notices: Notices,
        correction: Correction,
        walker: ChainWalker,
        add_signers: AddSigners,
    ) -> None:
        self.context = context
        self.board = board
        self.guards = guards
        self.notices = notices
        self.correction = correction
        self.walker = walker
        self.add_signers = add_signers

    def validate(self, request: DecisionRequest) -> None:
        """Refuse a decision that is stale, by the wrong person, or malformed (raises ApplicationError)."""
        supervision = self.context.supervision
        if supervision.owns(request.task_id):
            supervision.validate(request)
            return
        self.correction.refuse_decision(request.task_id)
        run, seat = self.board.seat_for(request.task_id)
        spec = seat.spec
        if request.step != spec.step:
            raise refuse(f"task {request.task_id} belongs to step {spec.step}, not {request.step}")
        self.guards.require_holder(seat, request.actor)
        principal = spec.delegated_by or spec.on_behalf_of
        if request.on_behalf_of is not None and request.on_behalf_of != principal:
            raise refuse(f"task {request.task_id} has moved: it is no longer held for {request.on_behalf_of}")
        if spec.delegated_by is None:  # a delegate's advice is not a decision
            self.guards.require_not_twice(request.actor.username, run)
            if spec.on_behalf_of is not None:
                self.guards.require_not_twice(spec.on_behalf_of, run, f"{spec.on_behalf_of} (represented)")
        if request.outcome is not Outcome.approve and not (request.comment or "").strip():
            raise refuse(f"a {request.outcome.value} decision needs a reason in comment", errors.INVALID)
        if request.outcome is Outcome.return_:
            if not run.step.allow_return:
                raise refuse(f"step {spec.step} cannot return the application", errors.INVALID)
            if request.return_to is not None:
                self._require_earlier(run.step, request.return_to)

    def _require_earlier(self, step: StepSpec, target: str) -> None:
        chain = self.walker.chain
        keys = [s.key for s in chain.steps]
        if target not in keys:
            raise refuse(f"return_to {target} is not a step of {chain.process_type}", errors.INVALID)
        if keys.index(target) >= self.add_signers.chain_position(step):
            raise refuse(f"return_to {target} is not an earlier step than {step.key}", errors.INVALID)

    async def decide(self, request: DecisionRequest) -> DecisionRecord | None:
        """Apply a validated decision exactly once; the update answers once the process rests."""
        context, outbox = self.context, self.context.outbox
        self.validate(request)
        if context.supervision.owns(request.task_id):
            context.supervision.acknowledge(outbox, request)
            await context.rest()
            return None
        run, seat = self.board.seat_for(request.task_id)
        spec = seat.spec
        record = DecisionRecord(
            task_id=spec.task_id,
            step=spec.step,
            round=spec.round,
            outcome=request.outcome,
            comment=(request.comment or "").strip() or None,
            actor=request.actor.username,
            at=workflow.now(),
        )
        self.notices.copy_users(request.cc, request.actor.username, spec.step)
        if spec.delegated_by is not None:
            # 委托: the delegate's advice is recorded, the task goes back to the delegator to decide.
            self.board.opinions.append(record)
            back = {"assignee": spec.delegated_by, "delegated_by": None, "on_behalf_of": None}
            seat.spec = spec.model_copy(update=back)
            outbox.put_task(seat.spec)
            await context.rest()
            return record
        seat.decision = record
        self.board.decisions.append(record)
        if run.step.rules:
            outbox.name_rules(spec.task_id, spec.step, run.step.rules)
        self.board.close(outbox, seat, "done", record)
        result = step_result(run, record, request.return_to)
        if result is None:  # a countersign still waiting for other seats
            await context.rest()
        else:
            run.result = result
        return record

    def settle(self, outcome: Outcome, comment: str) -> DecisionRecord | None:
        """The system decides the open step because what it waited for came true (a month-end
        collection paid by receipts, 000 §13): every open seat closes as decided by `system`, with
        the reason. None when no step is open or it is decided already."""
        run = self.board.current
        if run is None or run.result is not None or self.walker.cancelled:
            return None
        seats = [s for s in run.seats if not s.closed]
        if not seats:
            return None
        record = DecisionRecord(
            task_id=seats[0].spec.task_id,
            step=run.step.key,
            round=self.walker.round,
            outcome=outcome,
            comment=comment,
            actor="system",
            at=workflow.now(),
        )
        for seat in seats:
            self.board.close(self.context.outbox, seat, "done", record)
        self.board.decisions.append(record)
        run.result = StepResult(outcome)
        return record
