"""Boundary models: the inputs and outputs of every workflow, update, activity and route.

Pydantic models travel through Temporal with the SDK's pydantic data converter, so the
workflow, the worker and the API agree on one shape; no ORM object ever crosses a boundary.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, Field, field_validator

from domain.approvals import Outcome
from domain.credit_code import credit_code_problem
from domain.documents import Document
from domain.roles import Role


class ProcessStatus(StrEnum):
    running = "running"
    approved = "approved"
    rejected = "rejected"
    withdrawn = "withdrawn"
    returned = "returned"  # waiting for the applicant to correct and resubmit
    closed = "closed"  # a complaint closed with its resolution and reply

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


class CustomerData(BaseModel):
    """The customer card (客户档案卡): 000 §10 fields plus the 001 summary form."""

    name: str = Field(min_length=2, max_length=200)
    credit_code: str
    kind: CustomerKind
    address: str = Field(min_length=2, max_length=300)
    legal_representative: str = Field(min_length=1, max_length=100)
    phone: str = Field(min_length=5, max_length=40)
    postcode: str | None = Field(default=None, pattern=r"^\d{6}$")
    fax: str | None = None
    contact_person: str | None = None
    manager: str | None = None
    organisation_form: str | None = None
    industry: str | None = None
    scale: str | None = None
    business_scope: str | None = None
    registered_capital: Decimal | None = Field(default=None, ge=0)
    registration_authority: str | None = None
    registered_on: date | None = None
    employees: int | None = Field(default=None, ge=0)
    bank_name: str | None = None
    bank_account: str | None = None
    delegate: str | None = Field(default=None, description="Name of a delegate acting for the legal representative")

    @field_validator("credit_code")
    @classmethod
    def _valid_credit_code(cls, value: str) -> str:
        value = value.strip().upper()
        problem = credit_code_problem(value)
        if problem:
            raise ValueError(f"unified social credit code {problem}")
        return value


class OnboardingApplication(BaseModel):
    customer: CustomerData
    documents: list[Document]


class OnboardingInput(BaseModel):
    application: OnboardingApplication
    applicant: Actor


# --- the approval-step mechanism ------------------------------------------------------------


class TaskSpec(BaseModel):
    """A human step waiting in an inbox; written to the task table by an activity."""

    task_id: str
    process_id: str
    workflow_id: str
    process_type: str
    step: str
    step_title: str
    role: Role
    unit: str | None = None
    assignee: str | None = None
    subject: str
    round: int = 1
    created_at: datetime
    due_at: datetime | None = None


class TaskClosure(BaseModel):
    task_id: str
    status: str  # done | cancelled
    outcome: Outcome | None = None
    decided_by: str | None = None
    decided_at: datetime
    comment: str | None = None


class DecisionRequest(BaseModel):
    """An approver's decision, sent as a Temporal Update whose id derives from the task."""

    task_id: str
    step: str
    outcome: Outcome
    comment: str | None = Field(default=None, max_length=2000)
    actor: Actor


class DecisionRecord(BaseModel):
    """Who decided what, when and why: kept in workflow state and in the event history."""

    task_id: str
    step: str
    round: int
    outcome: Outcome
    comment: str | None
    actor: str
    at: datetime


class ResubmitRequest(BaseModel):
    actor: Actor
    application: OnboardingApplication
    comment: str | None = Field(default=None, max_length=2000)


class WithdrawRequest(BaseModel):
    actor: Actor
    reason: str = Field(min_length=1, max_length=2000)


class ProcessView(BaseModel):
    """A process as the API shows it right after an update or query."""

    process_id: str
    process_type: str
    status: ProcessStatus
    current_step: str | None
    customer_id: int | None = None
    round: int = 1
    open_task_ids: list[str] = Field(default_factory=list)


class ProcessProjection(BaseModel):
    """The process row the inbox and the auditors' list read; Temporal stays the source of truth."""

    process_id: str
    workflow_id: str
    process_type: str
    status: ProcessStatus
    current_step: str | None
    subject: str
    subject_key: str | None = None
    applicant: str
    customer_id: int | None = None
    started_at: datetime
    updated_at: datetime


class CustomerCreation(BaseModel):
    process_id: str
    customer: CustomerData
    documents: list[Document]
    created_by: str
    approved_at: datetime
