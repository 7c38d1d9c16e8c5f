"""An auditor's history of a process, read from the Temporal event history itself.

Nothing here is stored separately, so the history cannot drift from what really ran: every
accepted and successfully completed update is a human action; database activities of note
(a task opened, the customer created) are the system's actions.
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
from temporal_client import DATA_CONVERTER

READ_ONLY_UPDATES = frozenset({"current"})
LOCAL_ACTIVITY_MARKER = "core_local_activity"


def _decode(payloads: Payloads) -> list[Any]:
    if not payloads.payloads:
        return []
    return list(DATA_CONVERTER.payload_converter.from_payloads(list(payloads.payloads)))


def _at(event: HistoryEvent) -> datetime:
    return event.event_time.ToDatetime(tzinfo=UTC)


def _update_entry(name: str, args: list[Any], at: datetime) -> HistoryEntry:
    arg: dict[str, Any] = args[0] if args and isinstance(args[0], dict) else {}
    actor = (arg.get("actor") or {}).get("username", "unknown")
    trade = trade_update_entry(name, arg, actor, at)
    if trade is not None:
        return trade
    if name == "decide":
        return HistoryEntry(
            at=at,
            actor=actor,
            action="decision",
            step=arg.get("step"),
            outcome=arg.get("outcome"),
            comment=arg.get("comment"),
        )
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
    return HistoryEntry(at=at, actor=actor, action=name, comment=None)


def build_history(events: Sequence[HistoryEvent]) -> list[HistoryEntry]:
    """Entries in event order; an update counts from its acceptance, once it completed successfully."""
    entries: list[HistoryEntry | None] = []
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
                entries.append(_update_entry(name, _decode(request.input.args), _at(event)))
        elif kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED:
            completed = event.workflow_execution_update_completed_event_attributes
            index = accepted.pop(completed.meta.update_id, None)
            # A handler that failed (the loser of a race) changed nothing: not an action.
            if index is not None and completed.outcome.HasField("failure"):
                entries[index] = None
        elif kind == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            activity = event.activity_task_scheduled_event_attributes
            scheduled[event.event_id] = (activity.activity_type.name, _decode(activity.input))
        elif kind == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
            done = event.activity_task_completed_event_attributes
            name, args = scheduled.get(done.scheduled_event_id, ("", []))
            entries.extend(_activity_entries(name, args, _decode(done.result), _at(event)))
        elif kind == EventType.EVENT_TYPE_MARKER_RECORDED:
            entries.extend(_local_activity_entries(event))
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
    return HistoryEntry(
        at=at,
        actor="system",
        action="task_opened",
        step=task.get("step"),
        round=task.get("round"),
        comment=f"waiting for role {task.get('role')}",
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


def _activity_entries(name: str, args: list[Any], result: list[Any], at: datetime) -> list[HistoryEntry]:
    """The system's actions an activity performed: one complaint sync may open tasks and notify at once;
    an escalation (actor: the clock) names the supervision task it opened."""
    arg: dict[str, Any] = args[0] if args and isinstance(args[0], dict) else {}
    if name == "sync_complaint":
        tasks: list[dict[str, Any]] = arg.get("open_tasks", [])
        supervision = iter([t.get("step") for t in tasks if str(t.get("step", "")).startswith("supervise_")])
        entries = [_task_opened(t, at) for t in tasks if not str(t.get("step", "")).startswith("supervise_")]
        for note in arg.get("notifications", []):
            step = next(supervision, None) if note.get("kind") == "escalation" else None
            entries.append(_notified(note, at, step))
        return entries
    entry = _activity_entry(name, arg, result, at)
    return [entry] if entry is not None else []


def _local_activity_entries(event: HistoryEvent) -> list[HistoryEntry]:
    """A local activity's marker: its type in the marker data, its result beside it (no input)."""
    marker = event.marker_recorded_event_attributes
    if marker.marker_name != LOCAL_ACTIVITY_MARKER or "data" not in marker.details:
        return []
    data = _decode(marker.details["data"])
    name = data[0].get("activity_type", "") if data and isinstance(data[0], dict) else ""
    result = _decode(marker.details["result"]) if "result" in marker.details else []
    answer = result[0] if result and isinstance(result[0], dict) else {}
    return _activity_entries(name, [answer], result, _at(event))


def _activity_entry(name: str, arg: dict[str, Any], result: list[Any], at: datetime) -> HistoryEntry | None:
    if name == "open_task":
        return _task_opened(arg, at)
    if name == "create_customer":
        customer_id = result[0] if result else None
        return HistoryEntry(at=at, actor="system", action="customer_created", comment=f"customer #{customer_id}")
    if name == "notify":
        return _notified(arg, at)
    trade = trade_activity_entry(name, arg, result, at)
    if trade is not None:
        return trade
    if name == "working_day_deadline":
        answer: dict[str, Any] = result[0] if result and isinstance(result[0], dict) else {}
        due = f"due {answer.get('deadline')} ({arg.get('working_days')} working days from {arg.get('start')})"
        if answer.get("provisional"):
            years = ", ".join(str(y) for y in answer.get("unknown_years", []))
            due += f"; provisional: no official holiday schedule for {years}"
        return HistoryEntry(at=at, actor="system", action="deadline_computed", comment=due)
    return None


async def process_history(handle: WorkflowHandle[Any, Any]) -> list[HistoryEntry]:
    history = await handle.fetch_history()
    return build_history(history.events)
