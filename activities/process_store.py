"""Database side effects of every process: the process and task projections, customer creation.

Each method is idempotent, because Temporal retries activities: a retried insert finds its row.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache, partial
from typing import Any, cast

from sqlalchemy import Executable, Table, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session
from temporalio import activity

from activities.audit_store import record_moment
from activities.calendar import CalendarActivities
from activities.data_errors import fails_visibly_on_bad_data
from activities.mail_notices import moment_notices
from activities.notifications import Channel, NotificationSpec, deliver_all, retried, takes_moments
from activities.process_sync import ProcessSync
from db.models import (
    Notification,
    OrgUnit,
    OutOfOffice,
    Process,
    ProcessWatcher,
    Task,
    User,
    UserRole,
)
from db.session import run_write
from domain.approvals import ChainSpec, UnitScope
from domain.deciders import StepFacts
from domain.models import (
    Actor,
    ProcessProjection,
    Seat,
    SeatAnswer,
    SeatQuery,
    TaskClosure,
    TaskSpec,
    UnitPath,
    WatcherSpec,
)
from domain.roles import UNIT_SCOPED_ROLES, Role

# What a later write may change on an open task: it moved (delegated, claimed, escalated, re-planned).
MUTABLE_TASK_FIELDS = (
    "assignee",
    "on_behalf_of",
    "delegated_by",
    "claimed_by",
    "due_at",
    "due_provisional",
    "overdue",
    "escalation_level",
)


TASKS = cast(Table, Task.__table__)


def _insert(session: Session, table: Any) -> Any:
    """INSERT with the ON CONFLICT clause of the database at hand (SQLite and PostgreSQL both have it)."""
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def task_values(spec: TaskSpec) -> dict[str, Any]:
    values = spec.model_dump(mode="python", exclude={"unit"})
    values["role"] = spec.role.value if spec.role else ""
    return {**values, "unit_code": spec.unit, "status": "open"}


@cache
def _process_upsert(dialect: str, keys: tuple[str, ...]) -> Any:
    """Built once per database and field set: building an upsert anew (its `excluded` columns above
    all) showed in the worker's profile at several percent of its CPU per decision."""
    table = cast(Table, Process.__table__)
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    return insert.on_conflict_do_update(
        index_elements=[table.c.process_id],
        set_={key: insert.excluded[key] for key in keys if key != "process_id"},
        where=table.c.updated_at <= insert.excluded.updated_at,
    )


@cache
def _task_upsert(dialect: str) -> Any:
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(TASKS)
    return insert.on_conflict_do_update(
        index_elements=[TASKS.c.task_id],
        set_={key: insert.excluded[key] for key in MUTABLE_TASK_FIELDS},
        where=TASKS.c.status == "open",
    )


# Closing an open task, built once: values go in as bound parameters (one statement for all).
CLOSE_TASK = (
    update(TASKS)
    .where(TASKS.c.task_id == bindparam("closed_id"), TASKS.c.status == "open")
    .values(
        status=bindparam("new_status"),
        outcome=bindparam("new_outcome"),
        decided_by=bindparam("by"),
        decided_at=bindparam("at"),
        comment=bindparam("note"),
    )
)


def write_process(session: Session, projection: ProcessProjection) -> None:
    """Insert or update the process row in one statement; activities of one run may complete out of
    order after retries, so an older projection never overwrites a newer one."""
    values = projection.model_dump(mode="python")
    session.connection().execute(_process_upsert(session.get_bind().dialect.name, tuple(values)), values)


def case_units(task_ids: list[str] | None = None) -> Any:
    """Copy each task's case unit (`tasks.case_unit`, migration 0034) from its process row where it
    has none yet: the tasks `task_ids`, or all of them. A task of a process with no row (yet), or of
    a head-office case (no unit), keeps none, as a join would have found none; its row is not
    rewritten each time it moves."""
    case = select(Process.unit_code).where(Process.process_id == TASKS.c.process_id, Process.unit_code.is_not(None))
    statement = update(TASKS).where(TASKS.c.case_unit.is_(None), case.exists()).values(case_unit=case.scalar_subquery())
    return statement if task_ids is None else statement.where(TASKS.c.task_id.in_(task_ids))


def put_tasks(session: Session, specs: list[TaskSpec]) -> None:
    """Open tasks, or move open ones; a closed task keeps its closure (a retry, a race). Each new
    task gets its case's unit (`case_units`): write the process row first."""
    if not specs:
        return
    statement = _task_upsert(session.get_bind().dialect.name)
    session.connection().execute(statement, [task_values(spec) for spec in specs])
    session.connection().execute(case_units([spec.task_id for spec in specs]))


def apply_closures(session: Session, closures: list[TaskClosure]) -> None:
    """Close open tasks; a task already closed (a retry, a race) keeps its first closure."""
    if not closures:
        return
    rows = [
        {
            "closed_id": closure.task_id,
            "new_status": closure.status,
            "new_outcome": closure.outcome.value if closure.outcome else None,
            "by": closure.decided_by,
            "at": closure.decided_at,
            "note": closure.comment,
        }
        for closure in closures
    ]
    session.connection().execute(CLOSE_TASK, rows)


def add_watchers(session: Session, watchers: list[WatcherSpec]) -> None:
    if not watchers:
        return
    rows = [{**w.model_dump(mode="python"), "role": w.role.value if w.role else None} for w in watchers]
    insert = _insert(session, ProcessWatcher.__table__)
    session.execute(insert.values(rows).on_conflict_do_nothing(index_elements=["watcher_id"]))


def add_notifications(
    session: Session, notes: list[NotificationSpec], channels: list[Channel]
) -> list[NotificationSpec]:
    """Record notifications once (a retried activity finds them); returns the ones to deliver: the
    new ones, or on a retry all of them (the first attempt may have written them and then failed to
    deliver: the robot webhook may get one twice, mail goes once, docs/operations/mail.md)."""
    if not notes:
        return []
    names = ",".join(["database", *(c.name for c in channels)])
    now = datetime.now(UTC)
    rows = [{**note.model_dump(), "channels": names, "created_at": now} for note in notes]
    insert = _insert(session, Notification.__table__)
    statement = insert.values(rows).on_conflict_do_nothing(index_elements=["notification_id"])
    if not channels or retried():  # nothing to deliver beyond the database, or deliver them all again
        session.execute(statement)
        return list(notes) if channels else []
    added = set(session.scalars(statement.returning(Notification.__table__.c.notification_id)))
    return [note for note in notes if note.notification_id in added]


def write_sync(
    session: Session, sync: ProcessSync, channels: list[Channel], calendar: CalendarActivities
) -> list[NotificationSpec]:
    """Apply one moment of a process with set-based statements; returns the notifications that are
    new (to deliver after commit). The steps opened are dated first, then the audit rows: they
    read the tasks as they were."""
    if sync.deadlines:
        calendar.date_tasks(session, sync.deadlines, sync.tasks)
    mailed = moment_notices(session, sync, retried()) if takes_moments(channels) else []  # before the rows change
    record_moment(session, sync, sync.projected_process())
    if sync.process is not None:  # before the tasks: a new task copies its case's unit
        write_process(session, sync.process)
    put_tasks(session, sync.tasks)
    apply_closures(session, sync.closed)
    add_watchers(session, sync.watchers)
    return add_notifications(session, sync.notifications, channels) + mailed


async def unit_path(session: AsyncSession, unit: str | None) -> list[str]:
    """The unit and every unit above it, nearest first."""
    path: list[str] = []
    while unit is not None and unit not in path:
        path.append(unit)
        unit = await session.scalar(select(OrgUnit.parent_code).where(OrgUnit.code == unit))
    return path


async def _active_users(session: AsyncSession, usernames: list[str]) -> set[str]:
    if not usernames:
        return set()
    rows = await session.scalars(select(User.username).where(User.username.in_(usernames), User.is_active))
    return set(rows)


async def deputy_of(session: AsyncSession, username: str, at: datetime) -> str | None:
    """The deputy an absent user named for this moment, if any (the latest entry wins)."""
    return await session.scalar(
        select(OutOfOffice.deputy)
        .where(
            OutOfOffice.username == username,
            OutOfOffice.starts_at <= at,
            OutOfOffice.ends_at > at,
            OutOfOffice.cancelled_at.is_(None),
        )
        .order_by(OutOfOffice.created_at.desc())
        .limit(1)
    )


async def resolve_seats(session: AsyncSession, query: SeatQuery) -> SeatAnswer:
    """People for a step: the head of a unit up the reporting line, every holder of a role (in the
    unit), or the named signers; an absent person's deputy sits in their place."""
    seats: list[Seat] = []
    note: str | None = None
    if query.leader_level is not None:
        path = await unit_path(session, query.applicant_unit)
        level = query.leader_level
        if len(path) < level:
            note = f"no unit {level} level(s) above {query.applicant_unit or 'the applicant'}"
        else:
            unit = path[level - 1]
            head = await session.scalar(select(OrgUnit.head).where(OrgUnit.code == unit))
            if head and await _active_users(session, [head]):
                seats.append(Seat(user=head))
            else:
                note = f"unit {unit} has no active head"
    elif query.every_holder:
        units = await unit_path(session, query.unit) if query.unit_parents else [query.unit] if query.unit else []
        holders = (
            select(User.username, UserRole.role)
            .join(UserRole, UserRole.user_id == User.id)
            .where(User.is_active, UserRole.role.in_([r.value for r in query.roles]))
            .order_by(User.username)
        )
        if units:
            holders = holders.where(User.unit_code.in_(units))
        for username, role in (await session.execute(holders)).all():
            if all(seat.user != username for seat in seats):
                seats.append(Seat(user=username, role=role))
    else:
        active = await _active_users(session, query.named)
        missing = [name for name in query.named if name not in active]
        seats = [Seat(user=name) for name in dict.fromkeys(query.named) if name in active]
        if missing:
            note = "unknown or inactive signer(s): " + ", ".join(missing)
    resolved: list[Seat] = []
    for seat in seats:
        deputy = await deputy_of(session, seat.user, query.at) if seat.user else None
        if deputy and deputy not in {s.user for s in seats}:
            resolved.append(seat.model_copy(update={"user": deputy, "on_behalf_of": seat.user}))
        else:
            resolved.append(seat)
    return SeatAnswer(seats=resolved, note=note)


async def _heads(session: AsyncSession, path: list[str]) -> tuple[str | None, ...]:
    """The active head of each unit of `path`, in its order (None where there is none)."""
    rows = await session.execute(select(OrgUnit.code, OrgUnit.head).where(OrgUnit.code.in_(path)))
    heads: dict[str, str | None] = dict(rows.tuples().all())
    active = await _active_users(session, [head for head in heads.values() if head])
    return tuple(heads.get(unit) if heads.get(unit) in active else None for unit in path)


# Enough holders of a role to give each seat of a chain a distinct decider (chains have a few steps).
HOLDERS_LOOKED_AT = 8


async def step_facts(session: AsyncSession, chain: ChainSpec, applicant: Actor, path: list[str]) -> list[StepFacts]:
    """What the organisation says about each step of `chain` for this applicant (domain/deciders.py):
    per seat role, active holders in the step's scope other than the applicant (a few suffice), and
    — only when some seat has none — the heads up the line above that seat (`path`: the process's
    unit and the units above it). One query per role and scope: a filing stays cheap."""
    found: dict[tuple[Role, tuple[str, ...] | None], tuple[str, ...]] = {}
    seats: list[list[tuple[Role, tuple[str, ...] | None]]] = []
    for step in chain.steps:
        keys = []
        for role in step.seat_roles:
            units: tuple[str, ...] | None = None  # a head-office role: any holder
            if step.unit_scope is not UnitScope.none and role in UNIT_SCOPED_ROLES:
                units = tuple(path) if step.unit_scope is UnitScope.unit_and_parents else tuple(path[:1])
            if (role, units) not in found:
                holders = (
                    select(User.username)
                    .join(UserRole, UserRole.user_id == User.id)
                    .where(User.is_active, UserRole.role == role.value, User.username != applicant.username)
                    .order_by(User.username)
                    .limit(HOLDERS_LOOKED_AT)
                )
                if units is not None:
                    holders = holders.where(User.unit_code.in_(units))
                found[(role, units)] = tuple(await session.scalars(holders))
            keys.append((role, units))
        seats.append(keys)
    lone = any(not names for names in found.values())
    process_heads = await _heads(session, path) if lone else ()
    own_heads = await _heads(session, await unit_path(session, applicant.unit)) if lone else ()
    return [
        StepFacts(
            others={role: found[(role, units)] for role, units in keys},
            heads={role: process_heads if units is not None else own_heads for role, units in keys},
        )
        for keys in seats
    ]


class ProjectionStore:
    """What every store that writes a process's moments holds: its sessionmaker (tests hand in a
    real one), the delivery channels, and the worker's calendar (its office hours) to date the
    steps a moment opens."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        channels: list[Channel] | None = None,
        calendar: CalendarActivities | None = None,
    ) -> None:
        self.sessions = sessions
        self.channels = channels or []
        self.calendar = calendar or CalendarActivities(sessions)

    def write_moment(self, session: Session, sync: ProcessSync) -> list[NotificationSpec]:
        return write_sync(session, sync, self.channels, self.calendar)

    async def write_with(self, sync: ProcessSync, own_row: Callable[[], Executable | None]) -> None:
        """The moment and the process's own row in one transaction; `own_row` is built after the
        moment is written, so it sees the steps the write dated. Notifications go after commit."""

        def write(session: Session) -> list[NotificationSpec]:
            new = self.write_moment(session, sync)
            statement = own_row()
            if statement is not None:
                session.execute(statement)
            return new

        await deliver_all(await run_write(self.sessions, write), self.channels)  # outside the transaction


class ProcessStore(ProjectionStore):
    """Activities that write the projections of processes without rows of their own."""

    @activity.defn
    @fails_visibly_on_bad_data
    async def sync_process(self, sync: ProcessSync) -> ProcessSync:
        """One moment of a process; the answer echoes it, so the local activity's marker shows
        auditors what the moment wrote (a marker keeps the result, not the input)."""
        new = await run_write(self.sessions, partial(self.write_moment, sync=sync))
        await deliver_all(new, self.channels)  # outside the transaction: a slow webhook never holds the database
        return sync.echo()

    @activity.defn
    async def resolve_seats(self, query: SeatQuery) -> SeatAnswer:
        async with self.sessions() as session:
            return await resolve_seats(session, query)

    @activity.defn
    async def unit_path(self, unit: str | None) -> UnitPath:
        async with self.sessions() as session:
            return UnitPath(units=await unit_path(session, unit))
