"""The writes of a failed process: marked `failed` with its reason, the admin's repair task and
notification, and the admin's decision.

They run after the database refused a process's write, so they must succeed where that write
failed: they touch only the process row's status and failure columns (inserting a minimal row if
the process was never written) and one task and one notification, all made storable first.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from pydantic import BaseModel
from sqlalchemy import Table, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session
from temporalio import activity

from activities.audit_store import append, as_facts
from activities.data_errors import storable
from activities.notifications import Channel, NotificationSpec, deliver_all
from activities.process_store import _insert, add_notifications, apply_closures, put_tasks
from db.models import Process, Task
from db.session import run_write
from domain.history import HistoryEntry, describe_update
from domain.models import ProcessStatus, TaskClosure, TaskSpec
from domain.repair import RepairAction

PROCESSES = cast(Table, Process.__table__)
TASKS = cast(Table, Task.__table__)


class ProcessFailure(BaseModel):
    """A process stopped by a refused write: who it is (to insert its row if it never was written),
    why it stopped, and the repair task and notification for the administrators."""

    process_id: str
    workflow_id: str
    process_type: str
    subject: str
    applicant: str
    unit_code: str | None = None
    started_at: datetime
    reason: str
    failed_at: datetime
    task: TaskSpec
    notification: NotificationSpec


class RepairRecord(BaseModel):
    """An administrator's decision on a failed process, with who, when and why."""

    process_id: str
    process_type: str
    task_id: str
    action: RepairAction
    decided_by: str
    decided_at: datetime
    reason: str
    failure_reason: str


def _clean(value: Any, limit: int) -> Any:
    return storable(value, limit) if isinstance(value, str) else value


def storable_task(task: TaskSpec) -> TaskSpec:
    """The repair task with every text field storable (its subject comes from the refused data)."""
    limits = {"subject": 200, "step_title": 200, "assignee": 80, "unit": 40, "workflow_id": 200}
    return task.model_copy(update={k: _clean(getattr(task, k), n) for k, n in limits.items()})


def storable_note(note: NotificationSpec) -> NotificationSpec:
    return note.model_copy(update={"subject": storable(note.subject, 300), "body": storable(note.body, 2000)})


def mark_failed(session: Session, failure: ProcessFailure) -> None:
    """Status and reason on the process row; `updated_at` stays, so the retried write of a resumed
    process (an older projection than this moment) still lands."""
    values = {
        "process_id": failure.process_id,
        "workflow_id": storable(failure.workflow_id, 200),
        "process_type": storable(failure.process_type, 40),
        "status": ProcessStatus.failed.value,
        "current_step": None,
        "subject": storable(failure.subject, 200),
        "applicant": storable(failure.applicant, 80),
        "unit_code": _clean(failure.unit_code, 40),
        "started_at": failure.started_at,
        "updated_at": failure.started_at,
        "failure_reason": storable(failure.reason, 500),
        "failed_at": failure.failed_at,
    }
    insert = _insert(session, PROCESSES)
    changed = ("status", "failure_reason", "failed_at")
    session.execute(
        insert.values(values).on_conflict_do_update(
            index_elements=[PROCESSES.c.process_id], set_={key: insert.excluded[key] for key in changed}
        )
    )


def audit_failure(session: Session, failure: ProcessFailure) -> None:
    """The failure in the process's audit record, which outlives Temporal's history."""
    shown = HistoryEntry(
        at=failure.failed_at,
        actor="system",
        action="store_failed",
        outcome=ProcessStatus.failed.value,
        comment=storable(failure.reason, 500),
    )
    append(session, failure.process_id, [as_facts(f"failed:{failure.task.task_id}", failure.process_type, shown)])


def audit_repair(session: Session, record: RepairRecord) -> None:
    """Who decided, when and why, rendered as the Temporal history shows the `repair` update."""
    payload = {"actor": {"username": record.decided_by}, "action": record.action.value, "reason": record.reason}
    shown = describe_update("repair", payload, record.decided_at)
    shown.comment = storable(shown.comment or "", 2000)
    facts = as_facts(f"repair:{record.task_id}", record.process_type, shown, role="admin")
    append(session, record.process_id, [facts])


def record_repair(session: Session, record: RepairRecord) -> None:
    """The repair task closes with the decision. Resume: the failure is cleared (the retried write
    sets the status). Abandon: the process stays failed, with why, and its open tasks leave the inboxes."""
    comment = storable(f"{record.action.value}: {record.reason}", 2000)
    closure = TaskClosure(
        task_id=record.task_id,
        status="done",
        decided_by=record.decided_by,
        decided_at=record.decided_at,
        comment=comment,
    )
    apply_closures(session, [closure])
    row = PROCESSES.c.process_id == record.process_id
    if record.action is RepairAction.resume:
        session.execute(update(PROCESSES).where(row).values(failure_reason=None, failed_at=None))
        return
    reason = f"abandoned by {record.decided_by}: {record.reason} (write refused: {record.failure_reason})"
    session.execute(update(PROCESSES).where(row).values(failure_reason=storable(reason, 500)))
    session.execute(
        update(TASKS)
        .where(TASKS.c.process_id == record.process_id, TASKS.c.status == "open")
        .values(status="cancelled", decided_at=record.decided_at, decided_by=record.decided_by)
    )


class FailureStore:
    """Activities of a failed process; receives its sessionmaker so tests hand in a real one."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], channels: list[Channel] | None = None) -> None:
        self.sessions = sessions
        self.channels = channels or []

    @activity.defn
    async def mark_process_failed(self, failure: ProcessFailure) -> ProcessFailure:
        """The process is shown failed, the admins get the repair task and a notification."""
        task, note = storable_task(failure.task), storable_note(failure.notification)

        def write(session: Session) -> list[NotificationSpec]:
            mark_failed(session, failure)
            audit_failure(session, failure)
            put_tasks(session, [task])
            return add_notifications(session, [note], self.channels)

        await deliver_all(await run_write(self.sessions, write), self.channels)
        return failure

    @activity.defn
    async def record_repair(self, record: RepairRecord) -> RepairRecord:
        def write(session: Session) -> None:
            audit_repair(session, record)
            record_repair(session, record)

        await run_write(self.sessions, write)
        return record
