"""The whole case behind a task, as an approver needs it (issue 23 "Approvers"): the customer card
with its documents and their validity, and who holds each seat of the steps still ahead.

Read only; every record goes through api/visibility (a customer the viewer may not read is left
out, never shown in part). Validity is 000 §6's rule, `domain.documents.expired_documents`' reading:
a document is in force through its `valid_until` day, China time."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from activities.credit_policy import credit_standing
from activities.process_store import step_facts, unit_path
from api.errors import AppError, NotFound
from api.services.credit import today
from api.services.users import find_actor
from api.visibility import Viewer, get_customer
from db.models import AuditRecord, Customer, Process
from domain.approvals import CHAINS, StepSpec
from domain.credit import CreditStanding
from domain.documents import Document
from domain.models import OnboardingApplication


@dataclass(frozen=True)
class DocumentLine:
    type: str
    number: str
    valid_until: date | None
    expired: bool


@dataclass(frozen=True)
class CustomerCard:
    """The customer as the case knows it: the file once created, else the application as filed."""

    name: str
    credit_code: str
    kind: str
    unit_code: str | None
    grade: str | None  # None: not graded yet (an application)
    documents: list[DocumentLine] = field(default_factory=list)
    standing: CreditStanding | None = None
    filed: bool = True  # False: still an application, no customer file yet


@dataclass(frozen=True)
class StepAhead:
    step: StepSpec
    holders: list[str]  # the users who would hold its seats today (a few per role), possibly none


def in_force(valid_until: date | None, on: date) -> bool:
    """000 §6: a document without an expiry date, or valid until `on` or later, is in force."""
    return valid_until is None or valid_until >= on


def document_lines(documents: list[Any], on: date) -> list[DocumentLine]:
    return [
        DocumentLine(str(getattr(d.type, "value", d.type)), d.number, d.valid_until, not in_force(d.valid_until, on))
        for d in documents
    ]


async def _filed_customer(session: AsyncSession, viewer: Viewer, customer_id: int) -> CustomerCard | None:
    try:
        customer: Customer = await get_customer(session, viewer, customer_id)
    except NotFound:
        return None
    try:
        standing: CreditStanding | None = await credit_standing(session, customer.id)
    except LookupError:
        standing = None
    await session.refresh(customer, ["documents"])
    return CustomerCard(
        name=customer.name,
        credit_code=customer.credit_code,
        kind=customer.kind,
        unit_code=customer.unit_code,
        grade=customer.grade,
        documents=document_lines(list(customer.documents), today()),
        standing=standing,
    )


FILINGS = ("submitted", "resubmitted")  # the acts whose request carries the application (domain/history.py)


async def _application(session: AsyncSession, process: Process) -> OnboardingApplication | None:
    """The onboarding as last filed: the application of its latest filing act in the audit record
    (the start's input, or a resubmission's request: workflows/audit.py records both in full), so
    the card outlives Temporal's retention and reads no workflow history."""
    records = await session.scalars(
        select(AuditRecord.details)
        .where(AuditRecord.process_id == process.process_id, AuditRecord.action.in_(FILINGS))
        .order_by(AuditRecord.position.desc())
    )
    for details in records:
        sent = details.get("input") or details.get("request") or {}
        try:
            return OnboardingApplication.model_validate(sent.get("application"))
        except ValidationError:  # a record of another shape: look further back
            continue
    return None


async def customer_card(session: AsyncSession, viewer: Viewer, process: Process) -> CustomerCard | None:
    """The customer the process is about, if the viewer may read it; None when there is none."""
    if process.customer_id is not None:
        return await _filed_customer(session, viewer, process.customer_id)
    if process.process_type != "onboarding":
        return None
    application = await _application(session, process)
    if application is None:
        return None
    customer = application.customer
    documents: list[Document] = application.documents
    return CustomerCard(
        name=customer.name,
        credit_code=customer.credit_code,
        kind=customer.kind.value,
        unit_code=process.unit_code,
        grade=None,
        documents=document_lines(documents, today()),
        filed=False,
    )


def steps_before(process: Process) -> list[StepSpec]:
    """The chain's steps before the current one: where a return may send the case besides the
    applicant (the workflow refuses any other, workflows/engine/decisions.py)."""
    chain = CHAINS.get(process.process_type)
    if chain is None or not process.current_step or not chain.has_step(process.current_step):
        return []
    return list(chain.steps[: chain.index(process.current_step)])


async def steps_ahead(session: AsyncSession, process: Process) -> list[StepAhead]:
    """The chain's steps after the current one, each with who holds its seats today (the filing's
    own look-up, activities.process_store.step_facts: active holders in the step's scope other than
    the applicant). A named or leader seat is resolved only when its step opens: no names then."""
    chain = CHAINS.get(process.process_type)
    if chain is None or not process.current_step or not chain.has_step(process.current_step):
        return []
    ahead = list(chain.steps[chain.index(process.current_step) + 1 :])
    if not ahead:
        return []
    try:
        applicant = await find_actor(session, process.applicant)
    except AppError:  # the applicant left: nobody is excluded, but the scope is unknown
        return [StepAhead(step, []) for step in ahead]
    facts = await step_facts(session, chain, applicant, await unit_path(session, process.unit_code))
    by_key = dict(zip((s.key for s in chain.steps), facts, strict=True))
    return [
        StepAhead(step, list(dict.fromkeys(name for names in by_key[step.key].others.values() for name in names)))
        for step in ahead
    ]
