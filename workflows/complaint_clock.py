"""The clocks of a complaint (000 §16, 001 complaint rules): its deadline, the handler's reminder,
the escalation ladder, and the working-day deadlines a stage of its own has. Part of
workflows/complaint.py's workflow; the clock itself is workflows/clock.py, the one of the codebase."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.calendar import DeadlineAnswer
    from domain.china_time import china_iso
    from domain.complaints import ESCALATION_LADDER, REMINDER_BEFORE_HOURS, ComplaintRecord, ComplaintStage
    from domain.models import CalendarChanged, DeadlineReplan, TaskSpec
    from domain.roles import Role
    from domain.rulebook import enforces
    from workflows.clock import DeadlineClock, Supervision, deadline_query, working_day_deadline
    from workflows.kernel import Kernel

LEVELS = len(ESCALATION_LADDER) - 1  # level 0 is the handler; each missed period climbs one level
REMIND_BEFORE = timedelta(hours=REMINDER_BEFORE_HOURS)


class WorkStep:
    """A stage's task, done or not, and its own clock when the stage has a deadline of its own."""

    def __init__(self, spec: TaskSpec) -> None:
        self.spec = spec
        self.done = False
        self.clock: DeadlineClock | None = None


class ComplaintClock:
    """The complaint's deadline and each stage's: reminders, escalations and re-plans."""

    stage: ComplaintStage
    clock: DeadlineClock | None
    work: WorkStep | None
    handler: str | None
    record: ComplaintRecord
    kernel: Kernel
    supervision: Supervision
    replans: list[DeadlineReplan]

    @property
    def closed(self) -> bool:
        return self.stage is ComplaintStage.closed

    @property
    def due(self) -> DeadlineAnswer | None:
        return self.clock.due if self.clock else None

    @property
    def level(self) -> int:
        return self.clock.level if self.clock else 0

    @property
    def overdue(self) -> bool:
        return self.clock.overdue if self.clock else False

    async def _deadline(self, start: datetime, working_days: int) -> DeadlineAnswer:
        return await working_day_deadline(deadline_query(start, working_days, LEVELS))

    def _stopped(self) -> bool:
        return self.kernel.repair.stopped

    def _remind_if_due(self) -> None:
        """The handler's reminder, once its moment has come; a complaint registered that late gets it
        with its first task instead of a separate write a moment later."""
        assert self.clock is not None
        remind_at = self.clock.remind_at()
        if self.clock.reminded or self.closed or remind_at is None or workflow.now() < remind_at:
            return
        self.clock.reminded = True
        self._post("reminder", Role.marketing_reviewer, self.handler, f"due at {china_iso(self.clock.due.deadline)}")

    async def _remind(self) -> None:
        assert self.clock is not None
        self._post("reminder", Role.marketing_reviewer, self.handler, f"due at {china_iso(self.clock.due.deadline)}")
        await self.kernel.flush()

    @enforces("000-16-no-shirking")
    async def _escalate_complaint(self, level: int, missed: datetime) -> None:
        """000 §16: past the deadline, overdue and one level up per missed period."""
        await self._escalate("complaint", level, missed)

    async def _escalate(self, scope: str, level: int, missed: datetime) -> None:
        """One level up: the leader's supervision task, a notification and the new state, at once."""
        self.supervision.escalate(self.kernel.outbox, scope, level, ESCALATION_LADDER[level], missed, None)
        await self.kernel.flush()

    def _step_escalation(self, step: WorkStep) -> Callable[[int, datetime], Awaitable[None]]:
        async def escalate(level: int, missed: datetime) -> None:
            await self._escalate(step.spec.step, level, missed)

        return escalate

    @staticmethod
    async def _no_reminder() -> None:
        return None

    def _post(self, kind: str, role: Role, user: str | None, text: str, step: str | None = None) -> None:
        """A notification, sent with the complaint's next sync."""
        note = self.supervision.notification(kind, role, user, text, step)
        note = note.model_copy(
            update={
                "subject": f"[投诉 {self.record.severity.value}] {self.record.customer_name}: {text}"[:300],
                "body": self.record.description[:500] + (f"\nstep: {step}" if step else ""),
            }
        )
        self.kernel.outbox.notifications.append(note)

    async def _replan_own(self, change: CalendarChanged) -> bool:
        """A provisional complaint deadline (or stage deadline) in a year just entered moves."""
        moved = False
        clocks = [("complaint", self.clock)]
        if self.work is not None and self.work.clock is not None:
            clocks.append((self.work.spec.step, self.work.clock))
        for scope, clock in clocks:
            if clock is None or self.closed or not clock.due.provisional:
                continue
            if not set(clock.due.unknown_years) & set(change.years):
                continue
            old = clock.due
            assert old.start is not None and old.working_days is not None
            query = deadline_query(old.start, old.working_days, LEVELS).model_copy(update={"replaces": old.deadline})
            new = await working_day_deadline(query)
            clock.replan(new)
            self.replans.append(
                DeadlineReplan(step=scope, previous=old.deadline, deadline=new.deadline, provisional=new.provisional)
            )
            if self.work is not None and not self.work.done and (scope == "complaint") == (self.work.clock is None):
                self.work.spec = self.work.spec.model_copy(
                    update={"due_at": new.deadline, "due_provisional": new.provisional}
                )
                self.kernel.outbox.put_task(self.work.spec)
            moved = True
        return moved
