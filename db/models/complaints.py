"""Complaints (002 rule 2): each complaint's projection and the monthly statistics."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base


class Complaint(Base):
    """Projection of a complaint process (002 rule 2 §15, §17) for lists, filters and statistics."""

    __tablename__ = "complaints"
    process_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    workflow_id: Mapped[str] = mapped_column(String(200))
    customer_id: Mapped[int | None] = mapped_column(Integer)
    customer_name: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(20))
    category: Mapped[str] = mapped_column(String(30))
    severity: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(Text)
    unit_code: Mapped[str | None] = mapped_column(String(40))
    registered_by: Mapped[str] = mapped_column(String(80))
    received_at: Mapped[datetime] = mapped_column()
    month: Mapped[str] = mapped_column(String(7), index=True)  # YYYY-MM of receipt, Asia/Shanghai
    due_at: Mapped[datetime] = mapped_column()
    due_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20))
    stage: Mapped[str] = mapped_column(String(30))
    handler: Mapped[str | None] = mapped_column(String(80))
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    extended: Mapped[bool] = mapped_column(Boolean, default=False)
    closed_at: Mapped[datetime | None] = mapped_column()
    closed_on_time: Mapped[bool | None] = mapped_column(Boolean)
    details: Mapped[dict[str, object]] = mapped_column(JSON)  # record, report, verdict, reply
    updated_at: Mapped[datetime] = mapped_column()

    __table_args__ = (Index("ix_complaints_status_overdue", "status", "overdue"),)


class ComplaintStats(Base):
    """Monthly complaint statistics (002 rule 2 §27: by the 10th of the following month)."""

    __tablename__ = "complaint_stats"
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    data: Mapped[dict[str, object]] = mapped_column(JSON)
    generated_at: Mapped[datetime] = mapped_column()
