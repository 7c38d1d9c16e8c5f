"""The one clock of the codebase: a deadline with a reminder before it and an escalation ladder after.

Every deadline — a complaint's, a complaint stage's, any approval step's — is a `DeadlineClock`:
durable timers (no polling), a reminder `remind_before` the deadline, then overdue and one level
up per missed period (000 §16 "nobody may shirk"), each level exactly once, even across worker
restarts (the levels reached live in workflow state, replayed from the history). A deadline that
moves (an approved extension, a re-plan when the calendar changes) is an updatable timer:
`replan` wakes the clock, which then waits for the new moment.

Escalations open a supervision task (督办) for the level's role and notify it: `Supervision`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.calendar import CalendarActivities, DeadlineAnswer, DeadlineQuery
    from activities.notifications import NotificationSpec
    from domain import errors
    from domain.china_time import china_iso
    from domain.models import DecisionRequest, TaskClosure, TaskSpec, WatcherSpec
    from domain.roles import Role
    from workflows.activity_calls import look_up
    from workflows.kernel import Outbox

LOOKUP_RETRY_SECONDS = 10


async def working_day_deadline(query: DeadlineQuery) -> DeadlineAnswer:
    """A deadline on the working-day calendar, as a local activity: recorded in the history as a
    marker (a replay never recomputes it from calendar data changed since), no server round trip."""
    return await look_up(CalendarActivities.working_day_deadline, query)


async def sleep_until(moment: datetime, stop: Callable[[], bool]) -> bool:
    """A durable timer to `moment`; False if `stop()` came true first."""
    delay = (moment - workflow.now()).total_seconds()
    if delay > 0:
        try:
            await workflow.wait_condition(stop, timeout=delay)
            return False
        except TimeoutError:
            pass
    return not stop()


@dataclass
class DeadlineClock:
    """Remind, then escalate level by level; `levels` is how many escalation levels there are."""

    due: DeadlineAnswer
    levels: int
    remind_before: timedelta | None
    done: Callable[[], bool]
    # True while the process is stopped for a repair (workflows/repair.py): a moment that passes
    # meanwhile acts only once the process runs again.
    paused: Callable[[], bool] = lambda: False
    reminded: bool = False
    level: int = 0
    _moves: int = 0

    @property
    def overdue(self) -> bool:
        return self.level > 0

    def remind_at(self) -> datetime | None:
        return self.due.deadline - self.remind_before if self.remind_before is not None else None

    def replan(self, due: DeadlineAnswer) -> None:
        """The deadline moved: the timers wait for the new moment; levels already reached stay."""
        self.due = due
        remind_at = self.remind_at()
        if remind_at is not None and remind_at > workflow.now():
            self.reminded = False
        self._moves += 1

    async def _unpaused(self) -> bool:
        """Hold while the process is stopped; False if the clock is done meanwhile. Waits (and
        yields) only when paused, so a clock that never paused runs exactly as it always did."""
        if self.paused():
            await workflow.wait_condition(lambda: self.done() or not self.paused())
        return not self.done()

    async def run(
        self,
        remind: Callable[[], Awaitable[None]],
        escalate: Callable[[int, datetime], Awaitable[None]],
    ) -> None:
        while not self.done():
            moves, due = self._moves, self.due

            def moved(moves: int = moves) -> bool:
                return self.done() or self._moves != moves

            remind_at = self.remind_at()
            if remind_at is not None and not self.reminded:
                if not await sleep_until(remind_at, moved):
                    continue  # done, or moved: look again
                if not await self._unpaused():
                    continue
                self.reminded = True
                await remind()
            moments = [due.deadline, *due.following][: self.levels]
            finished = True
            for level, missed in enumerate(moments, start=1):
                if level <= self.level:
                    continue
                if not await sleep_until(missed, moved) or not await self._unpaused():
                    finished = False
                    break
                self.level = level
                await escalate(level, missed)
            if finished:
                # Every level reached: nothing more to wait for, unless the deadline moves again.
                await workflow.wait_condition(moved)


@dataclass
class Supervision:
    """督办 tasks the clock opens for a level's supervisor; the supervisor acknowledges from the inbox."""

    process_id: str
    workflow_id: str
    process_type: str
    subject: str
    open: dict[str, Role] = field(default_factory=dict)  # task id -> the role it went to
    tasks: dict[str, TaskSpec] = field(default_factory=dict)  # task id -> the task, while open

    def escalate(self, outbox: Outbox, scope: str, level: int, role: Role, missed: datetime, unit: str | None) -> None:
        """One level up: the supervisor's task and a notification, written with the next sync."""
        spec = TaskSpec(
            task_id=str(workflow.uuid4()),
            process_id=self.process_id,
            workflow_id=self.workflow_id,
            process_type=self.process_type,
            step=f"supervise_{scope}"[:60],
            step_title=f"督办: 逾期 ({scope}, level {level})"[:200],
            role=role,
            unit=unit,
            unit_parents=unit is not None,
            subject=self.subject,
            created_at=workflow.now(),
            overdue=True,
            escalation_level=level,
        )
        self.open[spec.task_id] = role
        self.tasks[spec.task_id] = spec
        outbox.put_task(spec)
        text = f"{scope} overdue since {china_iso(missed)}; escalated to {role.value}"
        outbox.notifications.append(self.notification("escalation", role, None, text, scope))

    def report(self, outbox: Outbox, role: Role, text: str, step: str | None) -> None:
        """A result reported onward (禀报, 报财务科): the role is copied on the process (it may read
        it from now on, no task) and notified, with the next sync."""
        outbox.watchers.append(
            WatcherSpec(
                watcher_id=f"{self.process_id}:{workflow.uuid4()}",
                process_id=self.process_id,
                role=role,
                added_by="system",
                step=step,
                added_at=workflow.now(),
            )
        )
        outbox.notifications.append(self.notification("report", role, None, text, step))

    def notification(
        self, kind: str, role: Role | None, user: str | None, text: str, step: str | None
    ) -> NotificationSpec:
        return NotificationSpec(
            notification_id=f"{self.process_id}:{workflow.uuid4()}",
            process_id=self.process_id,
            recipient_role=role.value if role else None,
            recipient=user,
            kind=kind,
            subject=f"{self.subject}: {text}"[:300],
            body=f"step: {step}" if step else "",
        )

    def owns(self, task_id: str) -> bool:
        return task_id in self.open

    def open_tasks(self) -> list[TaskSpec]:
        """The 督办 tasks in supervisors' inboxes now."""
        return [self.tasks[task_id] for task_id in self.open if task_id in self.tasks]

    def validate(self, request: DecisionRequest) -> None:
        role = self.open[request.task_id]
        if not request.actor.has(role):
            raise ApplicationError(f"this supervision task is for {role.value}", type=errors.FORBIDDEN)

    def acknowledge(self, outbox: Outbox, request: DecisionRequest) -> None:
        del self.open[request.task_id]
        self.tasks.pop(request.task_id, None)
        outbox.close(
            TaskClosure(
                task_id=request.task_id,
                status="done",
                outcome=request.outcome,
                decided_by=request.actor.username,
                decided_at=workflow.now(),
                comment=request.comment,
            )
        )

    def cancel_all(self, outbox: Outbox) -> None:
        """The supervised work is done: open supervision tasks leave the inboxes."""
        for task_id in list(self.open):
            outbox.close(TaskClosure(task_id=task_id, status="cancelled", decided_at=workflow.now()))
        self.open.clear()
        self.tasks.clear()


def deadline_query(start: datetime, working_days: int, levels: int) -> DeadlineQuery:
    """The deadline and the moments of each further escalation level, fixed together, so the busiest
    moment of the clock (many deadlines at once) needs no calendar look-up."""
    return DeadlineQuery(start=start, working_days=working_days, following=max(levels - 1, 0))
