"""One moment of a process as its sync activity writes it: the shared input of every store.

Its own module, below the stores and the audit writer that read it (`process_store`,
`audit_store` and the per-process stores that extend it), so none of them imports another for it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Self

from pydantic import BaseModel, Field

from activities.calendar import StepDeadline
from activities.notifications import NotificationSpec
from domain.audit import AuditEntry
from domain.models import ProcessProjection, TaskClosure, TaskSpec, WatcherSpec


class ProcessSync(BaseModel):
    """Everything one moment of a process writes, in one transaction: the process row (None when it
    did not move), the tasks opened or moved, the tasks closed, notifications and CC entries."""

    process: ProcessProjection | None = None
    tasks: list[TaskSpec] = Field(default_factory=list)
    closed: list[TaskClosure] = Field(default_factory=list)
    notifications: list[NotificationSpec] = Field(default_factory=list)
    watchers: list[WatcherSpec] = Field(default_factory=list)
    audit: list[AuditEntry] = Field(default_factory=list)  # the human acts of the moment
    deadlines: list[StepDeadline] = Field(default_factory=list)  # steps opened: answered by the write

    def projected_process(self) -> ProcessProjection | None:
        """The process row this moment writes (a sync that carries it elsewhere says where)."""
        return self.process

    def step_due(self, shown: datetime | None) -> datetime | None:
        """A step's due date that a row of its own copies: as the workflow showed it, else as this
        write counted it (the write that opens a step dates it, `StepDeadline`)."""
        if shown is not None:
            return shown
        return min((d.answer.deadline for d in self.deadlines if d.answer is not None), default=None)

    def echo(self) -> Self:
        """The moment as the activity answers it (a local activity's marker shows it in Temporal's
        history): without the audit entries, which the database keeps, so the start input and
        update arguments already in the history are not stored there twice."""
        return self.model_copy(update={"audit": []})
