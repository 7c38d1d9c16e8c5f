"""The chain walker: steps in the order the plan gives them, each opened (seats resolved, tasks in
inboxes, its clock started), waited on until its seats decide it, and closed; a return to an
earlier step walks on from there, a reject or a return to the applicant stops the walk.

The owner of the chain as declared (`chain`), the steps still to walk with the added signers
inserted (`plan`), the round (a resubmission starts the next), and whether the walk was cancelled
(withdrawal) or where a return to the applicant came from."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.approvals import ChainSpec, Outcome, StepSpec
    from workflows.engine.board import SeatBoard
    from workflows.engine.context import ChainContext
    from workflows.engine.deadlines import DEADLINE_IN_WRITE, StepDeadlines
    from workflows.engine.notices import Notices
    from workflows.engine.seats import SeatResolver
    from workflows.engine.step_run import SeatTask, StepResult, StepRun


class ChainWalker:
    def __init__(
        self,
        chain: ChainSpec,
        context: ChainContext,
        board: SeatBoard,
        seats: SeatResolver,
        deadlines: StepDeadlines,
        notices: Notices,
    ) -> None:
        self.chain = chain
        self.plan: list[StepSpec] = list(chain.steps)
        self.round = 1
        self.cancelled = False
        self.returned_from: str | None = None  # the step that returned the application to the applicant
        self.context = context
        self.board = board
        self.seats = seats
        self.deadlines = deadlines
        self.notices = notices

    def set_first_step_due(self, working_days: int) -> None:
        """A deadline computed per process before the chain runs (a plan due on the last working day
        before its month, 000 §12): the first step's `due_working_days`."""
        first = self.chain.steps[0].model_copy(update={"due_working_days": working_days})
        self.chain = self.chain.model_copy(update={"steps": (first, *self.chain.steps[1:])})
        self.plan = list(self.chain.steps)

    def plan_index(self, key: str) -> int:
        return [s.key for s in self.plan].index(key)

    async def run(self, start_at: str | None = None) -> Outcome | None:
        """Approve when every step approves; stop at a reject or a return to the applicant;
        None if cancelled. A return to an earlier step walks on from there."""
        index = self.plan_index(start_at) if start_at else 0
        self.returned_from = None
        while index < len(self.plan):
            step = self.plan[index]
            result = await self.run_step(step)
            if result is None:
                return None
            if result.outcome is Outcome.approve:
                index += 1
                continue
            if result.outcome is Outcome.return_ and result.return_to:
                index = self.plan_index(result.return_to)
                continue
            if result.outcome is Outcome.return_:
                self.returned_from = step.key
            return result.outcome
        return Outcome.approve

    def resume_step(self) -> str | None:
        """Where a resubmission starts: declared per chain (first step, or the step that returned it)."""
        if self.chain.resubmission.value == "returning_step" and self.returned_from:
            return self.returned_from
        return None

    async def run_step(self, step: StepSpec) -> StepResult | None:
        """Open the step, wait for its result (running the 前加签 steps added meanwhile), close it."""
        context, outbox = self.context, self.context.outbox
        seats, note = await self.seats.resolve(step, lambda: self.chain.leader_gap)
        if not seats:  # a leader level with nobody at it, declared to be skipped
            self.notices.notify_step(step, f"skipped: {note}")
            return StepResult(Outcome.approve)
        in_write = step.due_working_days is not None and workflow.patched(DEADLINE_IN_WRITE)
        due = None if in_write else await self.deadlines.look_up(step)
        run = StepRun(step, [SeatTask(self.seats.task(step, seat, due, self.round)) for seat in seats])
        for seat in run.seats:
            outbox.put_task(seat.spec)
        if in_write:
            outbox.deadlines.append(self.deadlines.dated_by_write(run))
        self.notices.copy_roles(step)
        self.board.runs.append(run)

        def done() -> bool:
            return run.result is not None or self.cancelled

        clock_task = self.deadlines.start_clock(run, due, done) if due is not None else None
        await context.rest()
        if in_write:
            clock_task = self.deadlines.start_clock(run, self.deadlines.date_seats(run), done)
        try:
            while run.result is None and not self.cancelled:
                await workflow.wait_condition(
                    lambda: run.result is not None or self.cancelled or bool(run.pending_before)
                )
                await self._run_added_before(run)
        finally:
            self.board.runs.remove(run)
        for seat in run.seats:
            if not seat.closed:
                self.board.close(context.outbox, seat, "cancelled")
        context.supervision.cancel_all(context.outbox)
        if clock_task is not None:
            await clock_task
        if self.cancelled:
            return None
        return run.result

    async def _run_added_before(self, run: StepRun) -> None:
        """前加签: the added signer decides first; on approval the task comes back to whoever added them."""
        while run.pending_before and run.result is None and not self.cancelled:
            added, seat = run.pending_before.pop(0)
            result = await self.run_step(added)
            if result is None:
                return
            if result.outcome is not Outcome.approve:
                run.result = result
                return
            back = seat.spec.model_copy(update={"task_id": str(workflow.uuid4()), "created_at": workflow.now()})
            run.seats.append(SeatTask(back))
            self.context.outbox.put_task(back)
            await self.context.rest()
