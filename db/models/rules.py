"""The versioned rules a rule-change process approves (domain/rule_change.py): the grading rule, the
credit policy, the onboarding document list and the step deadlines — one row per version."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base


class GradingConfig(Base):
    """A version of the grading rule (weights, thresholds), in force from `effective_from` until the
    next version's date. The seed lost the numbers (P6): an administrator sets them; every version
    is kept, so a score sheet names the version it was computed with."""

    __tablename__ = "grading_configs"
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    effective_from: Mapped[date] = mapped_column(Date, index=True)
    weights: Mapped[dict[str, str]] = mapped_column(JSON)  # indicator -> percent (decimal string)
    thresholds: Mapped[dict[str, str]] = mapped_column(JSON)  # {"A": lowest total, "B": lowest total}
    changed_by: Mapped[str] = mapped_column(String(80))
    changed_at: Mapped[datetime] = mapped_column()
    reason: Mapped[str] = mapped_column(String(500))
    # the rule-change process the general manager approved it in (domain/rule_change.py); None: seeded
    process_id: Mapped[str | None] = mapped_column(String(64), unique=True)


class CreditPolicy(Base):
    """A version of the credit policy (limit ceilings per grade, longest term, risk thresholds,
    collection deadline), in force from `effective_from`; revised at year end (001 信用审核)."""

    __tablename__ = "credit_policies"
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    effective_from: Mapped[date] = mapped_column(Date, index=True)
    limit_by_grade: Mapped[dict[str, str]] = mapped_column(JSON)  # grade -> ceiling (decimal string)
    max_term_days: Mapped[int] = mapped_column(Integer)
    risk: Mapped[dict[str, Any]] = mapped_column(JSON)  # domain.credit.RiskRules
    collection_working_days: Mapped[int] = mapped_column(Integer)
    changed_by: Mapped[str] = mapped_column(String(80))
    changed_at: Mapped[datetime] = mapped_column()
    reason: Mapped[str] = mapped_column(String(500))
    # the rule-change process the general manager approved it in (domain/rule_change.py); None: seeded
    process_id: Mapped[str | None] = mapped_column(String(64), unique=True)


class OnboardingDocumentList(Base):
    """A version of the documents an applicant for onboarding shows (000 §6), in force from
    `effective_from`; an onboarding pins the version in force at its start (domain/rule_change.py)."""

    __tablename__ = "onboarding_document_lists"
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    effective_from: Mapped[date] = mapped_column(Date, index=True)
    documents: Mapped[list[str]] = mapped_column(JSON)  # domain.documents.DocumentType values, in order
    changed_by: Mapped[str] = mapped_column(String(80))
    changed_at: Mapped[datetime] = mapped_column()
    reason: Mapped[str] = mapped_column(String(500))
    # the rule-change process the general manager approved it in; None: seeded by migration 0027
    process_id: Mapped[str | None] = mapped_column(String(64), unique=True)


class StepDeadlineVersion(Base):
    """A version of one process type's step deadlines (issue 21 §3; domain/step_deadlines.py), in
    force from `effective_from` for processes started from that China day on. No row for a type:
    its chain as declared. Approved versions only, each naming its rule-change process."""

    __tablename__ = "step_deadline_versions"
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    process_type: Mapped[str] = mapped_column(String(40))
    effective_from: Mapped[date] = mapped_column(Date)
    steps: Mapped[dict[str, Any]] = mapped_column(JSON)  # step key -> domain.step_deadlines.StepTiming
    changed_by: Mapped[str] = mapped_column(String(80))
    changed_at: Mapped[datetime] = mapped_column()
    reason: Mapped[str] = mapped_column(String(500))
    process_id: Mapped[str | None] = mapped_column(String(64), unique=True)

    __table_args__ = (Index("ix_step_deadline_versions_in_force", "process_type", "effective_from"),)
