"""Who sets the rules: a change of a versioned rule is an approval process (issue 20 item 7).

The credit policy (001 信用管理措施 §1-§2, 信用审核 每年终…制定和调整下年度的信用管理政策) and the
grading rule (001 §1) are company rules, not an administrator's settings. A change is drafted by
the marketing manager (or an administrator keying it in), reviewed by the business VP and approved
by the general manager — the chain the regulations give the grading itself (001 §1: 营销业务部经理
→ 业务副总) completed by the GM, who signs what lies beyond the credit range (001 §3). READING: the
seeds name no approver for the policy itself; the company's leaders signing in this order is the
reading a regulated company expects, and the issue asks for it.

One process for every versioned rule: a change names its `rule` and carries a payload validated
by that rule's own model (`RuleChangeIn` is a union discriminated by `rule`). Adding a rule is one
member of the union and one writer in activities/rule_store.py.

Where the status lives (documented choice): the rule's existing version table (`credit_policies`,
`grading_configs`) holds approved versions only, each naming the process that approved it
(`process_id`). A draft under review, a rejected or withdrawn change is the rule-change process
(`processes.status`: running, rejected, withdrawn) — a rejected change never gets a version row,
so no reader of the rule can ever meet it. An approved version is *effective* from its
`effective_from`: the drafted date, or the day of the GM's approval when that date has passed
(新老划断: nothing takes effect backwards). A future date waits.

The onboarding document list (000 §6, issue 21 §3) is the third rule: the same drafters (the
marketing department keeps the customer files, 000 §6), the same chain, its versions in
`onboarding_document_lists`. READING: the seeds name no
approver for the list either; a longer list is a company rule like the policy, and the issue asks
for one mechanism.

Running cases keep the version they started with: a process pins, at its start, the version in
force then (`RuleVersionRef`), decides by it to its end, and its history names it
(`rule_applied`, activities/audit_store.py).
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from domain.approvals import ChainSpec, StepSpec, VersionRef
from domain.credit import CreditPolicyIn
from domain.documents import OnboardingDocumentsIn, RequiredDocuments
from domain.examples import FUTURE_DAY, ONBOARDING_DOCUMENTS, examples
from domain.grading import GradingConfigIn
from domain.models import ApprovalInput
from domain.roles import Role
from domain.rulebook import enforces, known
from domain.step_deadlines import CITATION as STEP_DEADLINES_CITATION
from domain.step_deadlines import StepDeadlinesIn, declare

PROCESS_TYPE = "rule_change"
CITATION = "001 信用管理措施 §1-§2; 001 §1"


class RuleKind(StrEnum):
    credit_policy = "credit_policy"  # 001 信用管理措施 §1-§2, 信用审核
    grading_rule = "grading_rule"  # 001 §1 weights and thresholds
    onboarding_documents = "onboarding_documents"  # 000 §6 the documents an applicant shows
    step_deadlines = "step_deadlines"  # a chain's step deadlines (issue 21 §3; domain/step_deadlines.py)


RULE_CITATION: dict[RuleKind, str] = {
    RuleKind.credit_policy: "001 信用管理措施 §1-§2",
    RuleKind.grading_rule: "001 §1",
    RuleKind.onboarding_documents: "000 §6",
    RuleKind.step_deadlines: STEP_DEADLINES_CITATION,
}

# Who may draft a change: the marketing manager, whose department keeps both rules (001 §1,
# 001 信用审核), or an administrator keying in a change the leaders asked for.
DRAFTERS = (Role.marketing_manager, Role.admin)

# ASSUMPTION (the seeds give no figure): each step due in 5 working days, reminded a day before.
STEP_WORKING_DAYS = 5
REMIND_BEFORE_HOURS = 24

RULE_CHANGE_CHAIN = ChainSpec(
    process_type=PROCESS_TYPE,
    title="规则变更 Change of a company rule",
    citation=CITATION,
    steps=(
        StepSpec(
            key="vp_review",
            title="业务副总审核 Business VP reviews the change",
            role=Role.business_vp,
            due_working_days=STEP_WORKING_DAYS,
            remind_before_hours=REMIND_BEFORE_HOURS,
            allow_return=False,
            citation=CITATION,
        ),
        StepSpec(
            key="gm_approval",
            title="总经理批准 General manager approves the change",
            role=Role.general_manager,
            due_working_days=STEP_WORKING_DAYS,
            remind_before_hours=REMIND_BEFORE_HOURS,
            allow_return=False,
            citation=CITATION,
        ),
    ),
)
declare((RULE_CHANGE_CHAIN,))  # its own steps' deadlines are a versioned rule too


@enforces("001-credit-3-vp-sets-credit-system", "001-credit-3-gm-approves-credit-system")
class CreditPolicyChange(BaseModel):
    model_config = examples(
        {
            "rule": "credit_policy",
            "payload": {
                "effective_from": FUTURE_DAY,
                "limit_by_grade": {"A": "5000000.00", "B": "2000000.00", "C": "500000.00"},
                "max_term_days": 60,
                "risk": {"high_overdue_days": 90, "high_overdue_share": "0.50", "medium_overdue_days": 30},
                "collection_working_days": 5,
                "reason": "年度信用政策调整 (总经理办公会决定)",
            },
        }
    )

    rule: Literal[RuleKind.credit_policy] = RuleKind.credit_policy
    payload: CreditPolicyIn


@enforces("001-1-grading-rule-yearly-review")
class GradingRuleChange(BaseModel):
    model_config = examples(
        {
            "rule": "grading_rule",
            "payload": {
                "effective_from": FUTURE_DAY,
                "weights": {
                    "contract_payment": "40.00",
                    "year_end_receivables": "30.00",
                    "contract_premium": "15.00",
                    "strategic_influence": "15.00",
                },
                "thresholds": {"A": "85.00", "B": "70.00"},
                "reason": "提高回款指标权重",
            },
        }
    )

    rule: Literal[RuleKind.grading_rule] = RuleKind.grading_rule
    payload: GradingConfigIn


class OnboardingDocumentsChange(BaseModel):
    model_config = examples(
        {
            "rule": "onboarding_documents",
            "payload": {
                "effective_from": FUTURE_DAY,
                "documents": [d["type"] for d in ONBOARDING_DOCUMENTS if d["type"] != "organization_code"],
                "reason": "三证合一后不再单独要求组织机构代码证",
            },
        }
    )

    rule: Literal[RuleKind.onboarding_documents] = RuleKind.onboarding_documents
    payload: OnboardingDocumentsIn


class StepDeadlinesChange(BaseModel):
    model_config = examples(
        {
            "rule": "step_deadlines",
            "payload": {
                "effective_from": FUTURE_DAY,
                "process_type": "onboarding",
                "steps": {"marketing_review": {"due_working_days": 2, "remind_before_hours": 4}},
                "reason": "资质审核时限缩短为 2 个工作日",
            },
        }
    )

    rule: Literal[RuleKind.step_deadlines] = RuleKind.step_deadlines
    payload: StepDeadlinesIn


AnyRuleChange = CreditPolicyChange | GradingRuleChange | OnboardingDocumentsChange | StepDeadlinesChange
RuleChangeIn = Annotated[AnyRuleChange, Field(discriminator="rule")]


class RuleChangeInput(ApprovalInput):
    """The start of a rule-change process: the declared chain run on its own (`ApprovalInput`) and
    the change as drafted, both frozen into the history."""

    chain: ChainSpec = RULE_CHANGE_CHAIN
    change: RuleChangeIn


# The catalogue rules a process decides by the version it pinned, by (rule, workflow type): the
# evidence its `rule_applied` line gives (domain/rulebook.applications). A pin of a version holds
# more values than the process uses — a credit application decides by the ceilings and terms, not
# by the risk thresholds — and an audit row names only what the process applied.
DECIDED_BY: dict[tuple[RuleKind, str], tuple[str, ...]] = {
    (RuleKind.onboarding_documents, "Onboarding"): known("000-6-documents"),
    (RuleKind.credit_policy, "CreditApplication"): known(
        "001-credit-3-credit-range-ceilings", "001-credit-3-gm-beyond-credit-range", "000-13-settlement-term"
    ),
    (RuleKind.credit_policy, "OverLimitApproval"): known("001-credit-3-credit-range-ceilings"),
    (RuleKind.grading_rule, "Grading"): known(
        "001-1-grades-a-b-c", "001-1-grade-thresholds", "002-3-weighted-criteria"
    ),
}


class RuleVersionRef(VersionRef):
    """A version of a rule, as a process that applies it names it."""

    rule: RuleKind


class RuleApproval(BaseModel):
    """What the store writes when the GM approves: the new version, in force from `effective_from`."""

    process_id: str
    change: RuleChangeIn
    drafted_by: str
    approved_by: str
    approved_on: date


class RuleChangeView(BaseModel):
    """What a rule-change process adds to its view: the rule, and the version once approved."""

    rule: RuleKind
    requested_from: date
    applied: RuleVersionRef | None = None


def effective_from(requested: date, approved_on: date) -> date:
    """A version approved after its drafted date takes effect the day of approval; a future date
    waits (新老划断: a rule never applies backwards to what was decided under the old one)."""
    return max(requested, approved_on)


def draft_refusal(change: AnyRuleChange, today: date) -> str | None:
    """A draft must look forward: a date already past would re-explain decisions taken under the
    version then in force."""
    requested = change.payload.effective_from
    if requested < today:
        return (
            f"effective_from {requested} lies in the past: a change of the {change.rule.value} applies from "
            f"today on ({RULE_CITATION[change.rule]})"
        )
    return None


def rule_change_subject(change: AnyRuleChange, drafted_by: str) -> str:
    subject = f"{change.rule.value} 变更 from {change.payload.effective_from} ({drafted_by}): {change.payload.reason}"
    return subject[:200]


WORKFLOW_ID_PREFIX = "rule-change-"


def rule_change_workflow_id(rule: RuleKind, token: str) -> str:
    return f"{WORKFLOW_ID_PREFIX}{rule.value}-{token}"


def rule_of(workflow_id: str) -> RuleKind | None:
    """The rule a rule-change process changes, as its workflow id names it."""
    return next((k for k in RuleKind if workflow_id.startswith(f"{WORKFLOW_ID_PREFIX}{k.value}-")), None)


class ChangeStatus(StrEnum):
    """Where a change stands: under review, approved and waiting for its date, in force, or not."""

    draft = "draft"
    approved = "approved"
    effective = "effective"
    rejected = "rejected"
    withdrawn = "withdrawn"


def change_status(process_status: str, effective: date | None, today: date) -> ChangeStatus:
    """Derived, never stored twice: the process's status, and the version row's date once approved."""
    if effective is not None:
        return ChangeStatus.effective if effective <= today else ChangeStatus.approved
    if process_status in (ChangeStatus.rejected.value, ChangeStatus.withdrawn.value):
        return ChangeStatus(process_status)
    return ChangeStatus.draft  # running (or stopped for a repair): nothing applies yet


def documents_ref(pinned: RequiredDocuments) -> RuleVersionRef:
    """The onboarding document list a process pinned, as its history names it (000 §6)."""
    kind = RuleKind.onboarding_documents
    return RuleVersionRef(rule=kind, version=pinned.version, effective_from=pinned.effective_from)
