"""Market development (000 §12, §15): big-customer meetings, monthly development plans, research notes."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.models.base import Base

# --- issue 12 §3: big-customer meetings, development plans, research notes (000 §12, §15) ---------


class BigCustomerMeeting(Base):
    """One quarter's big-customer meeting (000 §15, §5 (一)6) and its minutes, once recorded."""

    __tablename__ = "big_customer_meetings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    quarter: Mapped[str] = mapped_column(String(6), index=True)  # YYYYQn
    workflow_id: Mapped[str] = mapped_column(String(80), unique=True)
    status: Mapped[str] = mapped_column(String(20))  # running | approved (minutes recorded) | failed
    opened_at: Mapped[datetime] = mapped_column()
    due_at: Mapped[datetime | None] = mapped_column()
    held_on: Mapped[date | None] = mapped_column(Date)
    minutes: Mapped[str | None] = mapped_column(Text)
    follow_ups: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str | None] = mapped_column(String(80))
    recorded_at: Mapped[datetime | None] = mapped_column()
    attendees: Mapped[list[MeetingAttendee]] = relationship(lazy="selectin", order_by="MeetingAttendee.id")


class MeetingAttendee(Base):
    __tablename__ = "meeting_attendees"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("big_customer_meetings.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    organisation: Mapped[str] = mapped_column(String(200))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))


class DevelopmentPlan(Base):
    """A month's market development plan (000 §12), approved before the month starts."""

    __tablename__ = "development_plans"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[str] = mapped_column(String(7), index=True)  # YYYY-MM
    author: Mapped[str] = mapped_column(String(80), index=True)
    unit_code: Mapped[str | None] = mapped_column(String(40))
    focus: Mapped[str] = mapped_column(Text)
    workflow_id: Mapped[str] = mapped_column(String(80), unique=True)
    status: Mapped[str] = mapped_column(String(20))  # running | approved | rejected | returned | withdrawn
    submitted_at: Mapped[datetime] = mapped_column()
    decided_by: Mapped[str | None] = mapped_column(String(80))
    decided_at: Mapped[datetime | None] = mapped_column()
    assessed_by: Mapped[str | None] = mapped_column(String(80))  # 月底考核兑现
    assessed_at: Mapped[datetime | None] = mapped_column()
    targets: Mapped[list[DevelopmentTarget]] = relationship(lazy="selectin", order_by="DevelopmentTarget.id")


class DevelopmentTarget(Base):
    """One indicator of a plan for one salesperson (000 §12 分解到具体销售人员), and its actual."""

    __tablename__ = "development_targets"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("development_plans.id", ondelete="CASCADE"), index=True)
    salesperson: Mapped[str] = mapped_column(String(80), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    prospect: Mapped[str | None] = mapped_column(String(200))
    indicator: Mapped[str] = mapped_column(String(200))
    target: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    actual: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))


class ResearchNote(Base):
    """A salesperson's monthly research notes (000 §15, §12), approved by the marketing manager."""

    __tablename__ = "research_notes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[str] = mapped_column(String(7), index=True)
    author: Mapped[str] = mapped_column(String(80), index=True)
    unit_code: Mapped[str | None] = mapped_column(String(40))
    area: Mapped[str] = mapped_column(String(200))
    findings: Mapped[str] = mapped_column(Text)
    customers_contacted: Mapped[int] = mapped_column(Integer)
    potential_customers: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # [{name, note}]
    workflow_id: Mapped[str] = mapped_column(String(80), unique=True)
    status: Mapped[str] = mapped_column(String(20))
    submitted_at: Mapped[datetime] = mapped_column()
    decided_by: Mapped[str | None] = mapped_column(String(80))
    decided_at: Mapped[datetime | None] = mapped_column()
