"""What a candidate rule change would reach, before anyone approves it (issue 21 §4).

The answer lists the open processes and the customers a change would touch if it applied to them,
and which of them would then fail a rule (`would_fail`, each reason naming the rule's id and
article). Nothing changes: running processes keep the version they pinned at their start
(新老划断); the answer is for the general manager who approves the change knowing its reach.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, Field

from domain.calendar import WorkingCalendar
from domain.china_time import china_iso, in_china
from domain.credit import CreditPolicyIn
from domain.credit_application import OVER_LIMIT_PROCESS
from domain.credit_review import CREDIT_REVIEW_CHAIN
from domain.documents import DOCUMENT_TITLES, Document, DocumentType, expired_documents
from domain.grading import GRADING_CHAIN, Grade, GradingConfigIn, Scores, grade_for, weighted_total
from domain.rule_change import RULE_CITATION, RuleKind
from domain.step_deadlines import StepTiming


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
    # 000 §6 validity, a rule apart from the list: a listed document out of force on the effective date
    would_expire: list[str] = Field(default_factory=list)
    unjudged: str | None = None  # why the record does not let this process be judged: check it by hand


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
    unreadable_processes: int = 0  # reached, but the asker may not read them: counted, never listed
    unreadable_customers: int = 0
    summary: str = ""


CANDIDATE = "candidate"  # how a reason names the version not yet drafted or approved


def onboarding_would_fail(documents: Iterable[Document], candidate: Iterable[DocumentType]) -> list[str]:
    """The documents of a candidate list an onboarding's application lacks (000 §6, rule
    `000-6-documents`): exactly those, nothing else. READING: "lacking" is the list's own rule; a
    listed document present but out of force by the effective date breaks another rule (000 §6
    validity) and is told apart (`onboarding_would_expire`). The delegate's power of attorney is
    not a list member (domain.documents.OnboardingDocumentsIn)."""
    present = {document.type for document in documents}
    return [
        f"000 §6 (onboarding_documents {CANDIDATE}): missing document: {doc_type.value} ({DOCUMENT_TITLES[doc_type]})"
        for doc_type in candidate
        if doc_type not in present
    ]


def onboarding_would_expire(documents: Iterable[Document], candidate: Iterable[DocumentType], on: date) -> list[str]:
    """The documents of a candidate list an application holds but that are no longer in force on `on`,
    the day the candidate would take effect (000 §6 validity: a licence is checked again at the
    general manager's sign-off, domain.documents.expired_documents)."""
    return [
        f"000 §6 validity on {on.isoformat()}: {problem}" for problem in expired_documents(documents, candidate, on)
    ]


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


# Open processes a change reaches beyond those judged above, per rule: the process types that pin
# the rule at their start (新老划断) or apply the version in force on a later day, and why the record
# does not let the answer judge them (issue 21 §4: the reach, with what cannot be judged said).
ALSO_REACHED: dict[RuleKind, dict[str, str]] = {
    RuleKind.credit_policy: {
        OVER_LIMIT_PROCESS: "001 §3: the general manager decides a delivery beyond the customer's granted limit "
        "under the policy pinned when it was refused; the candidate changes no granted limit: not judged",
        CREDIT_REVIEW_CHAIN.process_type: "001 信用审核: a review applies the policy in force on the day it is "
        "assessed (a raise above the grade's ceiling needs the general manager, 001 §3); the assessment is not "
        "yet known: not judged",
    },
    RuleKind.grading_rule: {
        GRADING_CHAIN.process_type: "001 §1: a grading round is scored under the rule it pinned when it opened; "
        "its scores are not in the record until the business VP approves them: not judged",
    },
}


def readable_only(answer: WhatIfAnswer, processes: set[str], customers: set[int]) -> WhatIfAnswer:
    """The answer as an asker who reads only `processes` and `customers` may see it (api/visibility/):
    the others counted, never listed — no id, subject or customer of a record they may not read."""
    shown = [p for p in answer.processes if p.process_id in processes]
    known = [c for c in answer.customers if c.customer_id in customers]
    hidden_processes, hidden_customers = len(answer.processes) - len(shown), len(answer.customers) - len(known)
    summary = answer.summary
    if hidden_processes or hidden_customers:
        summary += (
            f" Of these, {hidden_processes} open processes and {hidden_customers} customers are not yours to read: "
            "counted here, not listed."
        )
    return answer.model_copy(
        update={
            "processes": shown,
            "customers": known,
            "unreadable_processes": hidden_processes,
            "unreadable_customers": hidden_customers,
            "summary": summary,
        }
    )


def overdue_steps(
    calendar: WorkingCalendar, opened: Iterable[tuple[str, datetime]], steps: Mapping[str, StepTiming], at: datetime
) -> list[str]:
    """Each open step (`opened`: its key and when its task opened) the candidate times that would be
    past its candidate deadline at `at`, on the working-day calendar, named once."""
    reasons: dict[str, str] = {}
    for step, since in opened:
        timing = steps.get(step)
        if timing is None or step in reasons:
            continue
        due = calendar.add_working_days(in_china(since), timing.due_working_days).deadline
        if due < at:
            reasons[step] = (
                f"step {step} would be overdue: due {china_iso(due)} under {timing.due_working_days} "
                f"working days ({RULE_CITATION[RuleKind.step_deadlines]})"
            )
    return list(reasons.values())
