"""What the auditors' pages show, as rows in the reader's language: the search result and one
case's timeline, rendered by the templates and exported (web/exports.py) from the same rows (issue 23)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import astuple, dataclass
from datetime import datetime

from api.schemas import ProcessListOut
from api.services.audit_case import AuditRecordOut
from domain.china_time import in_china
from domain.rulebook import Rule, catalogue
from web.exports import Table
from web.i18n import Messages


@dataclass(frozen=True)
class ListedProcess:
    process: ProcessListOut
    overdue: bool  # its earliest open due date has passed


@dataclass(frozen=True)
class TimelineRow:
    """One recorded event of a case: who (in what role, for whom), when, what, why, under which rules."""

    position: int
    at: str
    actor: str
    role: str
    on_behalf_of: str
    action: str
    step: str
    outcome: str
    reason: str
    rules: tuple[str, ...]


def listed(processes: Iterable[ProcessListOut], now: datetime) -> list[ListedProcess]:
    return [ListedProcess(p, p.due_at is not None and in_china(p.due_at) < now) for p in processes]


def timeline(m: Messages, process_type: str, records: Iterable[AuditRecordOut]) -> list[TimelineRow]:
    return [
        TimelineRow(
            position=record.position,
            at=m.when(record.occurred_at),
            actor=record.actor,
            role=m.role(record.role) if record.role else "",
            on_behalf_of=record.on_behalf_of or "",
            action=m.action(record.action),
            step=m.step(process_type, record.step),
            outcome=m.outcome(record.outcome) if record.outcome else "",
            reason=record.reason or "",
            rules=tuple(record.details.get("rules") or ()),
        )
        for record in records
    ]


def rules_applied(rows: Iterable[TimelineRow]) -> list[Rule]:
    """The catalogue's statement of every rule the case's steps name (GET /api/v1/regulations/rules/{id}
    reads the same catalogue); a rule id the catalogue no longer has is left out."""
    rules = catalogue()
    named = dict.fromkeys(rule_id for row in rows for rule_id in row.rules)
    return [rules[rule_id] for rule_id in named if rule_id in rules]


def search_table(m: Messages, rows: list[ListedProcess]) -> Table:
    keys = ["id", "type", "subject", "credit_code", "status", "step", "applicant", "unit", "holders", "started", "due"]
    return Table(
        [m.t(f"audit.col.{key}") for key in keys] + [m.t("due.overdue")],
        [
            [
                row.process.process_id,
                m.process_type(row.process.process_type),
                row.process.subject,
                row.process.subject_key,
                m.status(row.process.status),
                m.step(row.process.process_type, row.process.current_step),
                row.process.applicant,
                row.process.unit_code,
                "; ".join(m.holder(holder) for holder in row.process.holders),
                m.when(row.process.started_at),
                m.when(row.process.due_at),
                m.t("audit.yes") if row.overdue else "",
            ]
            for row in rows
        ],
    )


def timeline_table(m: Messages, rows: list[TimelineRow]) -> Table:
    keys = ["position", "at", "actor", "role", "on_behalf_of", "action", "at_step", "outcome", "reason", "rules"]
    return Table([m.t(f"audit.col.{key}") for key in keys], [[*astuple(r)[:-1], " ".join(r.rules)] for r in rows])
