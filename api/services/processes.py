"""The processes a reader may see, filtered and paged: GET /api/v1/processes and the auditors'
search page `/audit` (issue 23) and its CSV export call `search_processes`, so the filters and the
record-level scope (api/visibility: auditors read all, anyone else what they may read) are one."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from api.errors import Forbidden
from api.gateway import get_process
from api.schemas import ProcessListOut, ProcessOut
from api.services.inbox import holders_of, overdue_task
from api.visibility import Viewer, visible_processes
from db.models import Process, Task
from domain.models import Actor, ProcessStatus


@dataclass(frozen=True)
class ProcessFilters:
    """What a search asks for; None (or False) leaves a filter off."""

    mine: bool = False  # only the viewer's own applications
    process_type: str | None = None
    status: ProcessStatus | None = None
    customer: str | None = None  # credit code, or part of the customer's name
    applicant: str | None = None
    unit: str | None = None  # the unit the process acts for (000 §5)
    started_from: datetime | None = None
    started_to: datetime | None = None
    overdue: bool = False  # only processes with an open task past its due date
    limit: int = 100
    offset: int = 0


def _overdue(now: datetime) -> ColumnElement[bool]:
    """A process is overdue while one of its open tasks is (the inbox's own test of a late task)."""
    late = aliased(Task)
    return exists().where(late.process_id == Process.process_id, late.status == "open", overdue_task(late, now))


async def _waiting(session: AsyncSession, processes: list[Process]) -> list[ProcessListOut]:
    """Each process with who it waits for and its earliest open due date: one query for the page."""
    open_tasks: dict[str, list[Task]] = defaultdict(list)
    if processes:
        rows = await session.scalars(
            select(Task)
            .where(Task.process_id.in_([p.process_id for p in processes]), Task.status == "open")
            .order_by(Task.created_at, Task.task_id)
        )
        for task in rows:
            open_tasks[task.process_id].append(task)
    out = []
    for process in processes:
        tasks = open_tasks.get(process.process_id, [])
        dues = [t.due_at for t in tasks if t.due_at is not None]
        out.append(
            ProcessListOut(
                **ProcessOut.model_validate(process).model_dump(),
                holders=holders_of(tasks),
                due_at=min(dues) if dues else None,
            )
        )
    return out


async def search_processes(session: AsyncSession, viewer: Viewer, filters: ProcessFilters) -> list[ProcessListOut]:
    """Processes the viewer may read, newest first, each with its current holders and earliest due date."""
    query = visible_processes(viewer, select(Process))
    if filters.mine:
        query = query.where(Process.applicant == viewer.username)
    if filters.process_type:
        query = query.where(Process.process_type == filters.process_type)
    if filters.status:
        query = query.where(Process.status == filters.status.value)
    if filters.customer:
        customer = filters.customer
        query = query.where(or_(Process.subject_key == customer.upper(), Process.subject.contains(customer)))
    if filters.applicant:
        query = query.where(Process.applicant == filters.applicant)
    if filters.unit:
        query = query.where(Process.unit_code == filters.unit)
    if filters.started_from:
        query = query.where(Process.started_at >= filters.started_from)
    if filters.started_to:
        query = query.where(Process.started_at <= filters.started_to)
    if filters.overdue:
        query = query.where(_overdue(datetime.now(UTC)))
    query = query.order_by(Process.started_at.desc(), Process.process_id.desc())
    return await _waiting(session, list(await session.scalars(query.limit(filters.limit).offset(filters.offset))))


async def applicants_process(session: AsyncSession, actor: Actor, process_id: str, article: str) -> Process:
    """The process `actor` filed, to correct and resubmit: 404 unless they may read it
    (api/visibility), 403 for a reader who is not its applicant (`article` names the rule)."""
    process = await get_process(session, actor, process_id)
    if process.applicant != actor.username:
        raise Forbidden(f"only the applicant {process.applicant} resubmits this application ({article})")
    return process
