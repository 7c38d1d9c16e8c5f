"""The inbox as a service, no HTTP in it: my open tasks page by page (filters, keyset cursor,
counts per process type), and the task lookups and requests every action on a task shares.

The routes of api/routes/tasks.py (and future web pages, issue 23) call these functions, so a
route keeps only its parameters, dependencies and response models. Who may read or hold a task is
decided in the visibility package (`api.visibility`), called from here as the routes did."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Row, and_, false, func, or_, select, true, type_coerce, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import BinaryExpression, BindParameter, BooleanClauseList, Null
from sqlalchemy.sql.visitors import replacement_traverse

from api.errors import Conflict, Invalid, NotFound
from api.visibility import Viewer, can_read_task, holds_task, mine_branches, task_readable, unindexed
from db.models import Task
from domain.approvals import Outcome
from domain.models import Actor, DecisionRequest, holder_of

PAGE_DEFAULT, PAGE_MAX = 50, 200


class InboxSort(StrEnum):
    due = "due"  # due_at ascending, tasks without a deadline last
    age = "age"  # oldest first
    newest = "-age"  # newest first


@dataclass
class InboxQuery:
    process_type: str | None = None
    process_id: str | None = None
    step: str | None = None
    overdue: bool | None = None
    due_before: datetime | None = None
    unit: str | None = None
    q: str | None = None
    sort: InboxSort = InboxSort.due
    limit: int = PAGE_DEFAULT
    cursor: str | None = None
    with_counts: bool = True


@dataclass
class InboxPage:
    items: list[Row[Any]]  # task rows (attribute access like a Task)
    next_cursor: str | None
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class _Cursor:
    key: datetime | None  # due_at (None: among the tasks without a deadline) or created_at
    task_id: str
    counts: dict[str, int]  # computed with the first page, carried through the walk


def _fingerprint(query: InboxQuery) -> str:
    """The query a cursor belongs to: the sort and the filters (not the page size)."""
    parts = [query.sort.value, query.process_type, query.process_id, query.step, query.overdue, query.unit, query.q]
    parts.append(query.due_before.isoformat() if query.due_before else None)
    return hashlib.blake2b(json.dumps(parts).encode(), digest_size=6).hexdigest()


def _encode_cursor(query: InboxQuery, task: Row[Any], counts: dict[str, int]) -> str:
    key = task.due_at if query.sort is InboxSort.due else task.created_at
    raw = [_fingerprint(query), key.isoformat() if key else None, task.task_id, counts]
    return base64.urlsafe_b64encode(json.dumps(raw, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode_cursor(query: InboxQuery, cursor: str) -> _Cursor:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        fingerprint, key, task_id, counts = json.loads(raw)
        when = datetime.fromisoformat(key) if key is not None else None
        counts = {str(k): int(v) for k, v in counts.items()}
    except (binascii.Error, ValueError, TypeError, AttributeError, UnicodeDecodeError) as exc:
        raise Invalid("invalid cursor") from exc
    if fingerprint != _fingerprint(query):
        raise Invalid("invalid cursor: it belongs to another sort order or other filters; start again without one")
    if not isinstance(task_id, str) or (when is not None and when.tzinfo is None):
        raise Invalid("invalid cursor")
    if when is None and query.sort is not InboxSort.due:
        raise Invalid("invalid cursor")
    return _Cursor(when, task_id, counts)


@dataclass(frozen=True)
class _Segment:
    """A stretch of the page order an index can read in order: with `due`, the tasks with a
    deadline (by due_at, task_id), then those without one — NULLS LAST without an expression
    index, on SQLite (whose indexes put NULLs first) as on PostgreSQL. The tasks without a deadline
    are ordered by (due_at, task_id) too, which for them is task_id alone: so the branch's own
    index gives the order, and no planner walks the primary key hoping to meet one soon."""

    where: tuple[ColumnElement[bool], ...]
    keys: tuple[str, ...]  # the order: these columns, task_id last
    descending: bool = False

    def order(self, columns: Any, pinned: Sequence[str] = ()) -> list[Any]:
        """The page order, after the columns a branch pins (`pinned`, see `_pinned`)."""
        keys = [*pinned, *self.keys]
        return [columns[k].desc() if self.descending else columns[k].asc() for k in keys]


# The leading columns of the inbox indexes after `status`, in index order (migration 0005).
PINNABLE = ("role", "unit_code", "assignee", "claimed_by")


def _pinned(branch: ColumnElement[bool]) -> list[str]:
    """The index columns a branch of "mine" holds to one value (`= x` or `IS NULL`), in index order.

    Ordering a branch by them first changes nothing in its order, but PostgreSQL treats only
    `col = x` as a constant and not `col IS NULL`: without them it would read every unclaimed
    task of a role and sort them, instead of reading the index in due order and stopping after
    a page. SQLite sees both kinds as constants and ignores them."""
    terms = branch.clauses if isinstance(branch, BooleanClauseList) and branch.operator is operators.and_ else [branch]
    found = {
        term.left.key
        for term in terms
        if isinstance(term, BinaryExpression)
        and term.operator in (operators.eq, operators.is_)
        and isinstance(term.right, BindParameter | Null)
        and getattr(term.left, "table", None) is Task.__table__
    }
    return [name for name in PINNABLE if name in found]


def _branch_where(branch: ColumnElement[bool], where: Sequence[ColumnElement[bool]]) -> list[ColumnElement[bool]]:
    """The branch and the query's conditions, as the branch's own index can serve them.

    The branch over the units below mine pins a role but no unit. Given statistics (ANALYZE),
    SQLite's planner then prefers a skip-scan of another inbox index over its order columns
    (`due_at IS NULL AND task_id > ?`), which reads every open task without a deadline and fetches
    each row: 24 ms, where probing the role index once per unit takes 0.3. Hiding the order
    columns from it (a unary `+`; nothing on PostgreSQL) leaves it the role index."""
    pinned = _pinned(branch)
    if "role" not in pinned or "unit_code" in pinned:
        return [branch, *where]
    columns = Task.__table__.c
    hidden = {
        columns[k]: type_coerce(unindexed(columns[k]), columns[k].type) for k in ("due_at", "created_at", "task_id")
    }

    def hide(element: Any, **_kw: Any) -> Any:
        return hidden.get(element)

    return [branch, *(replacement_traverse(c, {}, hide) for c in where)]


def _segments(query: InboxQuery, cursor: _Cursor | None) -> list[_Segment]:
    after_id = cursor.task_id if cursor else ""
    if query.sort is InboxSort.due:
        if cursor is not None and cursor.key is None:
            return [_Segment((Task.due_at.is_(None), Task.task_id > after_id), ("due_at", "task_id"))]
        dated_where: tuple[ColumnElement[bool], ...] = (Task.due_at.is_not(None),)
        if cursor is not None:
            key = cursor.key
            dated_where = (Task.due_at >= key, or_(Task.due_at > key, Task.task_id > after_id))
        dated = _Segment(dated_where, ("due_at", "task_id"))
        if query.due_before is not None:  # no task without a deadline is due before anything
            return [dated]
        return [dated, _Segment((Task.due_at.is_(None),), ("due_at", "task_id"))]
    if query.sort is InboxSort.age:
        where: tuple[ColumnElement[bool], ...] = ()
        if cursor is not None:
            where = (Task.created_at >= cursor.key, or_(Task.created_at > cursor.key, Task.task_id > after_id))
        return [_Segment(where, ("created_at", "task_id"))]
    where = ()
    if cursor is not None:
        where = (Task.created_at <= cursor.key, or_(Task.created_at < cursor.key, Task.task_id < after_id))
    return [_Segment(where, ("created_at", "task_id"), descending=True)]


def overdue_task(task: Any, now: datetime) -> ColumnElement[bool]:
    """A late task: flagged by the clock, or past due and the clock not yet there (`task`: `Task` or
    an alias of it)."""
    return or_(task.overdue.is_(True), task.due_at < now)


def overdue_branches(task: Any, now: datetime) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """`overdue_task` as two disjoint conditions (the flag is never NULL), each one range of the
    index ix_tasks_late (status, overdue, due_at, ...): flagged by the clock; or not flagged and past
    due. A count over both, UNION ALL, reads the late tasks alone, not every open task."""
    return task.overdue == true(), and_(task.overdue == false(), task.due_at < now)


def inbox_filters(query: InboxQuery, now: datetime) -> list[ColumnElement[bool]]:
    """The filters of the query (what is mine is added per branch)."""
    conditions: list[ColumnElement[bool]] = [Task.status == "open"]
    if query.process_type:
        conditions.append(Task.process_type == query.process_type)
    if query.process_id:
        conditions.append(Task.process_id == query.process_id)
    if query.step:
        conditions.append(Task.step == query.step)
    if query.unit:
        conditions.append(Task.unit_code == query.unit)
    if query.due_before is not None:
        conditions.append(Task.due_at < query.due_before)
    if query.overdue is True:
        conditions.append(overdue_task(Task, now))
    elif query.overdue is False:
        conditions.append(and_(Task.overdue.is_(False), or_(Task.due_at.is_(None), Task.due_at >= now)))
    if query.q:
        # A search with no letter that has case (a Chinese name, a number) matches the same subjects
        # with or without case folding; folding every subject is most of what a count costs then.
        has_case = query.q.lower() != query.q.upper()
        match = Task.subject.icontains if has_case else Task.subject.contains
        conditions.append(match(query.q, autoescape=True))
    return conditions


async def _read_segment(
    session: AsyncSession,
    branches: list[ColumnElement[bool]],
    where: list[ColumnElement[bool]],
    segment: _Segment,
    n: int,
) -> list[Row[Any]]:
    """The first n tasks of a segment: each branch of "mine" read in index order, n at most, then
    merged; only the sort keys go through the union, the rows are joined by primary key. Plain
    rows, not ORM objects: the inbox only reads."""
    table = Task.__table__
    if len(branches) == 1:
        order = segment.order(table.c, _pinned(branches[0]))
        query = select(table).where(*_branch_where(branches[0], where)).order_by(*order).limit(n)
        return list((await session.execute(query)).all())
    keys = [table.c[k] for k in segment.keys]
    parts = [
        select(*keys).where(*_branch_where(b, where)).order_by(*segment.order(table.c, _pinned(b))).limit(n).subquery()
        for b in branches
    ]
    mine = union_all(*(select(part) for part in parts)).subquery("mine")
    query = select(table).join(mine, table.c.task_id == mine.c.task_id).order_by(*segment.order(mine.c)).limit(n)
    return list((await session.execute(query)).all())


async def _counts(
    session: AsyncSession, branches: list[ColumnElement[bool]], filters: list[ColumnElement[bool]]
) -> dict[str, int]:
    """Open tasks per process type over the filtered set: one count per branch of "mine", so each
    can be answered from an index alone (an OR of them makes SQLite fetch every row).

    Exact, not bounded: the due-order indexes carry process_type and every filtered column
    (migration 0005), so a count reads index entries only, never the table — about 3 ms for the
    8,500 tasks of a head-office role's inbox among 100,000 open ones (benchmarks/inbox.py)."""
    mine = union_all(*(select(Task.process_type).where(*_branch_where(b, filters)) for b in branches)).subquery("mine")
    grouped = await session.execute(select(mine.c.process_type, func.count()).group_by(mine.c.process_type))
    return {process_type: n for process_type, n in grouped.tuples()}


async def inbox_page(session: AsyncSession, viewer: Viewer, query: InboxQuery) -> InboxPage:
    """One page of `viewer`'s open tasks: keyset over (sort key, task_id), never an offset.

    Each branch of "mine" (named, claimed, each role × unit) is read in index order and stops
    after a page, so a page costs the same on page 1 and page 500 and whatever the inbox's size.
    The counts per process type are computed with the first page and carried in the cursor."""
    now = datetime.now(UTC)
    filters = inbox_filters(query, now)
    branches = mine_branches(viewer)
    cursor = _decode_cursor(query, query.cursor) if query.cursor else None
    want = query.limit + 1
    rows: list[Row[Any]] = []
    for segment in _segments(query, cursor):
        rows += await _read_segment(session, branches, [*filters, *segment.where], segment, want - len(rows))
        if len(rows) >= want:
            break
    items = rows[: query.limit]
    if cursor is not None:
        counts = cursor.counts
    elif query.with_counts:
        counts = await _counts(session, branches, filters)
    else:
        counts = {}
    more = len(rows) > query.limit
    return InboxPage(items, _encode_cursor(query, items[-1], counts) if more else None, counts)


def in_office_time(when: datetime | None, timezone: str) -> datetime | None:
    """A datetime given without a zone is taken as office time (`timezone`)."""
    if when is not None and when.tzinfo is None:
        return when.replace(tzinfo=ZoneInfo(timezone))
    return when


# --- the task an action is on ------------------------------------------------------------------


async def open_task(session: AsyncSession, viewer: Viewer, task_id: str) -> Task:
    """The task to act on: 404 if unknown, or open and not readable by this actor (api/visibility/);
    409 if no longer open (a lost race says so, naming the decider only to readers). Whether a
    reader may act on it is the workflow's judgement (wrong role, wrong unit: 403 with its reason)."""
    task = await session.scalar(select(Task).where(Task.task_id == task_id))
    if task is None:
        raise NotFound(f"task {task_id} not found")
    # The holder deciding their own open task, the common case, needs no readability query.
    readable = (task.status == "open" and holds_task(viewer, task)) or await can_read_task(session, viewer, task_id)
    return actionable(task_id, task, readable, viewer)


def actionable(task_id: str, task: Task | None, readable: bool, viewer: Viewer) -> Task:
    """`task` if it is open and this viewer may see it (or lost it to a colleague); else the refusal:
    404 if unknown or hidden, 409 if no longer open."""
    hidden = not readable and not (task and _lost_to_colleague(task, viewer))
    if task is None or (task.status == "open" and hidden):
        raise NotFound(f"task {task_id} not found")
    if task.status != "open":
        raise _closed(task, readable)
    return task


def _lost_to_colleague(task: Task, viewer: Viewer) -> bool:
    """A role task of my role and unit that a colleague claimed first: the race is lost, not hidden
    (the workflow answers 409), though the task left my inbox and I no longer read it."""
    units = {None, viewer.actor.unit, *(viewer.units_below if task.unit_parents else ())}
    roles = {role.value for role in viewer.actor.roles}
    return task.claimed_by is not None and task.assignee is None and task.role in roles and task.unit_code in units


def _closed(task: Task, readable: bool) -> Conflict:
    by = f" by {task.decided_by}" if readable and task.decided_by else ""
    return Conflict(f"task {task.task_id} is already {task.status}{by}")


def principal_of(task: Task, actor: Actor) -> str | None:
    """Whom the actor decides for: the absent person (deputy) or the delegator (delegate)."""
    if task.assignee != actor.username:
        return None
    return task.delegated_by or task.on_behalf_of


def decision_request(
    task: Task,
    actor: Actor,
    outcome: Outcome,
    comment: str | None,
    return_to: str | None = None,
    cc: Sequence[str] = (),
) -> DecisionRequest:
    return DecisionRequest(
        task_id=task.task_id,
        step=task.step,
        outcome=outcome,
        comment=comment,
        actor=actor,
        return_to=return_to,
        cc=list(cc),
        on_behalf_of=principal_of(task, actor),
    )


def decision_update_id(task_id: str, actor: Actor) -> str:
    """A double click, or a repeated bulk call, is applied once."""
    return f"decision:{task_id}:{actor.username}"


def action_id(action: str, task_id: str, actor: Actor, target: str, key: str | None) -> str:
    base = f"{action}:{task_id}:{actor.username}:{target}"
    return f"{base}:{key}" if key else base


def holders_of(tasks: Sequence[Task]) -> list[str]:
    """Who open tasks wait for: the named person, the claimer, or role@unit."""
    return list(dict.fromkeys(holder_of(t.assignee, t.claimed_by, t.role, t.unit_code) for t in tasks))


async def tasks_to_act_on(
    session: AsyncSession, viewer: Viewer, ids: Sequence[str]
) -> tuple[dict[str, Task], set[str]]:
    """For a bulk call: the tasks by id, and the ids of those this viewer may read."""
    tasks = {t.task_id: t for t in await session.scalars(select(Task).where(Task.task_id.in_(ids)))}
    readable = set(await session.scalars(select(Task.task_id).where(Task.task_id.in_(ids), task_readable(viewer))))
    return tasks, readable
