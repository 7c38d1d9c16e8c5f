"""The audit record: the hash-chained rows of each process, their heads, and the rule-application index."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base


class AuditRecord(Base):
    """Append-only: who did what to a process, when, why, with what outcome; written by the activity
    that projects the same moment, in its transaction. `position` counts the process's rows from 1;
    `hash` seals the row's content and `prev_hash` (domain/audit.py), so an edit, a deletion or a
    reordering breaks the chain. Nothing updates or deletes these rows."""

    __tablename__ = "audit_records"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    process_id: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer)
    event_key: Mapped[str] = mapped_column(String(120))  # deterministic: a retried write finds it
    process_type: Mapped[str] = mapped_column(String(40))
    occurred_at: Mapped[datetime] = mapped_column()
    actor: Mapped[str] = mapped_column(String(80))
    role: Mapped[str | None] = mapped_column(String(200))
    on_behalf_of: Mapped[str | None] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(60))
    step: Mapped[str | None] = mapped_column(String(60))
    outcome: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        UniqueConstraint("process_id", "event_key", name="uq_audit_records_event"),
        UniqueConstraint("process_id", "position", name="uq_audit_records_position"),
    )


class RuleApplication(Base):
    """An index of the audit record (issue 21 §2-§3): each row names a catalogue rule an audit row
    shows applied (a step's decision, or a pinned rule version), written with that row in the same
    transaction. The audit row, sealed in its chain, is the evidence; this finds it by rule."""

    __tablename__ = "rule_applications"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule_id: Mapped[str] = mapped_column(String(80))
    process_id: Mapped[str] = mapped_column(String(64))
    process_type: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(Integer)  # the audit row's place in its process's chain
    event_key: Mapped[str] = mapped_column(String(120))
    step: Mapped[str | None] = mapped_column(String(60))
    version: Mapped[int | None] = mapped_column(Integer)  # a pinned rule version
    applied_at: Mapped[datetime] = mapped_column()

    __table_args__ = (
        UniqueConstraint("rule_id", "process_id", "event_key", name="uq_rule_applications_row"),
        Index("ix_rule_applications_rule_applied", "rule_id", "applied_at"),
    )


class AuditHead(Base):
    """The end of each process's chain: its length and last hash. Writers of a process lock this
    row (one writer at a time per process, none across processes), and a deleted last row shows as
    a chain shorter than its head."""

    __tablename__ = "audit_heads"
    process_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    length: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str | None] = mapped_column(String(64))
