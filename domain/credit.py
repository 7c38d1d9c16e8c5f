"""P5 credit — 定期结算 / 信用管理 (000 §13; 001 信用管理措施; 003 §6): the rules, free of I/O.

Payment before goods is the default (000 §13 坚持先款后货). A customer granted periodic settlement
(`Settlement.periodic`) may let its ledger balance (receipts minus deliveries, domain/ledger.py) go
below zero, down to minus its credit limit; what it owes is the outstanding amount. A credit
delivery falls due `term_days` after it was made; what is past due and not covered by receipts,
oldest first, is overdue. The risk level (003 §6 高/中/低) follows from the overdue amount and
days by the rules of the credit policy in force.

The policy's numbers — the limit ceiling per grade, the longest term, the risk thresholds, the
collection deadline — were not in the seeds: they are configuration (`credit_policies`, versioned
by effective date, revised at year end, 001 信用审核 每年终 … 制定和调整下年度的信用管理政策, through a
rule change the business VP and the general manager approve: domain/rule_change.py).
`DEFAULT_POLICY` is what migration 0015 seeds — an ASSUMPTION, not a regulation figure.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, Field, model_validator

from domain.china_time import ChinaTime
from domain.grading import Grade
from domain.ledger import ZERO
from domain.rulebook import enforces
from domain.text import StoredText

Money = Decimal


class Settlement(StrEnum):
    prepaid = "prepaid"  # 先款后货, the default (000 §13)
    periodic = "periodic"  # 定期结算: credit up to a limit, collected by month end


class RiskLevel(StrEnum):
    """003 §6 (二): 风险等级分为高、中、低三个级别."""

    low = "low"
    medium = "medium"
    high = "high"


class RiskRules(BaseModel):
    """When a credit customer's risk is high or medium (003 §6); low otherwise."""

    high_overdue_days: int = Field(ge=1, le=3650, description="overdue this many days or more: high")
    high_overdue_share: Decimal = Field(
        gt=0, le=10, max_digits=6, decimal_places=4, description="overdue amount / limit at or above: high"
    )
    medium_overdue_days: int = Field(ge=1, le=3650, description="overdue this many days or more: medium")

    @model_validator(mode="after")
    def _ordered(self) -> RiskRules:
        if self.medium_overdue_days > self.high_overdue_days:
            raise ValueError("medium_overdue_days must not exceed high_overdue_days")
        return self


class CreditPolicyIn(BaseModel):
    """A new version of the credit policy as drafted (domain/rule_change.py), in force from
    `effective_from` once approved."""

    effective_from: date
    limit_by_grade: dict[Grade, Decimal] = Field(
        description="the highest limit marketing and finance may grant per grade; above it the GM approves (001 §3)"
    )
    max_term_days: int = Field(ge=1, le=366, description="the longest settlement term granted")
    risk: RiskRules
    collection_working_days: int = Field(
        ge=0, le=20, description="working days the collector has after month end before the collection escalates"
    )
    reason: StoredText = Field(min_length=1, max_length=500)

    @model_validator(mode="after")
    def _every_grade(self) -> CreditPolicyIn:
        if set(self.limit_by_grade) != set(Grade):
            raise ValueError(f"limit_by_grade must name every grade: {[g.value for g in Grade]}")
        for value in self.limit_by_grade.values():
            if value < 0 or value >= Decimal("1e16") or value != value.quantize(Decimal("0.01")):
                raise ValueError("each limit lies between 0 and 9999999999999999.99, with at most two decimals")
        return self


class CreditPolicyView(CreditPolicyIn):
    version: int
    changed_by: str
    changed_at: ChinaTime
    process_id: str | None = Field(default=None, description="the rule change that approved it (None: seeded)")


# ASSUMPTION (P5: the seeds give no figures): ceilings of 5,000,000 / 2,000,000 / 500,000 yuan for
# grades A / B / C, terms up to 30 days (monthly settlement, 000 §13), high risk from 60 days overdue
# or an overdue amount of half the limit, medium from the first day overdue; the collector has one
# working day after the last working day of the month. Seeded as version 1 by migration 0015.
DEFAULT_POLICY = CreditPolicyIn(
    effective_from=date(2000, 1, 1),
    limit_by_grade={Grade.A: Decimal("5000000.00"), Grade.B: Decimal("2000000.00"), Grade.C: Decimal("500000.00")},
    max_term_days=30,
    risk=RiskRules(high_overdue_days=60, high_overdue_share=Decimal("0.5"), medium_overdue_days=1),
    collection_working_days=1,
    reason="ASSUMPTION: default shipped with the product; the seeds give no credit figures (P5)",
)


class CreditHold(StrEnum):
    """Credit sales held for a decision on a delivery already made beyond the limit (001 §3).

    An ERP import books what finance shipped (a fact) even beyond the limit; the general manager then
    ratifies it (追认). Until the GM decides, the customer takes nothing more on credit (`ratification`).
    Reading chosen where the issue leaves it open: a refused ratification keeps credit held
    (`ratification_refused`) until a credit review (001 信用审核, 003 §6) decides the customer's
    terms — the goods are gone, so refusing cannot undo them; it says "no more credit as things stand".
    """

    ratification = "ratification"
    ratification_refused = "ratification_refused"


class Overdue(BaseModel):
    amount: Money = ZERO
    days: int = 0
    oldest_due_on: date | None = None


def overdue(deliveries: Iterable[tuple[date, Money]], receipts_total: Money, today: date) -> Overdue:
    """What is past due and unpaid on `today`: receipts settle deliveries oldest due first (FIFO).

    `deliveries` are (due_on, amount) in due order; a prepaid delivery is due the day it is made.
    Days overdue count from the due date of the oldest delivery the receipts do not cover.
    """
    covered = receipts_total
    amount = ZERO
    oldest: date | None = None
    for due_on, value in deliveries:
        if due_on >= today:
            break
        unpaid = value - covered if covered < value else ZERO
        covered = covered - value if covered > value else ZERO
        if unpaid > ZERO:
            amount += unpaid
            oldest = oldest or due_on
    return Overdue(amount=amount, days=(today - oldest).days if oldest else 0, oldest_due_on=oldest)


@enforces("003-6-risk-levels")
def risk_level(late: Overdue, limit: Money, rules: RiskRules) -> RiskLevel:
    """003 §6 (二): high when long overdue or a large share of the limit overdue; medium once overdue."""
    if late.amount <= ZERO:
        return RiskLevel.low
    share = late.amount / limit if limit > ZERO else Decimal("Infinity")
    if late.days >= rules.high_overdue_days or share >= rules.high_overdue_share:
        return RiskLevel.high
    if late.days >= rules.medium_overdue_days:
        return RiskLevel.medium
    return RiskLevel.low


def due_on(delivered_on: date, settlement: Settlement, term_days: int) -> date:
    """A credit delivery falls due after the term; a prepaid one was paid before (000 §13)."""
    return delivered_on + timedelta(days=term_days) if settlement is Settlement.periodic else delivered_on


class CreditStanding(BaseModel):
    """`GET /customers/{id}/credit`: what the customer may still take on credit, and why not."""

    customer_id: int
    settlement: Settlement
    limit: Money
    term_days: int
    balance: Money = Field(description="receipts minus deliveries; below zero is what the customer owes")
    outstanding: Money
    available: Money = Field(description="what a delivery may take now: balance plus the usable limit")
    overdue_amount: Money
    overdue_days: int
    grade: str
    risk_level: RiskLevel
    credit_blocked: bool = Field(description="high risk: no credit sale until a credit review decides (003 §6)")
    collateral: str | None = None
    collector: str | None = None
    credit_hold: CreditHold | None = Field(
        default=None, description="an imported delivery beyond the limit awaits, or was refused, ratification (001 §3)"
    )


def standing(
    *,
    customer_id: int,
    settlement: Settlement,
    limit: Money,
    term_days: int,
    balance: Money,
    late: Overdue,
    grade: str,
    risk: RiskLevel,
    blocked: bool,
    collateral: str | None = None,
    collector: str | None = None,
    hold: CreditHold | None = None,
) -> CreditStanding:
    usable = limit if settlement is Settlement.periodic and not blocked and hold is None else ZERO
    return CreditStanding(
        customer_id=customer_id,
        settlement=settlement,
        limit=limit,
        term_days=term_days,
        balance=balance,
        outstanding=-balance if balance < ZERO else ZERO,
        available=max(balance + usable, ZERO),
        overdue_amount=late.amount,
        overdue_days=late.days,
        grade=grade,
        risk_level=risk,
        credit_blocked=blocked,
        collateral=collateral,
        collector=collector,
        credit_hold=hold,
    )


class DrawRefusal(StrEnum):
    """Why a delivery may not be booked as it stands (the 409 `error` of `POST /customers/{id}/ledger`)."""

    payment_before_goods = "payment_before_goods"  # a prepaid customer short of funds (000 §9 (一), §13)
    over_limit = "over_limit"  # a credit customer past its limit: the GM may approve it (001 §3)
    credit_blocked = "credit_blocked"  # high risk: credit sales wait for the review (003 §6)
    credit_held = "credit_held"  # an imported delivery beyond the limit awaits ratification (001 §3, CreditHold)


def draw_refusal(standing: CreditStanding, amount: Money) -> tuple[DrawRefusal, str] | None:
    """Whether a delivery of `amount` fits what the customer may take; None when it does."""
    if amount <= standing.available:
        return None
    short = amount - standing.available
    figures = (
        f"balance {standing.balance:.2f}, limit {standing.limit:.2f}, outstanding {standing.outstanding:.2f}, "
        f"available {standing.available:.2f}, delivery {amount:.2f}, short by {short:.2f}"
    )
    if standing.credit_hold is CreditHold.ratification:
        return DrawRefusal.credit_held, (
            f"credit held: a delivery beyond the limit awaits the general manager's ratification (001 §3); {figures}"
        )
    if standing.credit_hold is CreditHold.ratification_refused:
        return DrawRefusal.credit_held, (
            "credit held: the general manager refused to ratify a delivery beyond the limit (001 §3); "
            f"a credit review decides the terms (001 信用审核); {figures}"
        )
    if standing.credit_blocked:
        return DrawRefusal.credit_blocked, f"risk high: credit sales wait for the credit review (003 §6); {figures}"
    if standing.settlement is Settlement.periodic:
        return DrawRefusal.over_limit, f"over the credit limit: the general manager approves (001 §3); {figures}"
    return DrawRefusal.payment_before_goods, f"payment before goods (000 §13 先款后货); {figures}"


@enforces("000-13-payment-before-goods", "001-credit-3-gm-ratifies-import", "003-6-high-risk-measures")
def ratification_problem(
    settlement: Settlement | None, hold: CreditHold | None = None, blocked: bool = False
) -> str | None:
    """Whether a delivery the general manager approved beyond the limit (001 §3) may still be booked.

    001 §3 lets the GM exceed a *credit* range; it puts nobody on credit. A prepaid customer (a
    station's 000 §9 (一) customer included) is put on credit only by the credit application of
    000 §13, so when the customer is prepaid at the moment the approval applies (credit withdrawn
    while the GM decided, or never granted) the delivery is not booked: it would be credit given
    by a side door, a negative prepaid balance.

    Nor when credit is held (`CreditHold`: an import's delivery beyond the limit awaits, or was
    refused, the GM's ratification, 001 §3) or blocked for a credit review (high risk, 003 §6) at
    that moment: the approval was given on the standing the GM saw; a hold or a block since then
    stops every credit sale until its own decision, the approved one included."""
    if settlement is not Settlement.periodic:
        return (
            "the customer pays before goods (000 §9 (一), §13): a delivery beyond its funds needs credit "
            "granted by a credit application, not the general manager's over-limit approval (001 §3)"
        )
    if hold is not None:
        return (
            f"credit is held ({hold.value}): a delivery beyond the limit awaits or was refused the general "
            "manager's ratification (001 §3); the approved delivery is not booked"
        )
    if blocked:
        return "risk high: credit sales wait for the credit review (003 §6); the approved delivery is not booked"
    return None


# --- the processes of credit: names, ids and start inputs shared by the API and the workflows ------


class ReviewOccasion(StrEnum):
    semiannual = "semiannual"  # 001 信用审核: 每年两次 — January and July
    risk = "risk"  # 003 §6: the customer turned high risk; credit sales wait for this review
    manual = "manual"  # opened by the marketing manager by hand (`POST /customers/{id}/credit-reviews`)


def credit_application_workflow_id(credit_code: str, token: str) -> str:
    """Ids carry the credit code: test databases sharing one Temporal namespace reuse row ids."""
    return f"credit-application-{credit_code}-{token}"


def over_limit_workflow_id(credit_code: str, token: str) -> str:
    return f"credit-over-limit-{credit_code}-{token}"


def ratification_workflow_id(credit_code: str, token: str) -> str:
    """The GM's ratification of imported deliveries beyond the limit (001 §3): its own prefix, so the
    running ones of a customer are found by their ids."""
    return f"{RATIFICATION_PREFIX}{credit_code}-{token}"


RATIFICATION_PREFIX = "credit-ratification-"


def credit_review_workflow_id(credit_code: str, occasion: ReviewOccasion, key: str) -> str:
    """One review per customer and occasion: `key` is the half year (2027H1) or the moment the risk
    turned high (20270105T093000), so a second start of the same review is harmless."""
    return f"credit-review-{credit_code}-{occasion.value}-{key}"


def collection_workflow_id(credit_code: str, month: str) -> str:
    """One month-end collection per customer and month (000 §13 全部货款必须在月末收回)."""
    return f"credit-collection-{credit_code}-{month}"


class CreditCustomer(BaseModel):
    """The customer a credit process is about, as its subject and unit need it."""

    customer_id: int
    credit_code: str
    name: str
    unit: str | None = None


class CreditReviewInput(BaseModel):
    customer: CreditCustomer
    occasion: ReviewOccasion
    key: str = Field(max_length=20)
    # a review opened by hand (occasion manual): who asked for it and why
    requested_by: str | None = None
    reason: str | None = None
