"""Boundary models of the complaint process (inputs and outputs of workflow, updates, routes)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from domain.complaints import ComplaintRecord, ComplaintStage, InvestigationReport, Remedy, ReplyMethod
from domain.models import Actor, ProcessStatus
from domain.text import StoredText


class ComplaintInput(BaseModel):
    record: ComplaintRecord
    registered_by: Actor
    unit: str | None = None


class InvestigateRequest(BaseModel):
    actor: Actor
    report: InvestigationReport


class VerdictRequest(BaseModel):
    """001: the technical department's verdict with a return report or compensation notice."""

    actor: Actor
    remedy: Remedy
    verdict: StoredText = Field(min_length=1, max_length=3000)


class RemedyRequest(BaseModel):
    actor: Actor
    note: StoredText = Field(min_length=1, max_length=3000)


class ReplyRequest(BaseModel):
    """The resolution and the reply to the customer, in writing or by phone (001)."""

    actor: Actor
    resolution: StoredText = Field(min_length=1, max_length=3000)
    method: ReplyMethod
    reply: StoredText = Field(min_length=1, max_length=3000)


class ExtensionRequest(BaseModel):
    actor: Actor
    reason: StoredText = Field(min_length=1, max_length=2000)


class ComplaintView(BaseModel):
    process_id: str
    status: ProcessStatus  # running | closed
    stage: ComplaintStage
    current_step: str | None  # the stage while open; None once closed
    severity: str
    handler: str | None
    due_at: datetime | None
    due_provisional: bool
    unknown_years: list[int] = Field(default_factory=list)
    escalation_level: int
    escalated_to: str | None
    overdue: bool
    extension: str | None  # None | pending | approved | rejected
    current_task_id: str | None
    closed_at: datetime | None = None
    open_task_ids: list[str] = Field(default_factory=list)  # the stage's, the extension's, the 督办 tasks
    holders: list[str] = Field(default_factory=list)  # who the complaint waits for: users, or role@unit


class ComplaintProjection(BaseModel):
    process_id: str
    workflow_id: str
    record: ComplaintRecord
    registered_by: str
    unit_code: str | None
    view: ComplaintView
    details: dict[str, object]
    updated_at: datetime
