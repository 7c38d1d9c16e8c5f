"""How a history row reads: one phrasing for the audit record and for Temporal's view of a process.

The audit store (`activities/audit_store.py`) writes these rows into the append-only record that
outlives Temporal's retention; the API (`api/history.py`) phrases Temporal's own events with the
same functions while they exist, so both say the same thing of the same act: the record protected
against tampering and loss that 003 §2 asks for, and the auditors' (003 §7) reading of it. Reading
chosen: a row states only what happened in that process and who did it, nothing inferred.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from domain.china_time import ChinaTime
from domain.trade_history import Phrase, trade_update_phrase


class HistoryEntry(BaseModel):
    at: ChinaTime
    actor: str
    on_behalf_of: str | None = None  # the actor acted as deputy or delegate of this person
    action: str
    step: str | None = None
    outcome: str | None = None
    comment: str | None = None
    round: int | None = None
    rules: list[str] = Field(default_factory=list)  # the catalogue rules a step's decision applied (issue 21 §3)


def phrased(phrase: Phrase, at: datetime, actor: str) -> HistoryEntry:
    """A process's own phrase of what happened (e.g. `domain/trade_history.py`), as a row."""
    return HistoryEntry(at=at, actor=actor, **phrase._asdict())


class HistoryReader:
    """What a history has said so far that later entries need: which tasks were delegated, and
    which tasks it already showed opening (a task written again moved; it did not open again)."""

    def __init__(self) -> None:
        self.delegated: dict[str, str] = {}  # task id -> the delegator it goes back to
        self.opened: set[str] = set()

    def update(self, name: str, arg: dict[str, Any], at: datetime) -> HistoryEntry:
        """An accepted update, phrased; its actor is the person named in its argument."""
        actor = (arg.get("actor") or {}).get("username", "unknown")
        trade = trade_update_phrase(name, arg)
        if trade is not None:
            return phrased(trade, at, actor)
        step_action = self._step_action(name, arg, actor, at)
        if step_action is not None:
            return step_action
        return _process_update(name, arg, actor, at)

    def _step_action(self, name: str, arg: dict[str, Any], actor: str, at: datetime) -> HistoryEntry | None:
        """The engine's step actions (workflows/approval.py): who did what to which task, and for whom."""
        task = str(arg.get("task_id") or "")
        if name == "decide":
            principal = arg.get("on_behalf_of")
            opinion = principal is not None and self.delegated.get(task) == principal
            if opinion:
                self.delegated.pop(task, None)
            target = arg.get("return_to")
            comment = arg.get("comment")
            if arg.get("outcome") == "return":
                comment = f"{comment or ''} (returned to {target or 'the applicant'})".strip()
            if arg.get("cc"):
                comment = f"{comment or ''} (cc: {', '.join(arg['cc'])})".strip()
            return HistoryEntry(
                at=at,
                actor=actor,
                on_behalf_of=principal,
                action="delegate_opinion" if opinion else "decision",
                step=arg.get("step"),
                outcome=arg.get("outcome"),
                comment=comment,
            )
        if name == "hand_over":
            to = (arg.get("to") or {}).get("username", "unknown")
            kind = arg.get("kind", "transfer")
            if kind == "delegate" and task:
                self.delegated[task] = actor
            label = "delegated (委托, comes back)" if kind == "delegate" else "transferred (转办)"
            return HistoryEntry(
                at=at,
                actor=actor,
                action=kind,
                outcome=to,
                comment=f"{label} to {to}: {arg.get('comment') or ''}".rstrip(": "),
            )
        if name == "add_signer":
            signer = (arg.get("signer") or {}).get("username", "unknown")
            return HistoryEntry(
                at=at,
                actor=actor,
                action=f"add_signer_{arg.get('position')}",
                outcome=signer,
                comment=arg.get("reason"),
            )
        if name == "claim":
            return HistoryEntry(
                at=at, actor=actor, action="released" if arg.get("release") else "claimed", comment=task
            )
        if name == "urge":
            return HistoryEntry(at=at, actor=actor, action="urged", comment=arg.get("comment"))
        return None


def _process_update(name: str, arg: dict[str, Any], actor: str, at: datetime) -> HistoryEntry:
    """The updates of the processes themselves (resubmit, a complaint's stages, withdraw, repair)."""
    if name == "resubmit":
        return HistoryEntry(at=at, actor=actor, action="resubmitted", comment=arg.get("comment"))
    if name == "investigate":
        report = arg.get("report") or {}
        cause = "product cause" if report.get("product_cause") else "non-product cause"
        return HistoryEntry(
            at=at,
            actor=actor,
            action="investigated",
            step="investigation",
            outcome=cause,
            comment=report.get("conclusion"),
        )
    if name == "verdict":
        return HistoryEntry(
            at=at,
            actor=actor,
            action="technical_verdict",
            step="technical_verdict",
            outcome=arg.get("remedy"),
            comment=arg.get("verdict"),
        )
    if name == "remedy":
        return HistoryEntry(at=at, actor=actor, action="remedy_done", step="remedy", comment=arg.get("note"))
    if name == "rush_production":  # 001: production ran the re-production order as a rush order
        step = "rush_production"
        return HistoryEntry(at=at, actor=actor, action="rush_production_done", step=step, comment=arg.get("note"))
    if name == "reply":
        return HistoryEntry(
            at=at,
            actor=actor,
            action="replied",
            step="reply",
            outcome=arg.get("method"),
            comment=f"{arg.get('resolution')} | reply: {arg.get('reply')}",
        )
    if name == "request_extension":
        return HistoryEntry(at=at, actor=actor, action="extension_requested", comment=arg.get("reason"))
    if name == "withdraw":
        return HistoryEntry(at=at, actor=actor, action="withdrawn", outcome="withdrawn", comment=arg.get("reason"))
    if name == "repair":  # an administrator's decision on a process stopped by a refused write
        action = arg.get("action")
        return HistoryEntry(at=at, actor=actor, action=f"repair_{action}", outcome=action, comment=arg.get("reason"))
    return HistoryEntry(at=at, actor=actor, action=name, comment=None)


def describe_update(name: str, payload: dict[str, Any], at: datetime, delegated_by: str | None = None) -> HistoryEntry:
    """An update as a history shows it. `delegated_by`: who delegated the task the update acts on,
    if it was delegated (a delegate's decision is an opinion)."""
    seen = HistoryReader()
    task = str(payload.get("task_id") or "")
    if delegated_by and task:
        seen.delegated[task] = delegated_by
    return seen.update(name, payload, at)


def describe_task_opened(task: dict[str, Any], at: datetime) -> HistoryEntry:
    holder = task.get("assignee")
    waiting = f"waiting for {holder}" if holder else f"waiting for role {task.get('role')}"
    if task.get("unit"):
        waiting += f" of unit {task['unit']}"
    if task.get("on_behalf_of"):
        waiting += f" (deputy of {task['on_behalf_of']})"
    if task.get("due_at"):
        waiting += f", due {task['due_at']}" + (" (provisional)" if task.get("due_provisional") else "")
    return HistoryEntry(
        at=at,
        actor="system",
        action="task_opened",
        step=task.get("step"),
        round=task.get("round"),
        on_behalf_of=task.get("on_behalf_of"),
        comment=waiting,
    )


def describe_notification(note: dict[str, Any], at: datetime, step: str | None = None) -> HistoryEntry:
    return HistoryEntry(
        at=at,
        actor="system",
        action=note.get("kind", "notification"),
        step=step,
        outcome=note.get("recipient_role"),
        comment=note.get("subject"),
    )


def describe_rule_applied(ref: dict[str, Any], at: datetime) -> HistoryEntry:
    """The version of a rule a process runs under, pinned at its start (domain/rule_change.py)."""
    rule, version, since = ref.get("rule"), ref.get("version"), ref.get("effective_from")
    named = f"{rule} version {version}" + (f" (in force from {since})" if since else "")
    return HistoryEntry(
        at=at,
        actor="system",
        action="rule_applied",
        outcome=f"{rule} v{version}",
        comment=f"{named} applies to this process to its end, whatever version takes effect meanwhile",
    )
