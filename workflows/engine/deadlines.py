"""Step deadlines: each step with `due_working_days` runs the one clock of `workflows/clock.py` —
a reminder before the deadline, then overdue and one escalation level (督办) per missed period.
The clock gets what it needs from the chain through the two callbacks passed to it (remind,
escalate) and the `done`/`paused` predicates: it imports nothing of the engine.

A deadline is counted by the write that opens the step's tasks (`DEADLINE_IN_WRITE`), or, in
histories recorded before that, by a calendar look-up first. A provisional deadline (counted in
a year whose calendar was not entered yet) is counted again when the administrator enters it.

The owner of `replans`: the deadlines that moved, and from when to when."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.calendar import DeadlineAnswer, StepDeadline
    from domain.approvals import StepSpec
    from domain.china_time import china_iso
    from domain.models import CalendarChanged, DeadlineReplan
    from workflows.clock import DeadlineClock, deadline_query, working_day_deadline
    from workflows.engine.board import SeatBoard
    from workflows.engine.context import ChainContext
    from workflows.engine.notices import Notices
    from workflows.engine.step_run import StepRun

# A step's deadline is counted by the write that opens its tasks (issue 9): one local activity per
# step opening instead of a calendar look-up and then the write. Histories recorded before it
# replay the look-up.
DEADLINE_IN_WRITE = "deadline-in-write"


class StepDeadlines:
    def __init__(self, context: ChainContext, board: SeatBoard, notices: Notices) -> None:
        self.context = context
        self.board = board
        self.notices = notices
        self.replans: list[DeadlineReplan] = []

    async def look_up(self, step: StepSpec) -> DeadlineAnswer | None:
        """The step's deadline asked of the calendar before its tasks open (histories before the write dated it)."""
        if step.due_working_days is None:
            return None
        query = deadline_query(workflow.now(), step.due_working_days, len(step.escalate_to))
        return await working_day_deadline(query)

    def dated_by_write(self, run: StepRun) -> StepDeadline:
        """The step's deadline, asked of the write that opens its tasks (keyed by its first task)."""
        step = run.step
        assert step.due_working_days is not None
        return StepDeadline(
            key=run.seats[0].spec.task_id,
            query=deadline_query(workflow.now(), step.due_working_days, len(step.escalate_to)),
            task_ids=[seat.spec.task_id for seat in run.seats],
        )

    def date_seats(self, run: StepRun) -> DeadlineAnswer:
        """After the write: the deadline it counted, on the step's tasks as they were stored."""
        due = self.context.kernel.answers.pop(run.seats[0].spec.task_id)
        for seat in run.seats:
            seat.spec = seat.spec.model_copy(update={"due_at": due.deadline, "due_provisional": due.provisional})
        return due

    def start_clock(self, run: StepRun, due: DeadlineAnswer, done: Callable[[], bool]) -> asyncio.Task[None]:
        """The step's clock, running beside the step until `done` (decided, or the chain cancelled)."""
        step = run.step
        kernel = self.context.kernel
        run.clock = DeadlineClock(
            due,
            levels=len(step.escalate_to),
            remind_before=timedelta(hours=step.remind_before_hours),
            done=done,
            paused=lambda: kernel.repair.stopped,
        )
        return asyncio.create_task(run.clock.run(self._reminder_of(run), self._escalation_of(run)))

    def _reminder_of(self, run: StepRun) -> Callable[[], Awaitable[None]]:
        async def remind() -> None:
            await self.remind(run)

        return remind

    def _escalation_of(self, run: StepRun) -> Callable[[int, datetime], Awaitable[None]]:
        async def escalate(level: int, missed: datetime) -> None:
            await self.escalate(run, level, missed)

        return escalate

    async def remind(self, run: StepRun) -> None:
        assert run.clock is not None
        for seat in run.seats:
            if not seat.closed:
                self.notices.notify_holder(seat, "reminder", f"due at {china_iso(run.clock.due.deadline)}")
        await self.context.kernel.flush()

    async def escalate(self, run: StepRun, level: int, missed: datetime) -> None:
        """Past the step's deadline: its tasks are overdue; the level's supervisor gets a 督办 task."""
        outbox = self.context.outbox
        role = run.step.escalate_to[level - 1]
        for seat in run.seats:
            if not seat.closed:
                seat.spec = seat.spec.model_copy(update={"overdue": True, "escalation_level": level})
                outbox.put_task(seat.spec)
        self.context.supervision.escalate(outbox, run.step.key, level, role, missed, None)
        await self.context.kernel.flush()

    async def replan(self, change: CalendarChanged) -> bool:
        """A provisional deadline counted in a year the administrator just entered is computed again;
        the running timer moves and the history keeps both. True when a deadline moved."""
        moved = False
        for run in list(self.board.runs):
            clock = run.clock
            if clock is None or not clock.due.provisional or not set(clock.due.unknown_years) & set(change.years):
                continue
            old = clock.due
            assert old.start is not None and old.working_days is not None
            query = deadline_query(old.start, old.working_days, clock.levels).model_copy(
                update={"replaces": old.deadline}
            )
            new = await working_day_deadline(query)
            if run.clock is not clock or run.result is not None:
                continue
            clock.replan(new)
            self.replans.append(
                DeadlineReplan(
                    step=run.step.key, previous=old.deadline, deadline=new.deadline, provisional=new.provisional
                )
            )
            for seat in run.seats:
                if not seat.closed:
                    seat.spec = seat.spec.model_copy(
                        update={"due_at": new.deadline, "due_provisional": new.provisional}
                    )
                    self.context.outbox.put_task(seat.spec)
            moved = True
        return moved
