"""Response models of the HTTP API (requests reuse the domain models)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from domain.models import ProcessStatus


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


class TaskOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    task_id: str
    process_id: str
    process_type: str
    step: str
    step_title: str
    role: str
    unit_code: str | None
    assignee: str | None
    subject: str
    round: int
    status: str
    created_at: datetime
    due_at: datetime | None
    decided_at: datetime | None = None
    decided_by: str | None = None
    outcome: str | None = None
    comment: str | None = None


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
    started_at: datetime
    updated_at: datetime


class ProcessDetailOut(ProcessOut):
    open_tasks: list[TaskOut]


class HistoryEntry(BaseModel):
    at: datetime
    actor: str
    action: str
    step: str | None = None
    outcome: str | None = None
    comment: str | None = None
    round: int | None = None


class DocumentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    type: str
    number: str
    issuer: str | None
    valid_until: date | None
    stamped_copy: bool


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
    created_at: datetime
    created_by: str
    onboarding_process_id: str
    documents: list[DocumentOut]


class CustomerDetailOut(CustomerOut):
    approval_trail: list[HistoryEntry]
