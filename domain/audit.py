"""The audit record's shape and its hash: what a workflow hands its write, and how a row is sealed.

A workflow names what a person did (the update, its arguments, when, by whom) in an `AuditEntry`;
the activity that projects the same moment turns it into an `audit_records` row in the same
transaction (`activities/audit_store.py`). Each row's hash covers its content and the hash of the
row before it in the same process, so a changed, removed or reordered row is found by walking the
chain again (`api/audit.py`).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from domain.rulebook import enforces

# "rule": the version of a rule the process runs under, pinned at its start (domain/rule_change.py)
AuditKind = Literal["start", "update", "rule"]


class AuditEntry(BaseModel):
    """One human act as the workflow saw it: `seq` counts the workflow's entries, so a retried
    write finds the key `w<seq>` it wrote before and appends nothing twice."""

    seq: int
    process_id: str
    workflow_type: str
    at: datetime
    kind: AuditKind
    name: str  # "submitted" for a start, else the update's name
    payload: dict[str, Any] = Field(default_factory=dict)  # the start input or update argument, as JSON
    # The catalogue rules (domain/rulebook.py) a step's decision applied: the `StepSpec.rules` of the
    # chain the process runs (issue 21 §3). Empty for other acts, and in payloads written before.
    rules: list[str] = Field(default_factory=list)
    step: str | None = Field(default=None, max_length=60)  # the step those rules belong to
    # The Temporal update that made the entry, so a decision inside it (an inbox decision or a form's
    # — a score sheet, a review form) names its rules on the right entry; never leaves the workflow.
    update_id: str | None = Field(default=None, exclude=True)

    @property
    def key(self) -> str:
        if self.kind == "rule":  # one per rule and process: the version is pinned once
            return f"rule:{self.name}"
        return f"w{self.seq:08d}"


class AuditFacts(BaseModel):
    """What a row says, before it is placed in its chain."""

    event_key: str
    process_type: str
    occurred_at: datetime
    actor: str
    role: str | None = None
    on_behalf_of: str | None = None
    action: str
    step: str | None = None
    outcome: str | None = None
    reason: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)


def _moment(value: datetime) -> str:
    """One spelling of a moment on both databases (SQLite drops the zone, PostgreSQL keeps it)."""
    moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def canonical(process_id: str, position: int, facts: AuditFacts, prev_hash: str | None) -> bytes:
    """Sorted keys, no spacing, UTC moments, JSON round-tripped details: the same bytes whichever
    database the row was read back from."""
    content = {
        "process_id": process_id,
        "position": position,
        **facts.model_dump(mode="json"),
        "occurred_at": _moment(facts.occurred_at),
        "details": json.loads(json.dumps(facts.details, default=str)),
        "prev_hash": prev_hash,
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@enforces("003-2-tamper-evident")
def seal(process_id: str, position: int, facts: AuditFacts, prev_hash: str | None) -> str:
    return hashlib.sha256(canonical(process_id, position, facts, prev_hash)).hexdigest()
