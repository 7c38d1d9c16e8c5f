"""Customer visits (000 §12, §15; 002 rule 7): monthly visit plans and each visit with its report."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.models.base import Base


class VisitPlan(Base):
    """A salesperson's monthly visit plan (000 §12, P9), approved by the marketing manager."""

    __tablename__ = "visit_plans"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[str] = mapped_column(String(7), index=True)  # YYYY-MM
    salesperson: Mapped[str] = mapped_column(String(80), index=True)
    unit_code: Mapped[str | None] = mapped_column(String(40))
    workflow_id: Mapped[str] = mapped_column(String(80), unique=True)
    status: Mapped[str] = mapped_column(String(20))  # running | approved | rejected | returned | withdrawn
    submitted_at: Mapped[datetime] = mapped_column()
    decided_by: Mapped[str | None] = mapped_column(String(80))
    decided_at: Mapped[datetime | None] = mapped_column()
    visits: Mapped[list[Visit]] = relationship(lazy="selectin", order_by="Visit.planned_on")


class Visit(Base):
    """One planned visit and its report, due 2 working days after the visit (002 rule 7)."""

    __tablename__ = "visits"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("visit_plans.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    planned_on: Mapped[date] = mapped_column(Date)
    purpose: Mapped[str] = mapped_column(String(500))
    report_due_at: Mapped[datetime | None] = mapped_column()
    visited_on: Mapped[date | None] = mapped_column(Date)
    summary: Mapped[str | None] = mapped_column(Text)
    findings: Mapped[str | None] = mapped_column(Text)
    reported_by: Mapped[str | None] = mapped_column(String(80))
    reported_at: Mapped[datetime | None] = mapped_column()
