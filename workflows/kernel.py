"""What every process workflow shares: one write per moment, and read-your-writes for updates.

A workflow collects what a moment changes (tasks opened or moved, tasks closed, notifications,
CC entries) in the outbox; `flush` hands all of it, with the process row, to the workflow's one
sync activity. An update that changes the process `unsettle`s its lane and answers only once the
lane `rest`s again, so the API's answer names the real next step.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.notifications import NotificationSpec
    from domain.models import TaskClosure, TaskSpec, WatcherSpec


@dataclass
class Outbox:
    """Writes waiting for the next sync; each leaves the outbox exactly once."""

    tasks: list[TaskSpec] = field(default_factory=list)  # opened, or changed (re-written by task id)
    closed: list[TaskClosure] = field(default_factory=list)
    notifications: list[NotificationSpec] = field(default_factory=list)
    watchers: list[WatcherSpec] = field(default_factory=list)

    def put_task(self, spec: TaskSpec) -> None:
        """A task opened or moved: the latest state of each task is written once."""
        self.tasks = [t for t in self.tasks if t.task_id != spec.task_id]
        self.tasks.append(spec)

    def close(self, closure: TaskClosure) -> None:
        self.closed.append(closure)

    def as_fields(self) -> dict[str, Any]:
        """The outbox as the fields of a `ProcessSync` (and the syncs that extend it)."""
        return {
            "tasks": self.tasks,
            "closed": self.closed,
            "notifications": self.notifications,
            "watchers": self.watchers,
        }

    def take(self) -> Outbox:
        taken = Outbox(self.tasks, self.closed, self.notifications, self.watchers)
        self.tasks, self.closed, self.notifications, self.watchers = [], [], [], []
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

    def __init__(self, write: Callable[[Outbox], Awaitable[None]]) -> None:
        self.outbox = Outbox()
        self.main = Lane()
        self._write = write
        self._writing = asyncio.Lock()  # one sync at a time: rows are written in the order things happened
        self.in_flight = 0

    async def flush(self) -> None:
        """Write the process as it is now, with everything in the outbox, in one activity."""
        self.in_flight += 1
        try:
            async with self._writing:
                await self._write(self.outbox.take())
        finally:
            self.in_flight -= 1

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
        await workflow.wait_condition(lambda: lane.settled and self.in_flight == 0)
