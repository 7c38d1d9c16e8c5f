"""Which processes I may read (003 §7, 000 §5, §7, §16), and through them the tasks, complaints,
deals and notifications that belong to a process; who acts on a complaint's step or on a deal."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, exists, literal, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql import Select

from api.errors import Forbidden, NotFound
from api.visibility.tasks import role_task_for, task_is_mine
from api.visibility.viewer import Who, actor_of, of_my_units, oversees
from db.models import Complaint, Notification, Process, ProcessWatcher, Task, TradeHandler
from domain.roles import COMPLAINT_DESK, UNIT_SCOPED_ROLES
from domain.rulebook import enforces

COMPLAINT_PROCESS = "complaint"  # workflows.complaint.PROCESS_TYPE (workflow modules stay out of the API)


@enforces("003-7-supervision-reads-everything")
def process_readable(who: Who, process: Any = Process) -> ColumnElement[bool]:
    """The condition on a process row under which `who` may read it (see the package docstring)."""
    if oversees(who):
        return true()
    actor = actor_of(who)
    me = actor.username
    held = aliased(Task)
    open_task = aliased(Task)
    conditions: list[ColumnElement[bool]] = [
        process.applicant == me,
        exists().where(
            held.process_id == process.process_id,
            or_(
                held.assignee == me,
                held.claimed_by == me,
                held.decided_by == me,
                held.on_behalf_of == me,
                held.delegated_by == me,
            ),
        ),
        exists().where(
            open_task.process_id == process.process_id,
            open_task.status == "open",
            role_task_for(who, open_task),
        ),
        copied_to(who, process),
        exists().where(TradeHandler.process_id == process.process_id, TradeHandler.username == me),
    ]
    if any(actor.has(role) for role in COMPLAINT_DESK):
        conditions.append(process.process_type == COMPLAINT_PROCESS)
    if any(actor.has(role) for role in UNIT_SCOPED_ROLES):  # 000 §5: unit and below
        conditions += of_my_units(who, process.unit_code)
    return or_(*conditions)


def copied_to(who: Who, process: Any = Process) -> ColumnElement[bool]:
    """抄送/知会: `who` is copied on the process, by name or by a role they hold (a reader of it)."""
    actor = actor_of(who)
    watcher = aliased(ProcessWatcher)
    roles = [r.value for r in actor.roles]
    me = watcher.username == actor.username
    # The processes copied to `who`, read from the watchers' username and role indexes: as a correlated
    # EXISTS the planner scanned every process for it (the workbench's 抄送我的 count, benchmarks/pages.py).
    return process.process_id.in_(select(watcher.process_id).where(or_(me, watcher.role.in_(roles)) if roles else me))


def visible_processes(who: Who, query: Select[Any]) -> Select[Any]:
    """`query` (which selects from `processes`) narrowed to the processes `who` may read."""
    if oversees(who):
        return query
    return query.where(process_readable(who))


async def get_process(session: AsyncSession, who: Who, process_id: str) -> Process:
    """The process, or 404 — also when it exists but `who` may not read it."""
    process = await session.scalar(visible_processes(who, select(Process).where(Process.process_id == process_id)))
    if process is None:
        raise NotFound(f"process {process_id} not found")
    return process


def process_of(who: Who, process_id: Any) -> ColumnElement[bool]:
    """The process `process_id` names exists and `who` may read it."""
    process = aliased(Process)
    return exists().where(process.process_id == process_id, process_readable(who, process))


# --- tasks: mine, or of a process I may read ---------------------------------------------------------


def task_readable(who: Who, task: Any = Task) -> ColumnElement[bool]:
    """A task I may read: it is mine, or its process is readable by me."""
    if oversees(who):
        return true()
    return or_(task_is_mine(who, task), process_of(who, task.process_id))


async def get_task(session: AsyncSession, who: Who, task_id: str) -> Task:
    """The task, or 404 — also when it exists but `who` may neither act on it nor read its process."""
    task = await session.scalar(select(Task).where(Task.task_id == task_id, task_readable(who)))
    if task is None:
        raise NotFound(f"task {task_id} not found")
    return task


async def can_read_task(session: AsyncSession, who: Who, task_id: str) -> bool:
    found = await session.scalar(select(literal(1)).where(Task.task_id == task_id, task_readable(who)))
    return found is not None


# --- complaints (000 §16): a complaint is a process ------------------------------------------------


def complaint_readable(who: Who, complaint: Any = Complaint) -> ColumnElement[bool]:
    if oversees(who):
        return true()
    return process_of(who, complaint.process_id)


async def get_complaint(session: AsyncSession, who: Who, process_id: str) -> Complaint:
    """The complaint, or 404 — also when it exists but `who` may not read it."""
    row = await session.scalar(select(Complaint).where(Complaint.process_id == process_id, complaint_readable(who)))
    if row is None:
        raise NotFound(f"complaint {process_id} not found")
    return row


async def require_open_step(session: AsyncSession, who: Who, process_id: str) -> None:
    """403 unless `who` holds an open task of the process: a reader who is not at its current step
    (the registrar, a supervisor, an auditor) reads it but does not act on it (000 §16: the named
    handler and the competent department act). The workflow then judges the stage (409)."""
    held = await session.scalar(
        select(literal(1)).where(Task.process_id == process_id, Task.status == "open", task_is_mine(who))
    )
    if held is None:
        raise Forbidden(f"{actor_of(who).username} holds no open step of process {process_id}")


# --- deals (000 §7) -------------------------------------------------------------------------------


async def require_deal_handler(session: AsyncSession, who: Who, process: Process) -> None:
    """403 unless `who` is named by the deal (its applicant, handler or a co-handler): a marketing
    role alone does not let anyone bid, contract or file payments on someone else's deal."""
    me = actor_of(who).username
    if process.applicant == me:
        return
    named = await session.scalar(
        select(literal(1)).where(TradeHandler.process_id == process.process_id, TradeHandler.username == me)
    )
    if named is None:
        raise Forbidden(f"{me} is not named on deal {process.process_id}: only its handler and co-handlers act on it")


# --- notifications --------------------------------------------------------------------------------


def notification_readable(who: Who, note: Any = Notification) -> ColumnElement[bool]:
    """Addressed to me by name, or to a role I hold — about no process or a process I may read."""
    actor = actor_of(who)
    roles = [r.value for r in actor.roles]
    to_me = note.recipient == actor.username
    if not roles:
        return to_me
    about = or_(note.process_id.is_(None), process_of(who, note.process_id))
    return or_(to_me, and_(note.recipient.is_(None), note.recipient_role.in_(roles), about))
