"""Customer grading A/B/C — 客户等级 (001 §1, 000 §11, 002 rule 3; REGULATIONS.md P6).

Four indicators, each scored 0-100 by the marketing manager; a weighted total maps to a grade.
The seed lost the weights and the thresholds in scraping, so they are configuration
(`grading_configs`, versioned by effective date, changed through an approved rule change:
domain/rule_change.py); `DEFAULT_CONFIG` is the version the migration seeds — an ASSUMPTION, not
a regulation figure.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from pydantic import BaseModel, Field, model_validator

from domain.approvals import ChainSpec, StepSpec
from domain.china_time import ChinaTime
from domain.examples import examples
from domain.models import Actor
from domain.roles import Role
from domain.rulebook import enforces
from domain.text import StoredText


class Indicator(StrEnum):
    """001 §1: the four indicators of the score sheet."""

    contract_payment = "contract_payment"  # (1) annual contract amount and on-time payment
    year_end_receivables = "year_end_receivables"  # (2) year-end receivables
    contract_premium = "contract_premium"  # (3) contract premium %
    strategic_influence = "strategic_influence"  # (4) leader / key / ordinary / sporadic


class Grade(StrEnum):
    A = "A"  # 重要客户 important
    B = "B"  # 较重要客户 fairly important
    C = "C"  # 一般客户 ordinary; every new customer for its first year (001 §1)


Weights = dict[Indicator, Decimal]


class Thresholds(BaseModel):
    """The lowest weighted total of grade A and of grade B; below B is C."""

    A: Decimal = Field(ge=0, le=100, max_digits=5, decimal_places=2)
    B: Decimal = Field(ge=0, le=100, max_digits=5, decimal_places=2)

    @model_validator(mode="after")
    def _ordered(self) -> Thresholds:
        if self.A <= self.B:
            raise ValueError("the threshold of A must be above the threshold of B")
        return self


class GradingConfigIn(BaseModel):
    """A new version of the grading rule as drafted (domain/rule_change.py), in force from
    `effective_from` once approved."""

    effective_from: date
    weights: dict[Indicator, Decimal] = Field(description="percent per indicator; the four sum to 100")
    thresholds: Thresholds
    reason: StoredText = Field(min_length=1, max_length=500)

    @model_validator(mode="after")
    def _complete(self) -> GradingConfigIn:
        if set(self.weights) != set(Indicator):
            raise ValueError(f"weights must name exactly the four indicators: {[i.value for i in Indicator]}")
        if any(not Decimal(0) <= w <= Decimal(100) for w in self.weights.values()):
            raise ValueError("each weight lies between 0 and 100")
        if sum(self.weights.values()) != Decimal(100):
            raise ValueError("the weights must sum to 100")
        return self


class GradingConfigView(BaseModel):
    version: int
    effective_from: date
    weights: dict[Indicator, Decimal]
    thresholds: Thresholds
    changed_by: str
    changed_at: ChinaTime
    reason: str
    process_id: str | None = Field(default=None, description="the rule change that approved it (None: seeded)")


# ASSUMPTION (P6: "thresholds and scores were lost in scraping"): payment and contract volume
# weigh most, the other three equally; A from 85, B from 70. Seeded as version 1 by migration 0014.
DEFAULT_WEIGHTS: dict[Indicator, Decimal] = {
    Indicator.contract_payment: Decimal(40),
    Indicator.year_end_receivables: Decimal(20),
    Indicator.contract_premium: Decimal(20),
    Indicator.strategic_influence: Decimal(20),
}
DEFAULT_THRESHOLDS = Thresholds(A=Decimal(85), B=Decimal(70))
DEFAULT_EFFECTIVE_FROM = date(2000, 1, 1)


Score = Decimal
Scores = dict[Indicator, Decimal]


@enforces("001-1-four-indicators")
class ScoreSheetIn(BaseModel):
    """The marketing manager's score sheet: every indicator 0-100 (001 §1)."""

    model_config = examples(
        {
            "scores": {
                "contract_payment": "92.00",
                "year_end_receivables": "85.50",
                "contract_premium": "78.00",
                "strategic_influence": "88.00",
            },
            "comment": "全年合同按期回款, 年末应收账款较低",
        }
    )

    scores: dict[Indicator, Decimal] = Field(description="0-100 per indicator, all four")
    comment: StoredText | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _complete(self) -> ScoreSheetIn:
        if set(self.scores) != set(Indicator):
            raise ValueError(f"scores must name exactly the four indicators: {[i.value for i in Indicator]}")
        for value in self.scores.values():
            if not Decimal(0) <= value <= Decimal(100) or value != value.quantize(Decimal("0.01")):
                raise ValueError("each score lies between 0 and 100, with at most two decimals")
        return self


class ScoreRequest(BaseModel):
    """The score sheet sent to the grading process as an Update: it is the manager's decision."""

    sheet: ScoreSheetIn
    actor: Actor


class ScoreResult(BaseModel):
    """A score sheet computed with the configuration version in force on the scoring day."""

    scores: dict[Indicator, Decimal]
    weighted_total: Decimal
    grade: Grade
    config_version: int
    scored_by: str
    scored_at: datetime


def weighted_total(scores: Scores, weights: Weights) -> Decimal:
    total = sum((scores[i] * weights[i] for i in Indicator), Decimal(0)) / Decimal(100)
    return total.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@enforces("001-1-grades-a-b-c")
def grade_for(total: Decimal, thresholds: Thresholds) -> Grade:
    if total >= thresholds.A:
        return Grade.A
    if total >= thresholds.B:
        return Grade.B
    return Grade.C


def score(scores: Scores, config: GradingConfigView, actor: str, at: datetime) -> ScoreResult:
    total = weighted_total(scores, config.weights)
    return ScoreResult(
        scores=scores,
        weighted_total=total,
        grade=grade_for(total, config.thresholds),
        config_version=config.version,
        scored_by=actor,
        scored_at=at,
    )


def grading_workflow_id(credit_code: str) -> str:
    """One open grading round per customer: Temporal refuses a second (409). Named by the credit
    code, unique for ever, like the onboarding that created the customer."""
    return f"grading-{credit_code}"


def grading_clock_id(credit_code: str) -> str:
    return f"grading-clock-{credit_code}"


@enforces("001-1-scored-after-trade")
def first_grading_day(created: date) -> date:
    """001 §1: grade C for the whole first year; the first grading opens on the anniversary
    (29 February counts to 1 March)."""
    try:
        return created.replace(year=created.year + 1)
    except ValueError:
        return date(created.year + 1, 3, 1)


@enforces("001-1-new-customer-is-c")
def first_year_problem(trading_since: date, on: date) -> str | None:
    """001 §1 (P6 "new customers are graded C for their whole first year"): why a customer trading
    since `trading_since` may not be graded on `on`; None once a full year of trade has passed.
    Reading: the year runs from the start of trading on the record (000 §10 开始交易时间), not from
    the file's creation, and a grading counts on the day it applies (the approval), not when asked."""
    gradable_on = first_grading_day(trading_since)
    if on >= gradable_on:
        return None
    return (
        f"a new customer is C for its whole first year (001 §1): trading since {trading_since}, "
        f"it may be graded from {gradable_on}"
    )


@enforces("001-1-year-end-regrading")
def next_year_end_grading_day(opened_on: date) -> date:
    """P6 "re-reviewed at year end": the round after one opened on `opened_on` opens on 1 December,
    at least five months later (P6: scored after 6-12 months of trade). ASSUMPTION: the seed names
    no day; 1 December leaves the month for scoring and approval before the year closes."""
    return date(opened_on.year + (1 if opened_on.month >= 7 else 0), 12, 1)


def grading_period(opens_on: date) -> str:
    """The trading year a round grades: a round opening in the first half-year grades the year before."""
    return str(opens_on.year - (1 if opens_on.month < 7 else 0))


# 001 §1 / P6: the marketing manager scores, the business VP approves. The score step is decided
# with the score sheet (`POST /customers/{id}/grading/scores`), not a bare approve.
GRADING_CHAIN = ChainSpec(
    process_type="grading",
    title="客户等级评定 Customer grading",
    citation="001 §1, 000 §11",
    steps=(
        StepSpec(
            key="score",
            title="营销业务部经理评分 Marketing manager scores",
            role=Role.marketing_manager,
            allow_return=False,
            citation="001 §1",
            rules=("001-1-manager-scores",),
        ),
        StepSpec(
            key="vp_approval",
            title="业务副总审批 Business VP approves the grade",
            role=Role.business_vp,
            citation="001 §1",
            rules=("001-1-vp-approves-grade",),
        ),
    ),
)


class GradingInput(BaseModel):
    """One grading round of one customer."""

    customer_id: int
    credit_code: str = Field(max_length=18)
    customer_name: str
    unit: str | None = None
    period: str = Field(max_length=20)  # the year graded, e.g. "2026"
    requested_by: Actor | None = None  # None: opened by the customer's grading clock
    chain: ChainSpec = GRADING_CHAIN


class GradingClockInput(BaseModel):
    """A customer's grading clock: the next day a grading round opens."""

    customer_id: int
    credit_code: str = Field(max_length=18)
    customer_name: str
    unit: str | None = None
    next_grading_on: date


class GradingCheck(BaseModel):
    """Whether a customer's round may open on a day (the clock asks before opening it)."""

    customer_id: int
    on: date


class GradingApplied(BaseModel):
    """What the store writes when the VP approves: the score sheet and the customer's new grade."""

    process_id: str
    customer_id: int
    period: str
    result: ScoreResult
    approved_by: str
    approved_at: datetime
