"""The workbench's four lists (issue 23): 待办 my open tasks (the inbox, api/services/inbox.py), 已办 the
tasks I decided, 我发起的 the processes I applied for, 抄送我的 the processes I am copied on.

Each list is a keyset page, newest first, over (moment, id) — never an offset — and each has a
count. Which records are mine is api/visibility's rule; this module only orders and pages them,
so a future API route and the web page call the same functions."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.errors import Invalid
from api.services.inbox import InboxQuery, inbox_page
from api.visibility import Viewer, copied_to, visible_processes
from db.models import Process, Task

PAGE = 20


class Tab(StrEnum):
    todo = "todo"  # 待办
    done = "done"  # 已办
    mine = "mine"  # 我发起的
    cc = "cc"  # 抄送我的


@dataclass(frozen=True)
class Row:
    """One line of a list, whatever the tab: a task (todo, done) or a process (mine, cc)."""

    process_id: str
    process_type: str
    subject: str
    status: str
    step_title: str | None
    since: datetime  # the task opened, the decision, the start
    task_id: str | None = None
    due_at: datetime | None = None
    overdue: bool = False
    outcome: str | None = None


@dataclass
class Page:
    rows: list[Row]
    next_cursor: str | None
    counts: dict[Tab, int] = field(default_factory=dict)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _cursor(moment: datetime, key: str) -> str:
    return base64.urlsafe_b64encode(f"{_aware(moment).isoformat()}|{key}".encode()).decode()


def _after(cursor: str) -> tuple[datetime, str]:
    try:
        moment, key = base64.urlsafe_b64decode(cursor.encode()).decode().split("|", 1)
        return datetime.fromisoformat(moment), key
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise Invalid("invalid cursor") from exc


def _newest_first(query: Select[Any], moment: Any, key: Any, cursor: str | None, limit: int) -> Select[Any]:
    if cursor:
        when, last = _after(cursor)
        query = query.where(or_(moment < when, (moment == when) & (key < last)))
    return query.order_by(moment.desc(), key.desc()).limit(limit + 1)


def _decided_by_me(viewer: Viewer) -> ColumnElement[bool]:
    return (Task.decided_by == viewer.username) & Task.decided_at.is_not(None)


def _mine(viewer: Viewer) -> ColumnElement[bool]:
    return Process.applicant == viewer.username


async def counts(session: AsyncSession, viewer: Viewer) -> dict[Tab, int]:
    """How many records each tab holds (the inbox's own count for 待办)."""
    inbox = await inbox_page(session, viewer, InboxQuery(limit=1))
    done = await session.scalar(select(func.count()).select_from(Task).where(_decided_by_me(viewer)))
    mine = await session.scalar(select(func.count()).select_from(Process).where(_mine(viewer)))
    cc = await session.scalar(
        visible_processes(viewer, select(func.count()).select_from(Process)).where(copied_to(viewer))
    )
    return {Tab.todo: sum(inbox.counts.values()), Tab.done: done or 0, Tab.mine: mine or 0, Tab.cc: cc or 0}


def _task_row(task: Any, since: datetime) -> Row:
    now = datetime.now(UTC)
    late = task.overdue or (task.due_at is not None and _aware(task.due_at) < now)
    return Row(
        process_id=task.process_id,
        process_type=task.process_type,
        subject=task.subject,
        status=task.status,
        step_title=task.step_title,
        since=since,
        task_id=task.task_id,
        due_at=task.due_at,
        overdue=bool(late and task.status == "open"),
        outcome=task.outcome,
    )


def _process_row(process: Process) -> Row:
    return Row(
        process_id=process.process_id,
        process_type=process.process_type,
        subject=process.subject,
        status=process.status,
        step_title=process.current_step,
        since=process.started_at,
    )


async def page(session: AsyncSession, viewer: Viewer, tab: Tab, cursor: str | None = None, limit: int = PAGE) -> Page:
    """One page of a tab, with every tab's count."""
    if tab is Tab.todo:
        inbox = await inbox_page(session, viewer, InboxQuery(limit=limit, cursor=cursor, with_counts=False))
        rows = [_task_row(task, task.created_at) for task in inbox.items]
        return Page(rows, inbox.next_cursor, await counts(session, viewer))
    if tab is Tab.done:
        query = _newest_first(select(Task).where(_decided_by_me(viewer)), Task.decided_at, Task.task_id, cursor, limit)
        tasks = list(await session.scalars(query))
        rows = [_task_row(task, task.decided_at or task.created_at) for task in tasks]
        keys = [(t.decided_at, t.task_id) for t in tasks]
    else:
        where = _mine(viewer) if tab is Tab.mine else copied_to(viewer)
        base = visible_processes(viewer, select(Process)).where(where)
        processes = list(
            await session.scalars(_newest_first(base, Process.started_at, Process.process_id, cursor, limit))
        )
        rows = [_process_row(p) for p in processes]
        keys = [(p.started_at, p.process_id) for p in processes]
    more = len(rows) > limit
    next_cursor = _cursor(*keys[limit - 1]) if more else None
    return Page(rows[:limit], next_cursor, await counts(session, viewer))
