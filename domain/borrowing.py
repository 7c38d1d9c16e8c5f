"""File borrowing 档案借阅 (002 rule 1, 004 §3) and the register reviews of February and August (004 §4).

Pure rules and the boundary models of both processes: who keeps a file, when a loan is due, what a
review may decide. The workflows (workflows/borrowing.py, workflows/register_review.py) and the API
read them from here.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from enum import StrEnum

from pydantic import BaseModel, Field

from domain.approvals import ChainSpec
from domain.china_time import CHINA
from domain.models import Actor
from domain.roles import UNIT_SCOPED_ROLES, Role
from domain.rulebook import enforces
from domain.text import StoredText

# Assumption (002 rule 1 asks for a return date and for overdue loans to be pursued, but names no
# hour or notice): a loan is due at the close of business on its return date, and the borrower is
# reminded one day before.
LOAN_DUE_TIME = time(18, 0)
LOAN_REMIND_BEFORE = timedelta(hours=24)
# Assumption: the longest loan one request may ask for (a register entry must say when it comes back).
LOAN_MAX_DAYS = 90

# Who keeps a unit's customer files by the unit's kind: the depot or station manager for their unit
# (000 §5), head-office marketing for head-office files (the archive's custodian, 002 rule 3 §4).
KEEPER_OF_KIND: dict[str, Role] = {"depot": Role.depot_manager, "station": Role.station_manager}
HEAD_OFFICE_KEEPER = Role.marketing_manager

# Who records a return besides the keeping unit's manager: finance (004 §3, the approving section),
# and the clerk of a head-office file.
RETURN_RECORDERS = frozenset({Role.finance_reviewer, Role.sales_clerk})


def keeper_role(unit_kind: str | None) -> Role:
    return KEEPER_OF_KIND.get(unit_kind or "", HEAD_OFFICE_KEEPER)


def keeper_unit(role: Role, unit: str) -> str | None:
    """The unit a keeper's task is scoped to: only the per-unit roles (000 §5)."""
    return unit if role in UNIT_SCOPED_ROLES else None


def loan_due(return_by: date) -> datetime:
    """The moment a loan falls overdue: close of business on the return date, China time."""
    return datetime.combine(return_by, LOAN_DUE_TIME, tzinfo=CHINA)


@enforces("002-1-return-checked-by-keeper")
def may_record_return(actor: Actor, owner_unit: str, keeper: Role) -> bool:
    """The file's keeper takes it back: the keeping unit's manager, finance, or (head office) marketing."""
    if any(actor.has(role) for role in RETURN_RECORDERS):
        return True
    if not actor.has(keeper):
        return False
    return keeper not in UNIT_SCOPED_ROLES or actor.unit == owner_unit


class LoanStatus(StrEnum):
    requested = "requested"
    lent = "lent"
    returned = "returned"
    refused = "refused"
    withdrawn = "withdrawn"


class OutsiderReader(BaseModel):
    """外单位人员 (002 rule 1 第二节 第一条): someone of another organisation reads a file on business,
    with their unit's introduction letter; the colleague who receives them files the request and the
    register names the reader, their organisation and the letter."""

    name: StoredText = Field(min_length=1, max_length=80, description="查阅人")
    organisation: StoredText = Field(min_length=1, max_length=200, description="工作单位")
    introduction_letter: StoredText | None = Field(
        default=None, max_length=100, description="单位介绍信: its number and date (required, 002 rule 1)"
    )


@enforces("002-1-outsider-introduction-letter")
def outsider_problem(outsider: OutsiderReader) -> str | None:
    """Why an outsider may not borrow: without their unit's introduction letter (002 rule 1)."""
    if not (outsider.introduction_letter or "").strip():
        who = f"{outsider.name} of {outsider.organisation}"
        return f"{who} reads a file only with their unit's introduction letter (002 rule 1)"
    return None


@enforces("002-1-loan-register")
class BorrowingInput(BaseModel):
    """The start of one loan: frozen with the chain as configured when it was asked for."""

    chain: ChainSpec
    customer_id: int
    customer_name: str
    owner_unit: str
    keeper: Role
    purpose: str
    return_by: date
    due_at: datetime
    applicant: Actor  # the borrower (named as every process names its applicant, for the audit trail)
    unit_path: list[str] = Field(default_factory=list)
    outsider: OutsiderReader | None = None  # an outsider's reading, filed by the colleague receiving them


class ReturnRequest(BaseModel):
    actor: Actor
    note: StoredText | None = Field(default=None, max_length=500)


class LoanRow(BaseModel):
    """The borrowing register's line, as the workflow sees it now."""

    process_id: str
    workflow_id: str
    customer_id: int
    borrower: str
    borrower_unit: str | None
    owner_unit: str
    purpose: str
    return_by: date
    status: LoanStatus
    requested_at: datetime
    lent_at: datetime | None = None
    approved_by: str | None = None
    returned_at: datetime | None = None
    return_recorded_by: str | None = None
    overdue_level: int = 0
    outsider_name: str | None = None
    outsider_organisation: str | None = None
    introduction_letter: str | None = None


# --- register reviews (004 §4 (二): twice a year, February and August) ------------------------------


class ReviewResult(StrEnum):
    confirm = "confirm"  # still trading: the card stays as it is
    suspend = "suspend"  # 交易中止 (004 §6)
    past = "past"  # 交易过去 (004 §6)


RESULT_STATUS: dict[ReviewResult, str | None] = {
    ReviewResult.confirm: None,
    ReviewResult.suspend: "suspended",
    ReviewResult.past: "past",
}


class ReviewRound(BaseModel):
    """What the schedule starts; `period` None: the month the round runs in (China time)."""

    period: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}$")


class ReviewUnits(BaseModel):
    units: list[UnitToReview] = Field(default_factory=list)


class UnitToReview(BaseModel):
    unit: str
    kind: str


class ReviewInput(BaseModel):
    period: str
    unit: str
    keeper: Role
    applicant: Actor = Actor(username="system")  # the schedule opens it: shown as submitted by "system"


class ReviewOpening(BaseModel):
    """The unit's register as the review opens: one line per customer, no result yet."""

    review_id: str
    unit: str
    period: str


class ReviewDecision(BaseModel):
    """The reviewer's results per customer; a customer of the list not named is confirmed."""

    actor: Actor
    results: dict[int, ReviewResult] = Field(default_factory=dict)
    comment: StoredText | None = Field(default=None, max_length=2000)


class ReviewRecord(BaseModel):
    review_id: str
    period: str
    comment: str | None = None
    results: dict[int, ReviewResult]
    decided_by: str
    decided_at: datetime


def review_summary(record: ReviewRecord) -> str:
    """What finance is told of a unit's review (004 §4 (二)): the count of each result, and which
    customers left the active register."""
    counts = {result: sum(1 for r in record.results.values() if r is result) for result in ReviewResult}
    moved = sorted(c for c, r in record.results.items() if r is not ReviewResult.confirm)
    text = ", ".join(f"{result.value} {count}" for result, count in counts.items())
    return f"review {record.period} by {record.decided_by}: {text}" + (f"; changed: {moved}" if moved else "")


ReviewUnits.model_rebuild()
