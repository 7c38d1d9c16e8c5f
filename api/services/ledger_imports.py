"""Finance's import of its ERP ledger (000 §9 (一), 001 §3) as a service: every row checked first
(api/ledger_import.py), then booked in one transaction, and each customer taken beyond what it had
available answered for (domain/import_credit.py)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from decimal import Decimal

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from activities.credit_hold import hold_credit
from activities.credit_store import book_batch, credit_standing
from api import ledger_import
from api.deps import release_session
from api.errors import Invalid
from api.over_limit import start_import_follow_up
from api.services.backends import Backends
from api.services.credit import today
from api.services.credit_effects import open_collections, review_if_high, subject, tell_collections
from db.models import Customer, LedgerImport
from db.session import write_transaction
from domain.credit import CreditStanding
from domain.import_credit import Beyond, FollowUp
from domain.ledger import LedgerKind
from domain.models import Actor

log = logging.getLogger(__name__)


class ImportFollowUpOut(BaseModel):
    """A customer the import took beyond what it had available, and the process that answers for it."""

    customer_id: int
    follow_up: FollowUp = Field(description="ratification: the GM ratifies (001 §3); finance: a prepaid overdraw")
    rows: list[int] = Field(description="the file's rows that went beyond (as numbered in the file)")
    amount: Decimal
    process_id: str | None = Field(description="the GM's ratification or finance's task; null: Temporal was down")


class ImportOut(BaseModel):
    import_id: int
    format: str
    rows: int
    results: list[ledger_import.RowResult]
    follow_ups: list[ImportFollowUpOut] = []


async def import_file(
    session: AsyncSession, backends: Backends, actor: Actor, filename: str, content: bytes
) -> ImportOut:
    """Check every row of the file (one bad row → 422 naming each, nothing booked), book them all in
    one transaction, then answer for each customer taken beyond (`follow_ups`)."""
    try:
        parsed = ledger_import.parse(filename, content)
    except ledger_import.ImportProblem as exc:
        raise Invalid([str(exc)]) from None
    if not parsed.rows:
        raise Invalid(["the file holds no data rows"])
    checked = await ledger_import.check(session, parsed, actor.username)
    if checked.bad:
        bad = [row.model_dump(mode="json", exclude={"entry_id", "warning"}) for row in checked.bad]
        raise Invalid({"message": f"{len(bad)} bad rows: nothing imported", "rows": bad})
    await release_session()
    async with write_transaction(backends.sessions) as writer:
        touched = sorted({e.customer_id for e in checked.entries})
        standings = {cid: await credit_standing(writer, cid) for cid in touched}
        beyond = ledger_import.beyond(standings, checked.entries, checked.results)
        record = LedgerImport(
            filename=filename,
            format=parsed.format,
            rows=len(checked.entries),
            imported_by=actor.username,
            imported_at=datetime.now(UTC),
        )
        writer.add(record)
        await writer.flush()
        ids, risks = await book_batch(writer, checked.entries, import_id=record.id, today=today())
        await hold_credit(writer, [b.customer_id for b in beyond if b.follow_up is FollowUp.ratification])
        high = [r for r in risks if r.turned_high]
        named = {r.customer_id for r in high} | {b.customer_id for b in beyond}
        customers = {c.id: c for c in await writer.scalars(select(Customer).where(Customer.id.in_(named)))}
        collections = await open_collections(
            writer, {e.customer_id for e in checked.entries if e.kind is LedgerKind.receipt}
        )
    for result, entry_id in zip(checked.results, ids, strict=True):
        result.entry_id = entry_id
    follow_ups = [
        await _answer_for(backends, customers[b.customer_id], b, standings[b.customer_id], record, actor)
        for b in beyond
    ]
    for risk in high:
        await review_if_high(backends, customers[risk.customer_id], risk)
    await tell_collections(backends.temporal, collections)
    return ImportOut(
        import_id=record.id, format=parsed.format, rows=len(ids), results=checked.results, follow_ups=follow_ups
    )


async def _answer_for(
    backends: Backends,
    customer: Customer,
    beyond: Beyond,
    standing: CreditStanding,
    record: LedgerImport,
    actor: Actor,
) -> ImportFollowUpOut:
    """Start the GM's ratification or finance's task for one customer the import took beyond (best
    effort after the booking: with Temporal down the rows stay booked, warned and, for credit, held)."""
    process_id: str | None = None
    try:
        process_id = await start_import_follow_up(
            backends.temporal, backends.task_queue, subject(customer), beyond, standing, record.id, actor
        )
    except Exception:
        log.exception("follow-up of import %s for customer %s not started", record.id, customer.id)
    return ImportFollowUpOut(
        customer_id=beyond.customer_id,
        follow_up=beyond.follow_up,
        rows=beyond.rows,
        amount=beyond.amount,
        process_id=process_id,
    )
