"""One process's audit record for auditors (issue 10 §5, issue 23): the database rows beside
Temporal's events while Temporal still holds them. GET /api/v1/audit/processes/{id} and the case
page `/audit/processes/{id}` both call `read_process_audit`; whoever may read the process
(api/visibility) reads its record, anyone else gets 404."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from api.audit import audit_rows, temporal_history
from api.gateway import handle_for
from api.visibility import Viewer, get_process
from domain.china_time import ChinaTime
from domain.history import HistoryEntry
from domain.roles import Role

VERIFIERS = (Role.auditor, Role.admin)  # who walks the audit chains (GET /api/v1/audit/verify)


class AuditRecordOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    position: int
    occurred_at: ChinaTime
    actor: str
    role: str | None
    on_behalf_of: str | None
    action: str
    step: str | None
    outcome: str | None
    reason: str | None
    details: dict[str, Any]
    prev_hash: str | None
    hash: str


class ProcessAuditOut(BaseModel):
    process_id: str
    records: list[AuditRecordOut]  # the database record: kept after Temporal's retention
    temporal_history_available: bool
    temporal_events: list[HistoryEntry]  # Temporal's richer view, while it has the history


async def read_process_audit(
    session: AsyncSession, viewer: Viewer, temporal: Client, process_id: str
) -> ProcessAuditOut:
    process = await get_process(session, viewer, process_id)
    events = await temporal_history(handle_for(temporal, process))
    return ProcessAuditOut(
        process_id=process.process_id,
        records=[AuditRecordOut.model_validate(row) for row in await audit_rows(session, process.process_id)],
        temporal_history_available=events is not None,
        temporal_events=events or [],
    )
