"""Projections of the running processes (Temporal holds their truth): processes, their inbox tasks,
those copied on them, and every notification sent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base


class Process(Base):
    """Projection of one workflow run: what auditors list and filter."""

    __tablename__ = "processes"
    process_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    workflow_id: Mapped[str] = mapped_column(String(200))
    process_type: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20))
    current_step: Mapped[str | None] = mapped_column(String(60))
    subject: Mapped[str] = mapped_column(String(200))
    subject_key: Mapped[str | None] = mapped_column(String(60))
    applicant: Mapped[str] = mapped_column(String(80))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    unit_code: Mapped[str | None] = mapped_column(String(40))  # the unit the process acts for (000 §5)
    started_at: Mapped[datetime] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column()
    # A write the database refused (activities/process_failures.py): why, and since when.
    failure_reason: Mapped[str | None] = mapped_column(String(500))
    failed_at: Mapped[datetime | None] = mapped_column()

    __table_args__ = (
        Index("ix_processes_type_status", "process_type", "status"),
        Index("ix_processes_applicant", "applicant", "started_at"),
        Index("ix_processes_subject_key", "subject_key"),
        Index("ix_processes_started_at", "started_at", "process_id"),  # the search's order (migration 0031)
        Index("ix_processes_unit_status", "unit_code", "status", "process_type"),  # a unit's open cases (0031)
    )


_ROLE_PINS = ("status", "role", "unit_code", "assignee", "claimed_by")
_INBOX_COVERED = ("process_type", "overdue", "step", "subject")


class Task(Base):
    """Inbox projection: one row per human step, written only by activities."""

    __tablename__ = "tasks"
    task_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    process_id: Mapped[str] = mapped_column(String(64), index=True)
    workflow_id: Mapped[str] = mapped_column(String(200))
    process_type: Mapped[str] = mapped_column(String(40))
    step: Mapped[str] = mapped_column(String(60))
    step_title: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(40))
    unit_code: Mapped[str | None] = mapped_column(String(40))
    # The unit of the case it serves (processes.unit_code, fixed at the start), copied when the task
    # is written: a head-office seat's task counts under it on the dashboard, with no join (0034).
    case_unit: Mapped[str | None] = mapped_column(String(40))
    unit_parents: Mapped[bool] = mapped_column(Boolean, default=False)  # holders in the units above may act too
    assignee: Mapped[str | None] = mapped_column(String(80))
    on_behalf_of: Mapped[str | None] = mapped_column(String(80))  # the absent user a deputy stands in for
    delegated_by: Mapped[str | None] = mapped_column(String(80))  # 委托: the task comes back to this user
    claimed_by: Mapped[str | None] = mapped_column(String(80))  # a role task one holder took for themself
    subject: Mapped[str] = mapped_column(String(200))
    round: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(20))  # open | done | cancelled
    created_at: Mapped[datetime] = mapped_column()
    due_at: Mapped[datetime | None] = mapped_column()
    due_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    decided_at: Mapped[datetime | None] = mapped_column()
    decided_by: Mapped[str | None] = mapped_column(String(80))
    outcome: Mapped[str | None] = mapped_column(String(20))
    comment: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        # The inbox (migration 0005): per branch of "mine", the columns it pins, then the page order,
        # then (due order) what the counts and filters read, so neither visits the table.
        Index("ix_tasks_inbox_role", *_ROLE_PINS, "due_at", "task_id", *_INBOX_COVERED),
        Index("ix_tasks_inbox_assignee", "status", "assignee", "due_at", "task_id", *_INBOX_COVERED),
        Index("ix_tasks_inbox_claimed", "status", "claimed_by", "due_at", "task_id", "assignee", *_INBOX_COVERED),
        Index("ix_tasks_inbox_role_age", *_ROLE_PINS, "created_at", "task_id"),
        Index("ix_tasks_inbox_assignee_age", "status", "assignee", "created_at", "task_id"),
        Index("ix_tasks_provisional", "status", "due_provisional"),
        Index("ix_tasks_decided_by", "decided_by", "decided_at", "task_id"),  # 已办: the workbench (migration 0028)
        # The dashboard: a month's decisions (migration 0031) and the late open tasks (0034), each covered.
        Index("ix_tasks_decided_at", "decided_at", "process_type", "step", "created_at", "unit_code", "case_unit"),
        Index("ix_tasks_late", "status", "overdue", "due_at", "unit_code", "case_unit", "process_type", "step"),
    )


class ProcessWatcher(Base):
    """抄送/知会: a user or a role copied on a process: notified, may read it, holds no task."""

    __tablename__ = "process_watchers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    watcher_id: Mapped[str] = mapped_column(String(80), unique=True)  # idempotency on retries
    process_id: Mapped[str] = mapped_column(String(64), index=True)
    username: Mapped[str | None] = mapped_column(String(80), index=True)
    role: Mapped[str | None] = mapped_column(String(40), index=True)
    added_by: Mapped[str] = mapped_column(String(80))
    step: Mapped[str | None] = mapped_column(String(60))
    added_at: Mapped[datetime] = mapped_column()


class Notification(Base):
    """Every notification sent, whatever the channel: the embedded default is this table."""

    __tablename__ = "notifications"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notification_id: Mapped[str] = mapped_column(String(80), unique=True)  # idempotency on retries
    process_id: Mapped[str | None] = mapped_column(String(64), index=True)
    recipient_role: Mapped[str | None] = mapped_column(String(40))
    recipient: Mapped[str | None] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    channels: Mapped[str] = mapped_column(String(100), default="database")
    created_at: Mapped[datetime] = mapped_column()

    __table_args__ = (Index("ix_notifications_recipient", "recipient_role", "recipient"),)
