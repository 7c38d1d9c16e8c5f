"""The audit record's writer: called by every sync activity inside its transaction.

A moment of a process becomes rows: the human acts the workflow named (`AuditEntry`), then what
the moment itself shows happened — tasks opened, deadlines re-planned, notifications (reminders,
escalations, CC), the customer created, the process closed. The text is phrased by the same
functions as the Temporal-history view (`domain/history.py`), so both read alike.

The chain is per process, not global: one global chain would make every writer of every process
queue on one row on PostgreSQL, while a process's own writes already come one at a time (the
workflow's kernel writes in order). Writers of one process lock its `audit_heads` row (FOR UPDATE
on PostgreSQL; SQLite has one writer anyway), and `(process_id, event_key)` and
`(process_id, position)` are unique: a retried write appends nothing, and two racing writers
cannot both take a position.

The statements are built once per database and run on the transaction's connection: built anew
through the ORM session per moment, the audit rows were most of a decision's write (issue 9).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from db.models import AuditHead, AuditRecord, CustomerLink, RuleApplication, Task
from domain.audit import AuditEntry, AuditFacts, seal
from domain.china_time import china_iso
from domain.history import (
    HistoryEntry,
    describe_notification,
    describe_rule_applied,
    describe_task_opened,
    describe_update,
)
from domain.rulebook import applications

if TYPE_CHECKING:
    from activities.process_sync import ProcessSync
    from domain.models import ProcessProjection

SYSTEM = "system"


def as_facts(key: str, process_type: str, entry: HistoryEntry, role: str | None = None, **details: Any) -> AuditFacts:
    return AuditFacts(
        event_key=key,
        process_type=process_type,
        occurred_at=entry.at,
        actor=entry.actor[:80],
        role=role[:200] if role else None,
        on_behalf_of=entry.on_behalf_of,
        action=entry.action[:60],
        step=entry.step[:60] if entry.step else None,
        outcome=entry.outcome[:200] if entry.outcome else None,
        reason=entry.comment,
        details={"round": entry.round, **details} if entry.round is not None else details,
    )


class _TaskNow:
    """A task as the database holds it before this moment is applied."""

    def __init__(self, role: str | None, delegated_by: str | None, due_at: datetime | None) -> None:
        self.role, self.delegated_by, self.due_at = role or None, delegated_by, due_at


TASKS = cast(Table, Task.__table__)
HEADS = cast(Table, AuditHead.__table__)
RECORDS = cast(Table, AuditRecord.__table__)
LINKS = cast(Table, CustomerLink.__table__)
APPLICATIONS = cast(Table, RuleApplication.__table__)


@dataclass(frozen=True)
class _Statements:
    tasks_now: Any
    head: Any  # the process's head, created at length 0 if new, locked (ON CONFLICT DO UPDATE)
    known: Any
    insert_records: Any
    insert_applications: Any
    move_head: Any
    customer_link: Any


@cache
def _statements(dialect: str) -> _Statements:
    """Built once per database; values go in as bound parameters."""
    head = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(HEADS).values(
        process_id=bindparam("pid"), length=0, hash=None
    )
    return _Statements(
        tasks_now=select(TASKS.c.task_id, TASKS.c.role, TASKS.c.delegated_by, TASKS.c.due_at).where(
            TASKS.c.task_id.in_(bindparam("ids", expanding=True))
        ),
        head=head.on_conflict_do_update(index_elements=[HEADS.c.process_id], set_={"length": HEADS.c.length}).returning(
            HEADS.c.length, HEADS.c.hash
        ),
        known=select(RECORDS.c.event_key).where(
            RECORDS.c.process_id == bindparam("pid"), RECORDS.c.event_key.in_(bindparam("keys", expanding=True))
        ),
        insert_records=insert(RECORDS),
        insert_applications=insert(APPLICATIONS),
        move_head=update(HEADS)
        .where(HEADS.c.process_id == bindparam("pid"))
        .values(length=bindparam("new_length"), hash=bindparam("new_hash")),
        customer_link=select(LINKS.c.customer_id, LINKS.c.created).where(LINKS.c.process_id == bindparam("pid")),
    )


def _for(session: Session) -> _Statements:
    return _statements(session.get_bind().dialect.name)


def _tasks_now(session: Session, task_ids: set[str]) -> dict[str, _TaskNow]:
    if not task_ids:
        return {}
    rows = session.connection().execute(_for(session).tasks_now, {"ids": list(task_ids)})
    return {task_id: _TaskNow(role, delegated_by, due_at) for task_id, role, delegated_by, due_at in rows}


def _act(entry: AuditEntry, process_type: str, tasks: dict[str, _TaskNow]) -> AuditFacts:
    """A person's act: the start (submitted by the applicant) or an update, rendered as the history does."""
    payload = entry.payload
    person = payload.get("applicant") or payload.get("registered_by") or payload.get("actor") or {}
    roles = ",".join(person.get("roles") or []) or None
    if entry.kind == "rule":
        shown = describe_rule_applied(payload, entry.at)
        named = {"rules": entry.rules} if entry.rules else {}  # the rules the process decides by it
        return as_facts(entry.key, process_type, shown, None, rule=payload, **named)
    if entry.kind == "start":
        shown = HistoryEntry(at=entry.at, actor=person.get("username", "unknown"), action="submitted")
        return as_facts(entry.key, process_type, shown, roles, input=payload)
    task = tasks.get(str(payload.get("task_id") or ""))
    shown = describe_update(entry.name, payload, entry.at, task.delegated_by if task else None)
    if shown.step is None and entry.step is not None:  # a form's update names no step: its decision does
        shown = shown.model_copy(update={"step": entry.step})
    role = task.role if task and task.role else roles
    applied = {"rules": entry.rules} if entry.rules else {}  # issue 21 §3: covered by the row's hash
    return as_facts(entry.key, process_type, shown, role, update=entry.name, request=payload, **applied)


def _same_moment(a: datetime | None, b: datetime | None) -> bool:
    if a is None or b is None:
        return a is b
    return a.replace(tzinfo=a.tzinfo or UTC) == b.replace(tzinfo=b.tzinfo or UTC)


def _customer_facts(
    session: Session, process: ProcessProjection, process_type: str, moment: datetime
) -> list[AuditFacts]:
    """The customer this process created, or linked to because its credit code was on file already.

    A process that only concerns a customer (a complaint, a credit application, a grading) carries
    its id too, but created nothing: its record says nothing about creation (issue 20 item 14)."""
    link = session.connection().execute(_for(session).customer_link, {"pid": process.process_id}).first()
    if link is None:
        return []
    customer_id, created = link
    action = "customer_created" if created else "customer_linked"
    comment = f"customer #{customer_id}" + ("" if created else " (its credit code was on file already)")
    shown = HistoryEntry(at=moment, actor=SYSTEM, action=action, comment=comment)
    return [as_facts(f"customer:{customer_id}", process_type, shown)]


def moment_facts(
    session: Session, sync: ProcessSync, process: ProcessProjection | None, process_type: str
) -> list[AuditFacts]:
    """Everything auditable in one moment, in the order it happened; read before the moment's
    task changes are applied (a task written for the first time opened; a new due date moved)."""
    task_ids = {t.task_id for t in sync.tasks} | {str(e.payload.get("task_id")) for e in sync.audit}
    tasks = _tasks_now(session, task_ids)
    facts = [_act(entry, process_type, tasks) for entry in sorted(sync.audit, key=lambda e: e.seq)]
    moment = process.updated_at if process is not None else datetime.now(UTC)
    for spec in sync.tasks:
        before = tasks.get(spec.task_id)
        role = spec.role.value if spec.role else None
        if before is None and not spec.step.startswith("supervise_"):  # 督办 shows as its escalation
            shown = describe_task_opened(spec.model_dump(mode="json"), spec.created_at)
            facts.append(as_facts(f"task:{spec.task_id}", process_type, shown, role, task_id=spec.task_id))
        elif before is not None and spec.due_at is not None and not _same_moment(before.due_at, spec.due_at):
            was = china_iso(before.due_at) if before.due_at else None
            shown = HistoryEntry(
                at=moment,
                actor=SYSTEM,
                action="deadline_replanned",
                step=spec.step,
                outcome=china_iso(spec.due_at),
                comment=f"re-planned from {was} to {china_iso(spec.due_at)}"
                + (" (still provisional)" if spec.due_provisional else ""),
            )
            key = f"task:{spec.task_id}:due:{spec.due_at.isoformat()}"
            facts.append(as_facts(key, process_type, shown, role, task_id=spec.task_id, previous=was))
    for note in sync.notifications:
        shown = describe_notification(note.model_dump(mode="json"), moment)
        facts.append(as_facts(f"note:{note.notification_id}", process_type, shown, None, recipient=note.recipient))
    if process is not None and process.customer_id is not None:
        facts.extend(_customer_facts(session, process, process_type, moment))
    if process is not None and not process.status.is_open:
        shown = HistoryEntry(at=moment, actor=SYSTEM, action="closed", outcome=process.status.value)
        facts.append(as_facts(f"closed:{process.status.value}", process_type, shown))
    return facts


def append(session: Session, process_id: str, facts: list[AuditFacts]) -> int:
    """Append the facts not yet recorded to the process's chain; returns how many were new."""
    if not facts:
        return 0
    statements, connection = _for(session), session.connection()
    length, last = connection.execute(statements.head, {"pid": process_id}).one()
    keys = [f.event_key for f in facts]
    known = set(connection.scalars(statements.known, {"pid": process_id, "keys": keys}))
    rows = []
    for fact in facts:
        if fact.event_key in known:
            continue
        known.add(fact.event_key)
        length += 1
        digest = seal(process_id, length, fact, last)
        rows.append(
            {**fact.model_dump(), "process_id": process_id, "position": length, "prev_hash": last, "hash": digest}
        )
        last = digest
    if rows:
        connection.execute(statements.insert_records, rows)
        evidence = _evidence(rows)
        if evidence:
            connection.execute(statements.insert_applications, evidence)
        connection.execute(statements.move_head, {"pid": process_id, "new_length": length, "new_hash": last})
    return len(rows)


def _evidence(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rule_applications index of the new rows (issue 21 §2): written only with its audit row,
    so a retried write, which appends no row, indexes nothing twice."""
    return [
        {
            "rule_id": applied.rule_id,
            "process_id": row["process_id"],
            "process_type": row["process_type"],
            "position": row["position"],
            "event_key": row["event_key"],
            "step": row["step"],
            "version": applied.version,
            "applied_at": row["occurred_at"],
        }
        for row in rows
        for applied in applications(row["details"])
    ]


def record_moment(session: Session, sync: ProcessSync, process: ProcessProjection | None) -> None:
    """The moment's audit rows, in the caller's transaction (before its task changes are applied)."""
    process_id = next(
        (pid for pid in [process.process_id if process else None, *(e.process_id for e in sync.audit)] if pid),
        None,
    ) or next((t.process_id for t in sync.tasks), None)
    if process_id is None:
        return
    process_type = process.process_type if process else sync.audit[0].workflow_type if sync.audit else ""
    append(session, process_id, moment_facts(session, sync, process, process_type))
