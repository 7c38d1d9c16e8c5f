"""Credit review 客户升(降)级评审 — semiannual and risk-triggered (001 信用审核; 003 §6; P5).

001 信用审核: 业务部每年两次对授予信用的客户进行审核, 对其信用额度及信用等级进行升级或降级评审,
填写"客户升(降)级评审表", 评审成果要及时通报办事处、财务部. 003 §6: a high-risk customer gets tighter
credit (控制发货量、缩短付款期限). The review form is prepared from the ledger and the account; the
marketing reviewer (业务部) decides its outcome — keep, lower or withdraw the credit — and the leaders
who grant credit (000 §13 营销、财务主管领导) approve it jointly.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, Field, model_validator

from domain.approvals import ChainSpec, SignMode, StepSpec
from domain.china_time import ChinaTime
from domain.credit import CreditCustomer, ReviewOccasion, RiskLevel, Settlement
from domain.credit_application import GM_SPECIAL_AGREEMENT
from domain.customer_gate import CustomerOperation
from domain.examples import examples
from domain.models import Actor
from domain.roles import Role
from domain.rulebook import enforces
from domain.text import StoredText

# The payment record of the form covers this many months before the review (001 信用审核: twice a
# year, so each review looks at the half year since the last). ASSUMPTION: the seed names no period.
FORM_MONTHS = 6
# Customers read and reviews started per activity call or per run before continuing as new: a
# round or sweep over thousands of customers keeps each history short.
BATCH = 200
# ASSUMPTION (the seeds give no deadline): each step has 5 working days, a reminder 4 hours before,
# then the marketing manager (assessment) or the general manager (approval) is told.
STEP_WORKING_DAYS = 5
REMIND_BEFORE_HOURS = 4.0


class ReviewOutcome(StrEnum):
    """The outcome the 客户升(降)级评审表 records."""

    keep = "keep"  # credit stays as it is; a blocked customer may take credit again
    lower_ = "lower"  # a lower limit and/or a shorter term (003 §6 控制发货量、缩短付款期限)
    raise_ = "raise"  # a higher limit (001 信用审核 升级评审); above the grade's ceiling the GM approves (001 §3)
    withdraw = "withdraw"  # back to payment before goods (000 §13 先款后货)


def review_operation(outcome: ReviewOutcome) -> CustomerOperation:
    """What a review's outcome does to the customer, for the gate (004 §4-§6): a raise grants more
    credit, so it needs a trading customer (raise_credit); keeping, lowering or withdrawing is open
    to every file on record (credit_review)."""
    return CustomerOperation.raise_credit if outcome is ReviewOutcome.raise_ else CustomerOperation.credit_review


class AssessmentIn(BaseModel):
    """The marketing reviewer's decision on the review form (`POST /credit-reviews/{id}/assessment`)."""

    model_config = examples({"outcome": "lower", "new_limit": "200000.00", "comment": "近两个月回款延迟, 下调信用额度"})

    outcome: ReviewOutcome
    new_limit: Decimal | None = Field(default=None, ge=0, lt=Decimal("1e16"), max_digits=18, decimal_places=2)
    new_term_days: int | None = Field(default=None, ge=1, le=366)
    comment: StoredText = Field(min_length=1, max_length=2000)

    @model_validator(mode="after")
    def _terms_only_when_lowered(self) -> AssessmentIn:
        if self.outcome is ReviewOutcome.raise_:
            if self.new_limit is None or self.new_term_days is not None:
                raise ValueError("raise names a new_limit, and no new_term_days")
            return self
        lowered = self.new_limit is not None or self.new_term_days is not None
        if self.outcome is ReviewOutcome.lower_ and not lowered:
            raise ValueError("lower names a new_limit and/or new_term_days")
        if self.outcome is not ReviewOutcome.lower_ and lowered:
            raise ValueError(f"{self.outcome.value} takes no new_limit or new_term_days (only lower does)")
        return self


class AssessmentRequest(BaseModel):
    """The assessment sent to the review process as an Update: it decides the assessment step.
    `ceiling`: what the policy in force lets the leaders grant for the customer's grade (a raise
    above it adds the GM's step, 001 §3); None from callers that raise nothing."""

    assessment: AssessmentIn
    actor: Actor
    ceiling: Decimal | None = Field(default=None, max_digits=18, decimal_places=2)


@enforces("001-credit-3-gm-beyond-credit-range")
def needs_general_manager(assessment: AssessmentIn, ceiling: Decimal | None) -> bool:
    """001 §3: a limit raised above what the policy lets the leaders grant for the grade is a special
    agreement beyond the credit range — the general manager approves it, as for an application."""
    return (
        assessment.outcome is ReviewOutcome.raise_
        and assessment.new_limit is not None
        and ceiling is not None
        and assessment.new_limit > ceiling
    )


class ReviewForm(BaseModel):
    """客户升(降)级评审表 as prepared when the review opens: the payment record of the last months,
    what is owed and overdue, the risk, grade and current terms."""

    customer_id: int
    credit_code: str
    name: str
    unit: str | None
    occasion: ReviewOccasion
    key: str
    prepared_on: date
    period_from: date
    receipts_count: int
    receipts_total: Decimal
    deliveries_count: int
    deliveries_total: Decimal
    balance: Decimal
    outstanding: Decimal
    overdue_amount: Decimal
    overdue_days: int
    risk_level: RiskLevel
    risk_since: ChinaTime | None
    review_required: bool
    grade: str
    settlement: Settlement
    credit_limit: Decimal
    term_days: int


class ReviewFormView(BaseModel):
    """`GET /credit-reviews/{process_id}/form`: the form as prepared and, once made, its assessment."""

    process_id: str
    status: str
    form: ReviewForm | None
    assessment: AssessmentIn | None = None
    assessed_by: str | None = None
    assessed_at: ChinaTime | None = None
    requested_by: str | None = None  # a review opened by hand: who, and why
    reason: str | None = None


class ManualReviewIn(BaseModel):
    """`POST /customers/{id}/credit-reviews`: why the marketing manager opens a review now."""

    model_config = examples({"reason": "客户涉及诉讼, 需重新评估信用"})

    reason: StoredText = Field(min_length=1, max_length=500)


class FormRequest(BaseModel):
    customer: CreditCustomer
    occasion: ReviewOccasion
    key: str
    today: date


def assessment_errors(form: ReviewForm, assessment: AssessmentIn) -> list[str]:
    """What makes an outcome impossible for this customer's current terms (422)."""
    if assessment.outcome is ReviewOutcome.withdraw:
        return []
    if form.settlement is not Settlement.periodic:
        return [f"the customer pays before goods: there is no credit to {assessment.outcome.value}"]
    if assessment.outcome is ReviewOutcome.keep:
        return []
    if assessment.outcome is ReviewOutcome.raise_:
        raised = assessment.new_limit is not None and assessment.new_limit > form.credit_limit
        return [] if raised else [f"a raise must name a new_limit above the current {form.credit_limit:.2f}"]
    problems: list[str] = []
    if assessment.new_limit is not None and assessment.new_limit >= form.credit_limit:
        problems.append(f"new_limit {assessment.new_limit:.2f} must be below the current {form.credit_limit:.2f}")
    if assessment.new_term_days is not None and assessment.new_term_days >= form.term_days:
        problems.append(f"new_term_days {assessment.new_term_days} must be shorter than the current {form.term_days}")
    return problems


class ReviewApplied(BaseModel):
    """What the store writes once the leaders approve: the new terms and the decision record."""

    process_id: str
    customer_id: int
    unit: str | None
    subject: str
    form: ReviewForm
    assessment: AssessmentIn
    assessed_by: str
    assessed_at: datetime
    approved_by: list[str]
    approved_at: datetime


class RoundInput(BaseModel):
    """A semiannual round (`half` like 2027H1; None: the half year of the day it runs), resumed
    after `after_customer_id` when it continues as new."""

    half: str | None = Field(default=None, pattern=r"^\d{4}H[12]$")
    after_customer_id: int = 0
    opened: int = 0
    batch: int = Field(default=BATCH, ge=1, le=1000)


class SweepInput(BaseModel):
    """A daily risk sweep (`today` None: the China day it runs), resumed at its cursor."""

    today: date | None = None
    after_customer_id: int = 0
    reviews_after_customer_id: int = 0
    risk_done: bool = False
    turned_high: int = 0
    reviews_started: int = 0
    batch: int = Field(default=BATCH, ge=1, le=1000)


class Batch(BaseModel):
    after_customer_id: int = 0
    limit: int = BATCH


class RiskReviewDue(BaseModel):
    """A customer blocked by high risk (review_required) since `risk_since`."""

    customer: CreditCustomer
    risk_since: datetime
    # issue 20: reviews of this episode already closed without lifting the block (rejected): the
    # next sweep opens a new one, so a blocked customer is never left without a review
    closed_reviews: int = 0


def half_year(day: date) -> str:
    """2027H1 for January to June, 2027H2 for July to December (001 信用审核 每年两次)."""
    return f"{day.year}H{1 if day.month <= 6 else 2}"


def risk_key(risk_since: datetime, closed_reviews: int = 0) -> str:
    """The key of a risk review: the moment (UTC, as the ledger route formats it) the risk turned
    high, so one review per episode; SQLite gives the moment back naive, in UTC. Reading chosen for
    003 §6 (credit sales wait for the review): a review rejected leaves the customer blocked with no
    review open, so the next daily sweep opens the episode's next review (`-2`, `-3`, …)."""
    moment = risk_since.replace(tzinfo=UTC) if risk_since.tzinfo is None else risk_since.astimezone(UTC)
    key = moment.strftime("%Y%m%dT%H%M%S")
    return f"{key}-{closed_reviews + 1}" if closed_reviews else key


def round_workflow_id(half: str) -> str:
    return f"credit-review-round-{half}"


def sweep_workflow_id(day: date) -> str:
    return f"credit-risk-sweep-{day.isoformat()}"


# 001 信用审核: 业务部 assesses; ASSUMPTION (000 §13: credit is approved by 营销、财务主管领导): the
# same leaders who grant credit approve its change, jointly (countersign).
CREDIT_REVIEW_CHAIN = ChainSpec(
    process_type="credit_review",
    title="客户升(降)级评审 Credit review",
    citation="001 信用审核, 003 §6, 000 §13",
    steps=(
        StepSpec(
            key="assessment",
            title="业务部评审 Marketing assesses the review form",
            role=Role.marketing_reviewer,
            allow_return=False,
            due_working_days=STEP_WORKING_DAYS,
            remind_before_hours=REMIND_BEFORE_HOURS,
            escalate_to=(Role.marketing_manager,),
            citation="001 信用审核",
            rules=("001-credit-review-form",),
        ),
        StepSpec(
            key="approval",
            title="营销、财务主管领导批准 Business VP and chief accountant approve",
            roles=(Role.business_vp, Role.chief_accountant),
            mode=SignMode.all,
            due_working_days=STEP_WORKING_DAYS,
            remind_before_hours=REMIND_BEFORE_HOURS,
            escalate_to=(Role.general_manager,),
            citation="000 §13",
            rules=("000-13-leaders-approve",),
        ),
    ),
)
# 001 §3: a raise above the grade's ceiling also needs the general manager (issue 20 item 10).
CREDIT_REVIEW_GM_CHAIN = CREDIT_REVIEW_CHAIN.model_copy(
    update={"steps": (*CREDIT_REVIEW_CHAIN.steps, GM_SPECIAL_AGREEMENT), "citation": "001 信用审核, 000 §13; 001 §3"}
)
