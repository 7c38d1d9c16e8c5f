"""Customer grading A/B/C (001 §1, 000 §11): the clocks that run it and the approved score sheets.
The grading rule's versions live with the other versioned rules (db/models/rules.py)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base

# --- issue 12 §2-§3: grading A/B/C (001 §1, 000 §11) and visits (000 §12, §15; 002 rule 7) --------


class GradingClock(Base):
    """A customer whose grading clock runs (workflows/grading.py): the daily sweep starts the rest."""

    __tablename__ = "grading_clocks"
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), primary_key=True, autoincrement=False)
    workflow_id: Mapped[str] = mapped_column(String(80))
    started_at: Mapped[datetime] = mapped_column()


class CustomerGrading(Base):
    """The score sheet of one grading round, written when the business VP approves (001 §1)."""

    __tablename__ = "customer_gradings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    process_id: Mapped[str] = mapped_column(String(64), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    period: Mapped[str] = mapped_column(String(20))
    scores: Mapped[dict[str, str]] = mapped_column(JSON)  # indicator -> 0-100 (decimal string)
    weighted_total: Mapped[Decimal] = mapped_column(Numeric(7, 2))
    grade: Mapped[str] = mapped_column(String(1))
    config_version: Mapped[int] = mapped_column(ForeignKey("grading_configs.version"))
    scored_by: Mapped[str] = mapped_column(String(80))
    scored_at: Mapped[datetime] = mapped_column()
    approved_by: Mapped[str] = mapped_column(String(80))
    approved_at: Mapped[datetime] = mapped_column()
