"""Reading the audit record: a process's history from the database, and the walk that verifies
every chain (`domain/audit.py` seals each row with the hash of the row before it).

The database record outlives Temporal's retention (production deletes a closed workflow's history
after 30 days); while Temporal still has the history, its richer event view is shown beside it.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import WorkflowHandle
from temporalio.service import RPCError, RPCStatusCode

from api.history import process_history
from db.models import AuditHead, AuditRecord
from domain.audit import AuditFacts, seal
from domain.history import HistoryEntry

Problem = Literal["content changed", "row missing", "order broken"]
WALK_CHUNK = 2_000  # rows read per query: the walk's memory stays flat however long the record


def as_history(row: AuditRecord) -> HistoryEntry:
    return HistoryEntry(
        at=row.occurred_at,
        actor=row.actor,
        on_behalf_of=row.on_behalf_of,
        action=row.action,
        step=row.step,
        outcome=row.outcome,
        comment=row.reason,
        round=(row.details or {}).get("round"),
        rules=(row.details or {}).get("rules") or [],
    )


async def audit_rows(session: AsyncSession, process_id: str) -> list[AuditRecord]:
    return list(
        await session.scalars(
            select(AuditRecord).where(AuditRecord.process_id == process_id).order_by(AuditRecord.position)
        )
    )


async def recorded_history(session: AsyncSession, process_id: str) -> list[HistoryEntry]:
    """Every recorded step of a process, in order: who, on whose behalf, when, what, why."""
    return [as_history(row) for row in await audit_rows(session, process_id)]


async def temporal_history(handle: WorkflowHandle[Any, Any]) -> list[HistoryEntry] | None:
    """The Temporal event view, or None once retention (or an operator) deleted the history."""
    try:
        return await process_history(handle)
    except RPCError as error:
        if error.status is RPCStatusCode.NOT_FOUND:
            return None
        raise


class Breach(BaseModel):
    """The first row where a chain does not hold."""

    id: int | None  # None: the rows at the chain's end are gone
    process_id: str
    position: int
    problem: Problem
    detail: str


class Verification(BaseModel):
    ok: bool
    processes: int
    rows: int
    breach: Breach | None = None


def _facts(row: AuditRecord) -> AuditFacts:
    return AuditFacts(
        event_key=row.event_key,
        process_type=row.process_type,
        occurred_at=row.occurred_at,
        actor=row.actor,
        role=row.role,
        on_behalf_of=row.on_behalf_of,
        action=row.action,
        step=row.step,
        outcome=row.outcome,
        reason=row.reason,
        details=row.details or {},
    )


def check_row(row: AuditRecord, position: int, prev_hash: str | None) -> Breach | None:
    """`position` and `prev_hash`: what the chain so far expects of its next row."""

    def breach(problem: Problem, detail: str, at: int | None = None) -> Breach:
        return Breach(id=row.id, process_id=row.process_id, position=at or row.position, problem=problem, detail=detail)

    if row.position > position:  # named: the row after the gap, and the position that is gone
        return breach("row missing", f"position {position} is missing before row {row.id}", position)
    if row.position < position:
        return breach("order broken", f"row {row.id} has position {row.position}, expected {position}")
    if row.prev_hash != prev_hash:
        return breach("order broken", f"row {row.id} does not follow the row before it (prev_hash differs)")
    if seal(row.process_id, row.position, _facts(row), row.prev_hash) != row.hash:
        return breach("content changed", f"row {row.id}: its content no longer matches its hash")
    return None


def check_end(process_id: str, length: int, last: str | None, head: tuple[int, str | None] | None) -> Breach | None:
    """A chain must end where its head says: a deleted last row leaves no gap, only a short chain."""
    if head is None:
        return Breach(id=None, process_id=process_id, position=length, problem="row missing", detail="no chain head")
    if head != (length, last):
        return Breach(
            id=None,
            process_id=process_id,
            position=length + 1,
            problem="row missing",
            detail=f"the chain ends at position {length}; its head records {head[0]} rows",
        )
    return None


async def verify(session: AsyncSession, process_id: str | None = None) -> Verification:
    """Walk every chain (or one process's) in position order; stop at the first breach."""
    heads_query = select(AuditHead.process_id, AuditHead.length, AuditHead.hash)
    if process_id is not None:
        heads_query = heads_query.where(AuditHead.process_id == process_id)
    heads = {pid: (length, digest) for pid, length, digest in await session.execute(heads_query)}
    rows_seen, processes = 0, 0
    current: str | None = None
    position, last = 1, None
    after: tuple[str, int] = ("", 0)
    while True:
        query = select(AuditRecord).order_by(AuditRecord.process_id, AuditRecord.position).limit(WALK_CHUNK)
        query = query.where(
            (AuditRecord.process_id > after[0])
            | ((AuditRecord.process_id == after[0]) & (AuditRecord.position > after[1]))
        )
        if process_id is not None:
            query = query.where(AuditRecord.process_id == process_id)
        chunk = list(await session.scalars(query))
        for row in chunk:
            if row.process_id != current:
                if current is not None:
                    end = check_end(current, position - 1, last, heads.pop(current, None))
                    if end is not None:
                        return Verification(ok=False, processes=processes, rows=rows_seen, breach=end)
                current, position, last, processes = row.process_id, 1, None, processes + 1
            found = check_row(row, position, last)
            if found is not None:
                return Verification(ok=False, processes=processes, rows=rows_seen, breach=found)
            rows_seen += 1
            position, last = row.position + 1, row.hash
            after = (row.process_id, row.position)
        if len(chunk) < WALK_CHUNK:
            break
    if current is not None:
        end = check_end(current, position - 1, last, heads.pop(current, None))
        if end is not None:
            return Verification(ok=False, processes=processes, rows=rows_seen, breach=end)
    for pid, (length, _) in sorted(heads.items()):  # heads whose every row is gone
        if length > 0:
            missing = Breach(id=None, process_id=pid, position=1, problem="row missing", detail="all rows are gone")
            return Verification(ok=False, processes=processes, rows=rows_seen, breach=missing)
    return Verification(ok=True, processes=processes, rows=rows_seen)


async def best_history(session: AsyncSession, handle: WorkflowHandle[Any, Any], process_id: str) -> list[HistoryEntry]:
    """The database record when it holds the whole process (it starts with the submission); a
    process that began before the record existed is read from Temporal while Temporal has it."""
    recorded = await recorded_history(session, process_id)
    if recorded and recorded[0].action == "submitted":
        return recorded
    return await temporal_history(handle) or recorded
