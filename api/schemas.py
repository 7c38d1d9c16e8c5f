"""Response models of the HTTP API (requests reuse the domain models)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from domain.china_time import ChinaTime
from domain.history import HistoryEntry
from domain.models import ProcessStatus
from domain.rule_change import RuleVersionRef
from domain.treatment import Treatment


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"


class MeOut(BaseModel):
    username: str
    full_name: str
    roles: list[str]
    unit: str | None


class ProcessStateOut(BaseModel):
    """What every decision and start answers: where the process stands now."""

    process_id: str
    status: ProcessStatus
    current_step: str | None
    customer_id: int | None = None
    open_task_ids: list[str] = Field(default_factory=list)
    holders: list[str] = Field(default_factory=list)  # who the process waits for: users, or role@unit
    due_at: ChinaTime | None = None


class TaskOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    task_id: str
    process_id: str
    process_type: str
    step: str
    step_title: str
    role: str
    unit_code: str | None
    unit_parents: bool = False
    assignee: str | None
    on_behalf_of: str | None = None
    delegated_by: str | None = None
    claimed_by: str | None = None
    subject: str
    round: int
    status: str
    created_at: ChinaTime
    due_at: ChinaTime | None
    due_provisional: bool = False
    overdue: bool = False
    escalation_level: int = 0
    decided_at: ChinaTime | None = None
    decided_by: str | None = None
    outcome: str | None = None
    comment: str | None = None


class InboxOut(BaseModel):
    """One page of my open tasks; `counts` covers every page of the same filters."""

    items: list[TaskOut]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null on the last page")
    counts: dict[str, int] = Field(description="open tasks per process type over the filtered set")


class ProcessOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    process_id: str
    workflow_id: str
    process_type: str
    status: ProcessStatus
    current_step: str | None
    subject: str
    subject_key: str | None
    applicant: str
    customer_id: int | None
    unit_code: str | None = None
    started_at: ChinaTime
    updated_at: ChinaTime
    failure_reason: str | None = None  # status `failed`: the write the database refused, and why
    failed_at: ChinaTime | None = None


class ProcessListOut(ProcessOut):
    """A listed process with who it waits for and the earliest due date of its open tasks."""

    holders: list[str] = Field(default_factory=list, description="assignee, claimer, or role@unit of each open task")
    due_at: ChinaTime | None = None


class ProcessDetailOut(ProcessOut):
    open_tasks: list[TaskOut]
    # The rule versions the process pinned at its start and runs under to its end (issue 21 §3)
    rule_versions: list[RuleVersionRef] = Field(default_factory=list)


class DocumentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    type: str
    number: str
    issuer: str | None
    valid_until: date | None
    stamped_copy: bool
    original: bool = False  # the original was handed over (a delegate's power of attorney, 000 §6 item 9)


class CustomerOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    credit_code: str
    name: str
    kind: str
    status: str
    grade: str
    address: str
    legal_representative: str
    phone: str
    card: dict[str, Any]
    trading_since: date
    created_at: ChinaTime
    created_by: str
    onboarding_process_id: str
    documents: list[DocumentOut]
    # issue 11 §3: the rest of the card (000 §10 (三), 001), the owning unit and person, destruction
    unit_code: str
    owner_person: str | None = None
    postcode: str | None = None
    fax: str | None = None
    owner: str | None = None
    manager: str | None = None
    organisation_form: str | None = None
    industry: str | None = None
    scale: str | None = None
    business_scope: str | None = None
    registered_capital: Decimal | None = None
    registration_authority: str | None = None
    registered_on: date | None = None
    employees: int | None = None
    revenue: Decimal | None = None
    net_assets: Decimal | None = None
    bank_name: str | None = None
    bank_account: str | None = None
    foreign_currency_account: str | None = None
    bank_rating: str | None = None
    destroyed_at: ChinaTime | None = None
    destroyed_by: str | None = None


class CustomerDetailOut(CustomerOut):
    approval_trail: list[HistoryEntry]
    treatment: Treatment | None = None  # issue 20 item 10: what the grade entitles to (domain/treatment.py)
