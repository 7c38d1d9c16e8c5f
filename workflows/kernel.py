"""What every process workflow shares: one write per moment, and read-your-writes for updates.

A workflow collects what a moment changes (tasks opened or moved, tasks closed, notifications,
CC entries) in the outbox; `flush` hands all of it, with the process row, to the workflow's one
sync activity. An update that changes the process `unsettle`s its lane and answers only once the
lane `rest`s again, so the API's answer names the real next step.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.calendar import DeadlineAnswer, StepDeadline
    from activities.notifications import NotificationSpec
    from domain.audit import AuditEntry
    from domain.models import TaskClosure, TaskSpec, WatcherSpec
    from workflows.repair import ProcessIdentity, StoreRepair, refused_data

R = TypeVar("R")


@dataclass
class Outbox:
    """Writes waiting for the next sync; each leaves the outbox exactly once."""

    tasks: list[TaskSpec] = field(default_factory=list)  # opened, or changed (re-written by task id)
    closed: list[TaskClosure] = field(default_factory=list)
    notifications: list[NotificationSpec] = field(default_factory=list)
    watchers: list[WatcherSpec] = field(default_factory=list)
    audit: list[AuditEntry] = field(default_factory=list)  # human acts (workflows/audit.py)
    deadlines: list[StepDeadline] = field(default_factory=list)  # steps opened, dated by the write

    def put_task(self, spec: TaskSpec) -> None:
        """A task opened or moved: the latest state of each task is written once."""
        self.tasks = [t for t in self.tasks if t.task_id != spec.task_id]
        self.tasks.append(spec)

    def close(self, closure: TaskClosure) -> None:
        self.closed.append(closure)

    def name_rules(self, task_id: str, step: str, rules: tuple[str, ...]) -> None:
        """The rules a decision on `task_id` applied, named on the audit entry of the update that
        decided it (issue 21 §3) — the inbox's `decide`, or a form's own update (a score sheet, a
        review form) whose payload names no task; a payload field, no command, so histories replay."""
        update = workflow.current_update_info()
        for entry in reversed(self.audit):
            if entry.kind != "update":
                continue
            if (update is not None and entry.update_id == update.id) or entry.payload.get("task_id") == task_id:
                entry.rules, entry.step = list(rules), step
                return

    def as_fields(self) -> dict[str, Any]:
        """The outbox as the fields of a `ProcessSync` (and the syncs that extend it)."""
        return {
            "tasks": self.tasks,
            "closed": self.closed,
            "notifications": self.notifications,
            "watchers": self.watchers,
            "audit": self.audit,
            "deadlines": self.deadlines,
        }

    def take(self) -> Outbox:
        taken = Outbox(self.tasks, self.closed, self.notifications, self.watchers, self.audit, self.deadlines)
        self.tasks, self.closed, self.notifications, self.watchers, self.audit, self.deadlines = [], [], [], [], [], []
        return taken


@dataclass
class Lane:
    """A strand of a process that rests on its own: the main line, or one payment form of a deal."""

    settled: bool = False
    moves: int = 0

    def move(self) -> None:
        """Something moved the lane on; a rest that began before this does not settle it."""
        self.settled = False
        self.moves += 1


class Kernel:
    """The outbox, the lanes and the one write of a process workflow."""

    def __init__(self, write: Callable[[Outbox], Awaitable[None]], process: ProcessIdentity | None = None) -> None:
        self.outbox = Outbox()
        self.main = Lane()
        self._write = write
        self._writing = asyncio.Lock()  # one sync at a time: rows are written in the order things happened
        self.in_flight = 0
        self.process = process  # named on the row and the repair task if a write is refused
        self.repair = StoreRepair()
        self.answers: dict[str, DeadlineAnswer] = {}  # step deadlines a write answered, by key

    @staticmethod
    def running() -> Kernel | None:
        """The kernel of the workflow running now (None for a workflow without a process)."""
        kernel = getattr(workflow.instance(), "kernel", None)
        return kernel if isinstance(kernel, Kernel) else None

    def answered(self, deadlines: list[StepDeadline]) -> None:
        """The steps a write dated: their deadlines wait here for the steps' clocks."""
        self.answers.update({d.key: d.answer for d in deadlines if d.answer is not None})

    async def guard(self, body: Coroutine[Any, Any, R]) -> R:
        """Run the workflow's body; an administrator abandoning a refused write ends the process as
        failed, wherever that write was waiting (the main line, an update, a clock)."""
        main = asyncio.create_task(body)
        repair = self.repair
        try:
            await workflow.wait_condition(lambda: main.done() if repair.abandoned is None else repair.answered)
        except asyncio.CancelledError:
            main.cancel()
            raise
        repair.require_not_abandoned()
        return main.result()

    async def stored(self, attempt: Callable[[], Awaitable[R]]) -> R:
        """Run a store step; data the database refuses stops the process for an administrator's
        repair (workflows/repair.py) instead of a retry every ten seconds for ever."""
        while True:
            await self.repair.running()  # a write never overtakes one that waits for its repair
            try:
                result = await attempt()
            except (ActivityError, ApplicationError) as exc:
                reason = refused_data(exc)
                if reason is None or self.process is None:
                    raise
                await self.repair.stop(self.process, reason)
                continue
            self.repair.succeeded()
            return result

    @asynccontextmanager
    async def busy(self) -> AsyncIterator[None]:
        """Work under way outside any lane (a write, a re-plan): a read-your-writes waits for it."""
        self.in_flight += 1
        try:
            yield
        finally:
            self.in_flight -= 1

    async def flush(self) -> None:
        """Write the process as it is now, with everything in the outbox, in one activity."""
        async with self.busy(), self._writing:
            outbox = self.outbox.take()
            await self.stored(lambda: self._write(outbox))

    async def rest(self, lane: Lane | None = None) -> None:
        """The lane waits for a human (or has ended): write, then answer the updates waiting on it."""
        lane = lane or self.main
        moves = lane.moves
        await self.flush()
        if lane.moves == moves:  # an update that arrived meanwhile waits for its own rest
            lane.settled = True

    async def rested(self, lane: Lane | None = None) -> None:
        """Read-your-writes: wait until the lane rests and every write (the clock's too) is done."""
        lane = lane or self.main
        await workflow.wait_condition(lambda: (lane.settled and self.in_flight == 0) or self.repair.shown)
        self.repair.require_running()
