"""What a candidate rule change would reach, before anyone approves it (issue 21 §4).

The answer lists the open processes and the customers a change would touch if it applied to them,
and which of them would then fail a rule (`would_fail`, each reason naming the rule's id and
article). Nothing changes: running processes keep the version they pinned at their start
(新老划断); the answer is for the general manager who approves the change knowing its reach.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from pydantic import BaseModel, Field

from domain.credit import CreditPolicyIn
from domain.documents import Document, DocumentType, document_problems
from domain.grading import Grade, GradingConfigIn, Scores, grade_for, weighted_total


class WhatIfProcess(BaseModel):
    """An open process the change would touch, and what it would then fail (empty: passes)."""

    process_id: str
    workflow_id: str
    process_type: str
    subject: str
    customer_id: int | None = None
    status: str
    current_step: str | None = None
    would_fail: list[str] = Field(default_factory=list)


class WhatIfCustomer(BaseModel):
    """A customer the change would touch, and what they would then fail (empty: passes)."""

    customer_id: int
    name: str
    would_fail: list[str] = Field(default_factory=list)


class WhatIfAnswer(BaseModel):
    """The reach of one candidate change of one versioned rule; nothing was changed to find it."""

    rule: str  # domain.rule_change.RuleKind
    effective_from: date
    in_force_version: int | None = None  # the version the candidate would replace
    processes: list[WhatIfProcess] = Field(default_factory=list)
    customers: list[WhatIfCustomer] = Field(default_factory=list)
    summary: str = ""


CANDIDATE = "candidate"  # how a reason names the version not yet drafted or approved


def onboarding_would_fail(documents: Iterable[Document], candidate: Iterable[DocumentType], on: date) -> list[str]:
    """What an onboarding's application lacks under a candidate list (000 §6, rule `000-6-documents`):
    each document of the list missing, or no longer in force on `on`. READING: `on` is the day the
    candidate would take effect — a document in force today but expired by then would fail it. The
    delegate's power of attorney is not a list member (domain.documents.OnboardingDocumentsIn)."""
    problems = document_problems(documents, candidate, on)
    return [f"000 §6 (onboarding_documents {CANDIDATE}): {problem}" for problem in problems]


def credit_would_fail(limit: Decimal, term_days: int, grade: Grade, candidate: CreditPolicyIn) -> list[str]:
    """What a credit (granted, or asked by an open application) exceeds under a candidate policy:
    the ceiling of its grade, above which only the general manager grants (001 §3), and the
    longest term (001 信用管理措施 §1-§2)."""
    reasons = []
    ceiling = candidate.limit_by_grade[grade]
    if limit > ceiling:
        reasons.append(
            f"001 §3 (credit_policy {CANDIDATE}): limit {limit:.2f} exceeds the ceiling {ceiling:.2f} of grade "
            f"{grade.value}; above it only the general manager grants"
        )
    if term_days > candidate.max_term_days:
        reasons.append(
            f"001 信用管理措施 §1-§2 (credit_policy {CANDIDATE}): term of {term_days} days exceeds the longest "
            f"term of {candidate.max_term_days} days"
        )
    return reasons


def grading_would_fail(scores: Scores, graded: Grade, candidate: GradingConfigIn) -> list[str]:
    """The grade the customer's last approved score sheet would give under candidate weights and
    thresholds (001 §1), when it differs from the grade on file."""
    total = weighted_total(scores, candidate.weights)
    regraded = grade_for(total, candidate.thresholds)
    if regraded is graded:
        return []
    return [
        f"001 §1 (grading_rule {CANDIDATE}): the last scores ({total}) would grade {regraded.value}, not {graded.value}"
    ]
