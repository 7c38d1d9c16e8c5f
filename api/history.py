"""An auditor's history of a process, read from the Temporal event history itself.

Every accepted and successfully completed update is a human action; database activities of note
(a task opened, the customer created) are the system's actions. Temporal deletes a closed
process's history after its retention, so the audit record in the database (`api/audit.py`,
written with the same phrasing, `domain/history.py`) is what the history endpoints read; this
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

from domain.errors import STORE_FAILED
from domain.history import (
    HistoryEntry,
    HistoryReader,
    describe_notification,
    describe_rule_applied,
    describe_task_opened,
    phrased,
)
from domain.trade_history import trade_activity_phrase
from sealing import SealingCodec
from temporal_client import DATA_CONVERTER

READ_ONLY_UPDATES = frozenset({"current"})
LOCAL_ACTIVITY_MARKER = "core_local_activity"


def _decode(payloads: Payloads) -> list[Any]:
    """A fetched history's payloads as the server holds them: sealed ones opened first (sealing.py)."""
    if not payloads.payloads:
        return []
    codec = DATA_CONVERTER.payload_codec
    opened = codec.open(payloads.payloads) if isinstance(codec, SealingCodec) else list(payloads.payloads)
    return list(DATA_CONVERTER.payload_converter.from_payloads(opened))


def _at(event: HistoryEvent) -> datetime:
    return event.event_time.ToDatetime(tzinfo=UTC)


def _update_entry(name: str, args: list[Any], at: datetime, seen: HistoryReader) -> HistoryEntry:
    arg: dict[str, Any] = args[0] if args and isinstance(args[0], dict) else {}
    return seen.update(name, arg, at)


def build_history(events: Sequence[HistoryEvent]) -> list[HistoryEntry]:
    """Entries in event order; an update counts from its acceptance, once it completed successfully."""
    entries: list[HistoryEntry | None] = []
    seen = HistoryReader()
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
                try:
                    change = _decode(signal.input)
                except (ValueError, KeyError):  # did not open or convert: the worker dropped it (sealing.py)
                    continue
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


SYNCS = frozenset({"sync_process", "sync_complaint", "project_trade"})


def _sync_entries(arg: dict[str, Any], at: datetime, seen: HistoryReader) -> list[HistoryEntry]:
    """One moment of a process: the tasks it opened (a task written again moved: its update says how)
    and its notifications; an escalation (actor: the clock) names the supervision task it opened."""
    tasks: list[dict[str, Any]] = [t for t in arg.get("tasks", []) if t.get("task_id") not in seen.opened]
    seen.opened.update(str(t.get("task_id")) for t in tasks)
    supervision = iter([t.get("step") for t in tasks if str(t.get("step", "")).startswith("supervise_")])
    entries = [describe_task_opened(t, at) for t in tasks if not str(t.get("step", "")).startswith("supervise_")]
    for note in arg.get("notifications", []):
        step = next(supervision, None) if note.get("kind") == "escalation" else None
        entries.append(describe_notification(note, at, step))
    return entries


def _activity_entries(
    name: str, args: list[Any], result: list[Any], at: datetime, seen: HistoryReader
) -> list[HistoryEntry]:
    """The system's actions an activity performed."""
    arg: dict[str, Any] = args[0] if args and isinstance(args[0], dict) else {}
    if name in SYNCS:
        return _sync_entries(arg, at, seen)
    entry = _activity_entry(name, arg, result, at)
    return [entry] if entry is not None else []


def _local_activity_entries(event: HistoryEvent, seen: HistoryReader) -> list[HistoryEntry]:
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
        return describe_notification(arg, at)
    if name == "rule_in_force" and result and isinstance(result[0], dict):  # pinned at the start
        return describe_rule_applied(result[0], at)
    trade = trade_activity_phrase(name, arg, result)
    if trade is not None:
        return phrased(trade, at, "system")
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
