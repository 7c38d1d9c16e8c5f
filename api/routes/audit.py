"""The audit record for auditors: a process's record beside Temporal's events, and the check that
no row was changed, removed or reordered since it was written."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.audit import Verification, verify
from api.deps import SessionDep, TemporalDep, require_any_role
from api.services.audit_case import VERIFIERS, ProcessAuditOut, read_process_audit
from api.visibility import CurrentViewer
from domain.models import Actor

router = APIRouter(prefix="/audit", tags=["audit"])

Auditor = Annotated[Actor, Depends(require_any_role(*VERIFIERS))]


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
    return await read_process_audit(session, viewer, temporal, process_id)
