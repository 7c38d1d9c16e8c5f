"""Boundary models: the inputs and outputs of every workflow, update, activity and route.

Pydantic models travel through Temporal with the SDK's pydantic data converter, so the
workflow, the worker and the API agree on one shape; no ORM object ever crosses a boundary.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field, field_validator

from domain.approvals import ChainSpec, Outcome
from domain.china_time import ChinaTime
from domain.credit_code import credit_code_problem, normalised
from domain.documents import Document, RequiredDocuments
from domain.examples import CUSTOMER_CARD, ONBOARDING_DOCUMENTS, examples
from domain.roles import Role
from domain.rulebook import enforces
from domain.taxpayer import TaxpayerCheck
from domain.text import Fitted, Int32, StoredText, Username


class ProcessStatus(StrEnum):
    running = "running"
    approved = "approved"
    rejected = "rejected"
    withdrawn = "withdrawn"
    returned = "returned"  # waiting for the applicant to correct and resubmit
    closed = "closed"  # a complaint closed with its resolution and reply
    failed = "failed"  # a write the database refused: waits for an admin's repair, or was abandoned

    @property
    def is_open(self) -> bool:
        return self in {ProcessStatus.running, ProcessStatus.returned}


class Actor(BaseModel):
    """Who acts: the API authenticates, the workflow checks the roles against the step."""

    username: str
    full_name: str = ""
    roles: list[Role] = Field(default_factory=list)
    unit: str | None = None

    def has(self, role: Role) -> bool:
        return role in self.roles


class CustomerKind(StrEnum):
    """000 §6: allocation self-sale and allocation settlement customers (配置自销 / 配置结算)."""

    allocation_self_sale = "allocation_self_sale"
    allocation_settlement = "allocation_settlement"
    external_trade = "external_trade"  # 000 §2, §7: 外采外销单位, created once a tender is awarded
    depot_social = "depot_social"  # 000 §8 (一): a social customer of a depot office 社会客户
    depot_station = "depot_station"  # 000 §8 (二): a gas station buying from the depot
    station_prepaid = "station_prepaid"  # 000 §9: a prepaid customer of a gas station 预付款客户


# 000 §6 (一): the allocation approval (配置客户资信审批) is for allocation self-sale and settlement
# customers only; an external-trade customer is created by its tender award (000 §7 (六)).
ONBOARDING_KINDS: frozenset[CustomerKind] = frozenset(
    {CustomerKind.allocation_self_sale, CustomerKind.allocation_settlement}
)


@enforces("000-6-allocation-customers")
def onboarding_kind_problem(kind: CustomerKind) -> str | None:
    """Why onboarding cannot take a customer of this kind (000 §6 (一)); None when it can."""
    if kind in ONBOARDING_KINDS:
        return None
    allowed = ", ".join(sorted(k.value for k in ONBOARDING_KINDS))
    origin = ""
    if kind is CustomerKind.external_trade:
        origin = " (created only by the external-trade process on a tender award, 000 §7 (六))"
    return f"customer kind {kind.value}{origin} is not onboarded here: 000 §6 approves {allowed} customers only"


@enforces("000-10-card-fields")
class CustomerData(BaseModel):
    """The customer card (客户档案卡): 000 §10 fields plus the 001 summary form."""

    name: StoredText = Field(min_length=2, max_length=200)
    credit_code: StoredText = Field(max_length=40)  # normalised and checked below: 18 characters
    kind: CustomerKind
    address: StoredText = Field(min_length=2, max_length=300)
    legal_representative: StoredText = Field(min_length=1, max_length=100)
    phone: StoredText = Field(min_length=5, max_length=40)
    postcode: str | None = Field(default=None, pattern=r"^\d{6}$")
    # The fields below are kept in the card (JSON): bounded so that a card stays a card.
    fax: StoredText | None = Field(default=None, max_length=40)
    contact_person: StoredText | None = Field(default=None, max_length=100)
    manager: StoredText | None = Field(default=None, max_length=100)
    organisation_form: StoredText | None = Field(default=None, max_length=100)
    industry: StoredText | None = Field(default=None, max_length=100)
    scale: StoredText | None = Field(default=None, max_length=100)
    business_scope: StoredText | None = Field(default=None, max_length=2000)
    registered_capital: Decimal | None = Field(default=None, ge=0, max_digits=18, decimal_places=2)
    registration_authority: StoredText | None = Field(default=None, max_length=200)
    registered_on: date | None = None
    employees: Int32 | None = Field(default=None, ge=0)
    bank_name: StoredText | None = Field(default=None, max_length=200)
    bank_account: StoredText | None = Field(default=None, max_length=64)
    delegate: StoredText | None = Field(
        default=None, max_length=100, description="Name of a delegate acting for the legal representative"
    )
    general_taxpayer: bool | None = Field(
        default=None, description="VAT general taxpayer per the tax bureau (000 §8 (一), §9 (二)); None: not checked"
    )
    # 000 §8 (一): who checked with the tax bureau, when, where and with what result (required of a
    # depot's social customer; kept in the card, so the customer's file shows it).
    taxpayer_check: TaxpayerCheck | None = None

    @field_validator("credit_code")
    @classmethod
    def _valid_credit_code(cls, value: str) -> str:
        value = normalised(value)
        problem = credit_code_problem(value)
        if problem:
            raise ValueError(f"unified social credit code {problem}")
        return value


class OnboardingApplication(BaseModel):
    model_config = examples({"customer": CUSTOMER_CARD, "documents": ONBOARDING_DOCUMENTS})

    customer: CustomerData
    documents: list[Document]


class OnboardingInput(BaseModel):
    application: OnboardingApplication
    applicant: Actor
    unit_path: list[str] = Field(default_factory=list)  # the applicant's unit and those above it
    # The 000 §6 chain as configured when the application was filed (step deadlines); None: as declared.
    chain: ChainSpec | None = None
    # The version of the 000 §6 document list in force when it was filed, checked to its end (新老划断;
    # issue 21 §3); None: filed before the list was versioned, the nine documents declared.
    required: RequiredDocuments | None = None


class ApprovalInput(BaseModel):
    """A declared chain run on its own (通用审批): the chain is frozen into the start, so the
    history says exactly which steps were asked for even if the declaration changes later."""

    chain: ChainSpec
    subject: StoredText = Field(min_length=1, max_length=200)
    applicant: Actor
    unit: str | None = None  # the unit the process acts for; default the applicant's
    unit_path: list[str] = Field(default_factory=list)
    signers: dict[str, list[str]] = Field(default_factory=dict)  # named signers per step
    detail: StoredText | None = Field(default=None, max_length=5000)


# --- the approval-step mechanism ------------------------------------------------------------


def holder_of(assignee: str | None, claimed_by: str | None, role: str, unit: str | None) -> str:
    """Who a task waits for: the named person, the claimer, or role@unit (the role alone)."""
    return assignee or claimed_by or (f"{role}@{unit}" if unit else role)


class TaskSpec(BaseModel):
    """A human step waiting in an inbox; written (and re-written when it moves) by the process's sync.

    A task is for one seat of a step: a role in a unit (any holder may take it) or a named person.
    """

    task_id: str
    process_id: str
    workflow_id: str
    process_type: str
    step: str
    step_title: Annotated[str, Fitted(200)]  # derived (a title, an escalation level): cut to the column
    role: Role | None = None
    unit: str | None = None
    unit_parents: bool = False  # holders of the role in a unit above `unit` may act too
    assignee: str | None = None  # a named person (leader, named signer, delegate, transferee, deputy)
    on_behalf_of: str | None = None  # the person an out-of-office deputy stands in for
    delegated_by: str | None = None  # 委托: the delegator gets the task back for the final decision
    claimed_by: str | None = None  # a role task one holder claimed for themself
    subject: Annotated[str, Fitted(200)]  # derived from names and categories: cut to the column
    round: int = 1
    created_at: datetime
    due_at: datetime | None = None
    due_provisional: bool = False
    overdue: bool = False
    escalation_level: int = 0
    comment: str | None = None  # why the task is there (a return's reason on "correct and resubmit")

    @property
    def holder(self) -> str:
        return holder_of(self.assignee, self.claimed_by, self.role.value if self.role else "?", self.unit)


class TaskClosure(BaseModel):
    task_id: str
    status: str  # done | cancelled
    outcome: Outcome | None = None
    decided_by: str | None = None
    decided_at: datetime
    comment: str | None = None


class WatcherSpec(BaseModel):
    """抄送/知会: a user or a role copied on a process (notified, may read it, no task)."""

    watcher_id: str
    process_id: str
    username: str | None = None
    role: Role | None = None
    added_by: str
    step: str | None = None
    added_at: datetime


class Seat(BaseModel):
    """Who sits on one seat of a step, as resolved when the step opened."""

    role: Role | None = None
    user: str | None = None
    on_behalf_of: str | None = None  # `user` is the deputy of this absent person
    note: str | None = None


class SeatQuery(BaseModel):
    """What a step needs resolved against the organisation when it opens (leaders, holders, deputies)."""

    step: str
    roles: list[Role] = Field(default_factory=list)
    every_holder: bool = False
    named: list[str] = Field(default_factory=list)
    leader_level: int | None = None
    applicant_unit: str | None = None
    unit: str | None = None
    unit_parents: bool = False
    at: datetime


class SeatAnswer(BaseModel):
    seats: list[Seat] = Field(default_factory=list)
    note: str | None = None  # e.g. why a leader level was empty


class UnitPath(BaseModel):
    """A unit and the units above it, nearest first (000 §5: tiered execution)."""

    units: list[str] = Field(default_factory=list)


class DecisionRequest(BaseModel):
    """An approver's decision, sent as a Temporal Update whose id derives from the task."""

    task_id: str
    step: str
    outcome: Outcome
    comment: StoredText | None = Field(default=None, max_length=2000)
    actor: Actor
    return_to: StoredText | None = Field(
        default=None, max_length=60, description="an earlier step; None: the applicant"
    )
    cc: list[Username] = Field(default_factory=list, max_length=20, description="users copied on the decision")
    on_behalf_of: str | None = None  # filled by the API from the task: the deputy's or delegate's principal


class DecisionRecord(BaseModel):
    """Who decided what, when and why: kept in workflow state and in the event history."""

    task_id: str
    step: str
    round: int
    outcome: Outcome
    comment: str | None
    actor: str
    at: ChinaTime


class HandOverKind(StrEnum):
    delegate = "delegate"  # 委托: comes back to the delegator for the final decision
    transfer = "transfer"  # 转办: moves for good


class HandOverRequest(BaseModel):
    task_id: str
    kind: HandOverKind
    actor: Actor
    to: Actor  # the target, looked up by the API: the workflow checks the step's role on it
    comment: StoredText | None = Field(default=None, max_length=2000)
    # The target is out of office: their deputy takes the task on their behalf (looked up by the API).
    deputy: Actor | None = None


class SignerPosition(StrEnum):
    before = "before"  # 前加签: the added signer decides first, then the task comes back
    after = "after"  # 后加签: the added signer's step follows this one


class AddSignerRequest(BaseModel):
    task_id: str
    actor: Actor
    signer: Actor
    position: SignerPosition
    reason: StoredText = Field(min_length=1, max_length=2000)


class ClaimRequest(BaseModel):
    task_id: str
    actor: Actor
    release: bool = False  # unclaim


class UrgeRequest(BaseModel):
    """催办: a nudge to the current holders, at most once per the chain's interval."""

    actor: Actor
    comment: StoredText | None = Field(default=None, max_length=500)


class CalendarChanged(BaseModel):
    """Signal: an administrator entered or changed these years; provisional deadlines re-plan."""

    years: list[int]
    changed_by: str = "admin"


class DeadlineReplan(BaseModel):
    """A step's deadline moved because the calendar changed: both kept for the auditors."""

    step: str
    previous: datetime
    deadline: datetime
    provisional: bool


class ResubmitRequest(BaseModel):
    actor: Actor
    application: OnboardingApplication
    comment: StoredText | None = Field(default=None, max_length=2000)


class WithdrawRequest(BaseModel):
    actor: Actor
    reason: StoredText = Field(min_length=1, max_length=2000)


class ProcessView(BaseModel):
    """A process as the API shows it right after an update or query."""

    process_id: str
    process_type: str
    status: ProcessStatus
    current_step: str | None
    customer_id: int | None = None
    round: int = 1
    open_task_ids: list[str] = Field(default_factory=list)
    holders: list[str] = Field(default_factory=list)  # who the process waits for: users, or role@unit
    due_at: datetime | None = None


class ProcessProjection(BaseModel):
    """The process row the inbox and the auditors' list read; Temporal stays the source of truth."""

    process_id: str
    workflow_id: str
    process_type: str
    status: ProcessStatus
    current_step: str | None
    subject: Annotated[str, Fitted(200)]
    subject_key: str | None = None
    applicant: str
    customer_id: int | None = None
    unit_code: str | None = None
    started_at: datetime
    updated_at: datetime


class CustomerCreation(BaseModel):
    process_id: str
    customer: CustomerData
    documents: list[Document]
    created_by: str
    approved_at: datetime
