"""The audit record for auditors: a process's record beside Temporal's events, and the check that
no row was changed, removed or reordered since it was written."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict

from api.audit import Verification, audit_rows, temporal_history, verify
from api.deps import SessionDep, TemporalDep, require_any_role
from api.gateway import handle_for
from api.visibility import CurrentViewer, get_process
from domain.china_time import ChinaTime
from domain.history import HistoryEntry
from domain.models import Actor
from domain.roles import Role

router = APIRouter(prefix="/audit", tags=["audit"])

Auditor = Annotated[Actor, Depends(require_any_role(Role.auditor, Role.admin))]


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


@router.get("/verify", response_model=Verification)
async def verify_chains(
    _: Auditor,
    session: SessionDep,
    process_id: Annotated[str | None, Query(max_length=64, description="only this process's chain")] = None,
) -> Verification:
    """Walk every process's chain: ok, or the first row that was changed, is missing, or is out of order."""
    return await verify(session, process_id)


@router.get("/processes/{process_id}", response_model=ProcessAuditOut)
async def process_audit(
    process_id: str, viewer: CurrentViewer, session: SessionDep, temporal: TemporalDep
) -> ProcessAuditOut:
    """Whoever may read the process (api/visibility.py) reads its record."""
    process = await get_process(session, viewer, process_id)
    events = await temporal_history(handle_for(temporal, process))
    return ProcessAuditOut(
        process_id=process.process_id,
        records=[AuditRecordOut.model_validate(row) for row in await audit_rows(session, process.process_id)],
        temporal_history_available=events is not None,
        temporal_events=events or [],
    )
