"""Writes to the customer record: an approved card change or destruction applied with its change
log (000 §10 (四), 004 §6), an approved transaction-start survey recorded (004 §4 (一)). The API
writes status changes and hand-overs with the same `log_change`.

Idempotent: a retried apply finds the log rows of its process and changes nothing twice.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from activities.data_errors import fails_visibly_on_bad_data
from db.models import Customer, CustomerChange, CustomerSurvey
from db.session import write_transaction
from domain.customer_gate import CustomerOperation, customer_problem
from domain.customer_record import (
    DESTROYED_FIELDS,
    ChangeApplication,
    ChangeKind,
    RecordProcess,
    survey_of,
)
from domain.rulebook import enforces


class ChangeResult(BaseModel):
    """Whether the approved request could be applied; `note` says why not."""

    applied: bool
    note: str | None = None


def as_json(value: Any) -> Any:
    """A column value as the change log keeps it (JSON)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def from_json(field: str, value: Any) -> Any:
    """A change-log value back into the column's Python type."""
    if value is None:
        return None
    if field in {"registered_capital", "revenue", "net_assets"}:
        return Decimal(str(value))
    if field == "registered_on":
        return date.fromisoformat(value)
    return value


@enforces("000-10-major-changes-recorded")
def log_change(
    session: AsyncSession,
    customer: Customer,
    *,
    kind: ChangeKind,
    field: str,
    old: Any,
    new: Any,
    reason: str,
    requested_by: str,
    at: datetime,
    approved_by: str | None = None,
    process_id: str | None = None,
    evidence: str | None = None,
) -> None:
    session.add(
        CustomerChange(
            customer_id=customer.id,
            kind=kind.value,
            field=field,
            old_value=as_json(old),
            new_value=as_json(new),
            reason=reason,
            evidence=evidence,
            process_id=process_id,
            requested_by=requested_by,
            approved_by=approved_by,
            changed_at=at,
        )
    )


class CustomerRecordStore:
    """The record's store activities; receives its sessionmaker so tests hand in a real one."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    @activity.defn
    @fails_visibly_on_bad_data
    async def apply_record_change(self, change: ChangeApplication) -> ChangeResult:
        """The chain approved: change the card (or destroy the file) and log every field."""
        async with write_transaction(self.sessions) as session:
            if change.kind is RecordProcess.survey:
                return await _record_survey(session, change)
            done = await session.scalar(select(CustomerChange.id).where(CustomerChange.process_id == change.process_id))
            if done is not None:
                return ChangeResult(applied=True)
            customer = await session.get(Customer, change.customer_id, with_for_update=True)
            if customer is None:
                return ChangeResult(applied=False, note=f"customer {change.customer_id} no longer exists")
            if change.kind is RecordProcess.destruction:
                return _destroy(session, customer, change)
            problem = customer_problem(CustomerOperation.change_card, customer.status, customer.destroyed_at)
            if problem is not None:  # the file was destroyed while the change waited (004 §6)
                return ChangeResult(applied=False, note=problem)
            for field, value in change.changes.items():
                old = getattr(customer, field)
                new = from_json(field, value)
                setattr(customer, field, new)
                if isinstance(customer.card, dict) and field in customer.card:
                    customer.card = {**customer.card, field: value}
                log_change(
                    session,
                    customer,
                    kind=ChangeKind.card,
                    field=field,
                    old=old,
                    new=new,
                    reason=change.reason,
                    requested_by=change.requested_by,
                    approved_by=change.approved_by,
                    at=change.approved_at,
                    process_id=change.process_id,
                    evidence=change.evidence,
                )
            return ChangeResult(applied=True)


async def _record_survey(session: AsyncSession, change: ChangeApplication) -> ChangeResult:
    """004 §4 (一): the survey the unit head approved becomes the file's survey, once; a retry finds
    its row, a survey recorded meanwhile by another process wins (this one then applies nothing)."""
    existing = await session.get(CustomerSurvey, change.customer_id)
    if existing is not None:
        applied = existing.process_id == change.process_id
        return ChangeResult(applied=applied, note=None if applied else "the customer has its survey already")
    customer = await session.get(Customer, change.customer_id)
    if customer is None:
        return ChangeResult(applied=False, note=f"customer {change.customer_id} no longer exists")
    problem = customer_problem(CustomerOperation.survey, customer.status, customer.destroyed_at)
    if problem is not None:  # suspended, past, terminated or destroyed while the unit head's approval waited
        return ChangeResult(applied=False, note=problem)
    form, surveyed_at = survey_of(change.changes)
    session.add(
        CustomerSurvey(
            customer_id=change.customer_id,
            **form.model_dump(),
            surveyed_by=change.requested_by,
            surveyed_at=surveyed_at,
            process_id=change.process_id,
            approved_by=change.approved_by,
            approved_at=change.approved_at,
        )
    )
    return ChangeResult(applied=True)


def _destroy(session: AsyncSession, customer: Customer, change: ChangeApplication) -> ChangeResult:
    """004 §6: only a past customer's file; the personal fields and the documents are blanked, the
    row, its change log and the audit trail stay (never a hard delete of history)."""
    problem = customer_problem(CustomerOperation.destroy_file, customer.status, customer.destroyed_at)
    if problem is not None:  # moved back to active, or terminated, while the approval waited
        return ChangeResult(applied=False, note=problem)
    for field in DESTROYED_FIELDS:
        if field in {"address", "legal_representative", "phone"}:
            setattr(customer, field, "")
        else:
            setattr(customer, field, None)
    customer.card = {"name": customer.name, "credit_code": customer.credit_code, "destroyed": True}
    for document in customer.documents:
        document.number = ""
        document.issuer = None
    customer.destroyed_at = change.approved_at
    customer.destroyed_by = change.approved_by
    log_change(
        session,
        customer,
        kind=ChangeKind.destruction,
        field="file",
        old={"documents": len(customer.documents)},
        new="destroyed",
        reason=change.reason,
        requested_by=change.requested_by,
        approved_by=change.approved_by,
        at=change.approved_at,
        process_id=change.process_id,
    )
    return ChangeResult(applied=True)
