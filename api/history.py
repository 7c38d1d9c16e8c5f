"""An auditor's history of a process, read from the Temporal event history itself.

Every accepted and successfully completed update is a human action; database activities of note
(a task opened, the customer created) are the system's actions. Temporal deletes a closed
process's history after its retention, so the audit record in the database (`api/audit.py`,
written with the same `describe_*` renderings below) is what the history endpoints read; this
richer view is shown beside it while Temporal still has the events.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from temporalio.api.common.v1 import Payloads
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import WorkflowHandle

from api.schemas import HistoryEntry
from api.trade_history import trade_activity_entry, trade_update_entry
from domain.errors import STORE_FAILED
from temporal_client import DATA_CONVERTER

READ_ONLY_UPDATES = frozenset({"current"})
LOCAL_ACTIVITY_MARKER = "core_local_activity"


def _decode(payloads: Payloads) -> list[Any]:
    if not payloads.payloads:
        return []
    return list(DATA_CONVERTER.payload_converter.from_payloads(list(payloads.payloads)))


def _at(event: HistoryEvent) -> datetime:
    return event.event_time.ToDatetime(tzinfo=UTC)


class _Reader:
    """What the history has said so far that later entries need: which tasks were delegated, and
    which tasks it already showed opening (a task written again moved; it did not open again)."""

    def __init__(self) -> None:
        self.delegated: dict[str, str] = {}  # task id -> the delegator it goes back to
        self.opened: set[str] = set()


def _step_action_entry(name: str, arg: dict[str, Any], actor: str, at: datetime, seen: _Reader) -> HistoryEntry | None:
    """The engine's step actions (workflows/approval.py): who did what to which task, and for whom."""
    task = str(arg.get("task_id") or "")
    if name == "decide":
        principal = arg.get("on_behalf_of")
        opinion = principal is not None and seen.delegated.get(task) == principal
        if opinion:
            seen.delegated.pop(task, None)
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
            seen.delegated[task] = actor
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
            at=at, actor=actor, action=f"add_signer_{arg.get('position')}", outcome=signer, comment=arg.get("reason")
        )
    if name == "claim":
        return HistoryEntry(at=at, actor=actor, action="released" if arg.get("release") else "claimed", comment=task)
    if name == "urge":
        return HistoryEntry(at=at, actor=actor, action="urged", comment=arg.get("comment"))
    return None


def _update_entry(name: str, args: list[Any], at: datetime, seen: _Reader) -> HistoryEntry:
    arg: dict[str, Any] = args[0] if args and isinstance(args[0], dict) else {}
    actor = (arg.get("actor") or {}).get("username", "unknown")
    trade = trade_update_entry(name, arg, actor, at)
    if trade is not None:
        return trade
    step_action = _step_action_entry(name, arg, actor, at, seen)
    if step_action is not None:
        return step_action
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


def build_history(events: Sequence[HistoryEvent]) -> list[HistoryEntry]:
    """Entries in event order; an update counts from its acceptance, once it completed successfully."""
    entries: list[HistoryEntry | None] = []
    seen = _Reader()
    accepted: dict[str, int] = {}  # update id -> index of its provisional entry
    scheduled: dict[int, tuple[str, list[Any]]] = {}
    for event in events:
        kind = event.event_type
        if kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
            args = _decode(event.workflow_execution_started_event_attributes.input)
            start = args[0] if args and isinstance(args[0], dict) else {}
            applicant = (start.get("applicant") or {}).get("username", "unknown")
            entries.append(HistoryEntry(at=_at(event), actor=applicant, action="submitted"))
        elif kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
            request = event.workflow_execution_update_accepted_event_attributes.accepted_request
            name = request.input.name
            if name not in READ_ONLY_UPDATES:
                accepted[request.meta.update_id] = len(entries)
                entries.append(_update_entry(name, _decode(request.input.args), _at(event), seen))
        elif kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED:
            completed = event.workflow_execution_update_completed_event_attributes
            index = accepted.pop(completed.meta.update_id, None)
            # A handler that failed (the loser of a race) changed nothing: not an action. One whose
            # write the database refused did act: the process stopped on it (workflows/repair.py).
            failure = completed.outcome.failure if completed.outcome.HasField("failure") else None
            if index is not None and failure is not None and failure.application_failure_info.type != STORE_FAILED:
                entries[index] = None
        elif kind == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            activity = event.activity_task_scheduled_event_attributes
            scheduled[event.event_id] = (activity.activity_type.name, _decode(activity.input))
        elif kind == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
            done = event.activity_task_completed_event_attributes
            name, args = scheduled.get(done.scheduled_event_id, ("", []))
            entries.extend(_activity_entries(name, args, _decode(done.result), _at(event), seen))
        elif kind == EventType.EVENT_TYPE_MARKER_RECORDED:
            entries.extend(_local_activity_entries(event, seen))
        elif kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
            signal = event.workflow_execution_signaled_event_attributes
            if signal.signal_name == "calendar_changed":
                change = _decode(signal.input)
                detail = change[0] if change and isinstance(change[0], dict) else {}
                years = ", ".join(str(y) for y in detail.get("years", []))
                entries.append(
                    HistoryEntry(
                        at=_at(event),
                        actor=detail.get("changed_by", "admin"),
                        action="calendar_changed",
                        comment=f"official schedule entered for {years}",
                    )
                )
        elif kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
            result = _decode(event.workflow_execution_completed_event_attributes.result)
            status = result[0].get("status") if result and isinstance(result[0], dict) else None
            entries.append(HistoryEntry(at=_at(event), actor="system", action="closed", outcome=status))
        elif kind in (
            EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
            EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
            EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
        ):
            entries.append(HistoryEntry(at=_at(event), actor="system", action="aborted", outcome=EventType.Name(kind)))
    # Updates still in flight (accepted, not completed) are shown: they were accepted and run.
    return [entry for entry in entries if entry is not None]


def _task_opened(task: dict[str, Any], at: datetime) -> HistoryEntry:
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


def _notified(note: dict[str, Any], at: datetime, step: str | None = None) -> HistoryEntry:
    return HistoryEntry(
        at=at,
        actor="system",
        action=note.get("kind", "notification"),
        step=step,
        outcome=note.get("recipient_role"),
        comment=note.get("subject"),
    )


SYNCS = frozenset({"sync_process", "sync_complaint", "project_trade"})


def _sync_entries(arg: dict[str, Any], at: datetime, seen: _Reader) -> list[HistoryEntry]:
    """One moment of a process: the tasks it opened (a task written again moved: its update says how)
    and its notifications; an escalation (actor: the clock) names the supervision task it opened."""
    tasks: list[dict[str, Any]] = [t for t in arg.get("tasks", []) if t.get("task_id") not in seen.opened]
    seen.opened.update(str(t.get("task_id")) for t in tasks)
    supervision = iter([t.get("step") for t in tasks if str(t.get("step", "")).startswith("supervise_")])
    entries = [_task_opened(t, at) for t in tasks if not str(t.get("step", "")).startswith("supervise_")]
    for note in arg.get("notifications", []):
        step = next(supervision, None) if note.get("kind") == "escalation" else None
        entries.append(_notified(note, at, step))
    return entries


def _activity_entries(name: str, args: list[Any], result: list[Any], at: datetime, seen: _Reader) -> list[HistoryEntry]:
    """The system's actions an activity performed."""
    arg: dict[str, Any] = args[0] if args and isinstance(args[0], dict) else {}
    if name in SYNCS:
        return _sync_entries(arg, at, seen)
    entry = _activity_entry(name, arg, result, at)
    return [entry] if entry is not None else []


def _local_activity_entries(event: HistoryEvent, seen: _Reader) -> list[HistoryEntry]:
    """A local activity's marker: its type in the marker data, its result beside it (no input)."""
    marker = event.marker_recorded_event_attributes
    if marker.marker_name != LOCAL_ACTIVITY_MARKER or "data" not in marker.details:
        return []
    data = _decode(marker.details["data"])
    name = data[0].get("activity_type", "") if data and isinstance(data[0], dict) else ""
    result = _decode(marker.details["result"]) if "result" in marker.details else []
    answer = result[0] if result and isinstance(result[0], dict) else {}
    return _activity_entries(name, [answer], result, _at(event), seen)


def _activity_entry(name: str, arg: dict[str, Any], result: list[Any], at: datetime) -> HistoryEntry | None:
    if name == "resolve_seats":
        seats = ", ".join(
            f"{s.get('user')} (deputy of {s['on_behalf_of']})"
            if s.get("on_behalf_of")
            else str(s.get("user") or s.get("role"))
            for s in arg.get("seats", [])
        )
        note = arg.get("note")
        return HistoryEntry(
            at=at, actor="system", action="seats_resolved", comment="; ".join(x for x in (seats, note) if x) or None
        )
    if name == "mark_process_failed":
        return HistoryEntry(at=at, actor="system", action="store_failed", outcome="failed", comment=arg.get("reason"))
    if name == "create_customer":
        customer_id = result[0] if result else None
        return HistoryEntry(at=at, actor="system", action="customer_created", comment=f"customer #{customer_id}")
    if name == "notify":
        return _notified(arg, at)
    if name == "rule_in_force" and result and isinstance(result[0], dict):  # pinned at the start
        return describe_rule_applied(result[0], at)
    trade = trade_activity_entry(name, arg, result, at)
    if trade is not None:
        return trade
    if name == "working_day_deadline":
        answer: dict[str, Any] = result[0] if result and isinstance(result[0], dict) else {}
        due = f"due {answer.get('deadline')} ({arg.get('working_days')} working days from {arg.get('start')})"
        if answer.get("replaces"):
            return HistoryEntry(
                at=at,
                actor="system",
                action="deadline_replanned",
                outcome=str(answer.get("deadline")),
                comment=f"re-planned from {answer['replaces']} to {answer.get('deadline')}"
                + (" (still provisional)" if answer.get("provisional") else ""),
            )
        if answer.get("provisional"):
            years = ", ".join(str(y) for y in answer.get("unknown_years", []))
            due += f"; provisional: no official holiday schedule for {years}"
        return HistoryEntry(at=at, actor="system", action="deadline_computed", comment=due)
    return None


async def process_history(handle: WorkflowHandle[Any, Any]) -> list[HistoryEntry]:
    history = await handle.fetch_history()
    return build_history(history.events)


def describe_update(name: str, payload: dict[str, Any], at: datetime, delegated_by: str | None = None) -> HistoryEntry:
    """An update as this history shows it; the audit record's rows are rendered with it too
    (`activities/audit_store.py`), so both say the same. `delegated_by`: who delegated the task the
    update acts on, if it was delegated (a delegate's decision is an opinion)."""
    seen = _Reader()
    task = str(payload.get("task_id") or "")
    if delegated_by and task:
        seen.delegated[task] = delegated_by
    return _update_entry(name, [payload], at, seen)


def describe_task_opened(task: dict[str, Any], at: datetime) -> HistoryEntry:
    return _task_opened(task, at)


def describe_notification(note: dict[str, Any], at: datetime) -> HistoryEntry:
    return _notified(note, at)


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
