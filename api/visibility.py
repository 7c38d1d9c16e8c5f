"""Who sees what: the one place that says which records each user may read, and who acts on a deal.

A task is mine when it names me (`assignee`), when I claimed it (`claimed_by`), or when it is an
unclaimed role task for a role I hold in my unit (000 §5 分级实施): its unit is empty, is my unit,
or — when the step lets the units above act (`unit_parents`) — is a unit below mine.

A process is readable by the oversight roles (everything, 003 §7), by its applicant, by whoever
holds or held one of its tasks (assignee, claimer, decider, the absent person a deputy stood in
for, the delegator), by whoever an open role task of it is for, by anyone copied on it (抄送/知会,
by name or by role), by the people a deal names (its handler and co-handlers, 000 §7), by the
complaint desk for complaints (000 §16: marketing owns them, serious ones go to the business VP),
and by the depot and station managers for processes of their unit or a unit below it. A role that
once had a task in a process does not make every holder of that role a reader.

The other records follow from it, one rule each:
- a task: mine (`task_is_mine`), or its process is readable;
- a complaint, a deal and its tenders: their process is readable;
- a customer file: its owning unit and the units above it, head-office marketing and finance
  (`CUSTOMER_DESK`), the clerk who looks after it (`looked_after_by`; a head-office clerk reads
  no other), and the oversight roles (003 §2, 004 §3) — not another depot or station,
  unless a loan of the file to them is approved and not yet returned (002 rule 1: read only; routes
  that change a file ask with `loans=False`); its approval trail is shown only to those who may read
  the process that created it;
- a notification: addressed to me by name, or to a role I hold about a process I may read.

Acting is narrower than reading: on a deal, the marketing work is for the people it names
(`require_deal_handler`), not for every holder of a marketing role; on a complaint, for whoever holds
its open step (`require_open_step`); a returned application is resubmitted by its applicant. The
workflow then judges the stage (409) and the finer rules.

Wrong-user answers are consistent everywhere: **404** when the user may not even read the record
(its existence is not revealed), **403** when they may read it but not do what they asked; a route
closed to the user's role answers 403 whatever the id (that says nothing about any record). One
exception keeps races honest: a role task a colleague claimed first answers 409, not 404.

Every predicate here is SQL, so the inbox, the process list and the single reads filter in the
database. `Viewer` carries the actor with the units below theirs, looked up once per request;
callers that only have an `Actor` get the same rule with the units below as a recursive query.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy import ColumnElement, String, and_, exists, false, literal, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql import Select
from sqlalchemy.sql.functions import FunctionElement

from api.deps import CurrentActor, SessionDep
from api.errors import Forbidden, NotFound
from db.models import (
    Borrowing,
    Complaint,
    Customer,
    CustomerChange,
    InvoiceRegisterEntry,
    Notification,
    OrgUnit,
    Process,
    ProcessWatcher,
    Task,
    TradeHandler,
)
from domain.customer_record import ChangeKind
from domain.development import DEVELOPMENT_READERS
from domain.models import Actor
from domain.roles import COMPLAINT_DESK, CUSTOMER_DESK, OVERSIGHT_ROLES, UNIT_SCOPED_ROLES, Role
from domain.rulebook import enforces
from domain.visits import VISIT_SUPERVISORS

COMPLAINT_PROCESS = "complaint"  # workflows.complaint.PROCESS_TYPE (workflow modules stay out of the API)


@dataclass(frozen=True)
class Viewer:
    """The actor and the units strictly below theirs (from org_units.parent_code)."""

    actor: Actor
    units_below: tuple[str, ...] = ()

    @property
    def username(self) -> str:
        return self.actor.username

    @property
    def oversees(self) -> bool:
        return any(self.actor.has(role) for role in OVERSIGHT_ROLES)


Who = Actor | Viewer


def _actor(who: Who) -> Actor:
    return who.actor if isinstance(who, Viewer) else who


def descendants(parents: dict[str, str | None], unit: str) -> tuple[str, ...]:
    """Every unit below `unit`, nearest first (breadth first), `unit` itself excluded."""
    children: dict[str, list[str]] = defaultdict(list)
    for code, parent in parents.items():
        if parent is not None:
            children[parent].append(code)
    found: list[str] = []
    seen = {unit}
    frontier = [unit]
    while frontier:
        nxt: list[str] = []
        for code in frontier:
            for child in sorted(children.get(code, ())):
                if child not in seen:  # a cycle in bad data must not loop forever
                    seen.add(child)
                    found.append(child)
                    nxt.append(child)
        frontier = nxt
    return tuple(found)


async def viewer_for(session: AsyncSession, actor: Actor) -> Viewer:
    """One small query over org_units per request."""
    if actor.unit is None:
        return Viewer(actor)
    rows = (await session.execute(select(OrgUnit.code, OrgUnit.parent_code))).all()
    return Viewer(actor, descendants({code: parent for code, parent in rows}, actor.unit))


async def get_viewer(actor: CurrentActor, session: SessionDep) -> Viewer:
    return await viewer_for(session, actor)


CurrentViewer = Annotated[Viewer, Depends(get_viewer)]  # FastAPI resolves it once per request


def _units_below(who: Who) -> Any:
    """The units below the actor's: a literal list for a Viewer, a recursive query for an Actor."""
    if isinstance(who, Viewer):
        return list(who.units_below)
    # Anonymous: one statement may hold several of these (the inbox rule inside the process rule).
    below = select(OrgUnit.code).where(OrgUnit.parent_code == who.unit).cte(recursive=True)
    found, child = below.alias(), aliased(OrgUnit)
    below = below.union_all(select(child.code).where(child.parent_code == found.c.code))
    return select(below.c.code)


class unindexed(FunctionElement[str]):
    """A column the query planner must not pick an index for. SQLite's planner, asked for the
    open tasks of a role in any of 100 units ordered by due date, prefers walking the whole
    `assignee IS NULL` part of the assignee index in due order over probing the role index
    100 times and sorting a handful of rows; a unary `+` (SQLite's documented way) stops that.
    Other databases get the plain column."""

    type = String()
    inherit_cache = True
    name = "unindexed"


@compiles(unindexed)
def _plain(element: unindexed, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.clauses, **kw))


@compiles(unindexed, "sqlite")
def _unary_plus(element: unindexed, compiler: Any, **kw: Any) -> str:
    return "+" + str(compiler.process(element.clauses, **kw))


def _role_branches(who: Who, task: Any) -> list[ColumnElement[bool]]:
    actor = _actor(who)
    branches: list[ColumnElement[bool]] = []
    below = _units_below(who) if actor.unit is not None else []
    for role in actor.roles:
        unclaimed = and_(task.assignee.is_(None), task.claimed_by.is_(None), task.role == role.value)
        branches.append(and_(unclaimed, task.unit_code.is_(None)))
        if actor.unit is not None:
            branches.append(and_(unclaimed, task.unit_code == actor.unit))
        if not isinstance(below, list) or below:
            branches.append(
                and_(
                    unindexed(task.assignee).is_(None),
                    unindexed(task.claimed_by).is_(None),
                    task.role == role.value,
                    task.unit_parents.is_(True),
                    task.unit_code.in_(below),
                )
            )
    return branches


def mine_branches(who: Who, task: Any = Task) -> list[ColumnElement[bool]]:
    """ "Mine" as disjoint conditions, each one an index can serve in due order: named for me;
    claimed by me; and per role I hold, the unclaimed tasks of no unit, of my unit, and of the units
    below mine that let the units above act. Their union is exactly `task_is_mine`."""
    me = _actor(who).username
    return [
        task.assignee == me,
        and_(task.claimed_by == me, or_(task.assignee.is_(None), task.assignee != me)),
        *_role_branches(who, task),
    ]


def role_task_for(who: Who, task: Any = Task) -> ColumnElement[bool]:
    """An unclaimed, unnamed task for a role I hold, in my unit (or below it when the step allows)."""
    branches = _role_branches(who, task)
    return or_(*branches) if branches else false()


def task_is_mine(who: Who, task: Any = Task) -> ColumnElement[bool]:
    """Named for me, claimed by me, or an open-to-my-role task of my unit. Status not included."""
    return or_(*mine_branches(who, task))


def holds_task(who: Who, task: Task) -> bool:
    """`task_is_mine` judged on a loaded row, for the decision path: True only where the SQL rule
    says mine too (named for me, claimed by me, unclaimed for my role with no unit or my unit or —
    for a Viewer — a unit below mine that lets the units above act). False means "ask the SQL
    rule" (`can_read_task`), never "not readable": the rule itself stays the SQL above."""
    actor = _actor(who)
    if task.assignee == actor.username or task.claimed_by == actor.username:
        return True
    if task.assignee is not None or task.claimed_by is not None:
        return False
    if task.role is None or not any(role.value == task.role for role in actor.roles):
        return False
    if task.unit_code is None or (actor.unit is not None and task.unit_code == actor.unit):
        return True
    return bool(task.unit_parents) and isinstance(who, Viewer) and task.unit_code in who.units_below


@enforces("003-7-supervision-reads-everything")
def process_readable(who: Who, process: Any = Process) -> ColumnElement[bool]:
    """The condition on a process row under which `who` may read it (see the module docstring)."""
    actor = _actor(who)
    if any(actor.has(role) for role in OVERSIGHT_ROLES):
        return true()
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
    if actor.unit is not None and any(actor.has(role) for role in UNIT_SCOPED_ROLES):  # 000 §5: unit and below
        below = _units_below(who)
        conditions.append(process.unit_code == actor.unit)
        if not isinstance(below, list) or below:
            conditions.append(process.unit_code.in_(below))
    return or_(*conditions)


def copied_to(who: Who, process: Any = Process) -> ColumnElement[bool]:
    """抄送/知会: `who` is copied on the process, by name or by a role they hold (a reader of it)."""
    actor = _actor(who)
    watcher = aliased(ProcessWatcher)
    roles = [r.value for r in actor.roles]
    me = watcher.username == actor.username
    return exists().where(watcher.process_id == process.process_id, or_(me, watcher.role.in_(roles)) if roles else me)


def visible_processes(who: Who, query: Select[Any]) -> Select[Any]:
    """`query` (which selects from `processes`) narrowed to the processes `who` may read."""
    if any(_actor(who).has(role) for role in OVERSIGHT_ROLES):
        return query
    return query.where(process_readable(who))


async def get_process(session: AsyncSession, who: Who, process_id: str) -> Process:
    """The process, or 404 — also when it exists but `who` may not read it."""
    process = await session.scalar(visible_processes(who, select(Process).where(Process.process_id == process_id)))
    if process is None:
        raise NotFound(f"process {process_id} not found")
    return process


def task_readable(who: Who, task: Any = Task) -> ColumnElement[bool]:
    """A task I may read: it is mine, or its process is readable by me."""
    if any(_actor(who).has(role) for role in OVERSIGHT_ROLES):
        return true()
    process = aliased(Process)
    readable = exists().where(process.process_id == task.process_id, process_readable(who, process))
    return or_(task_is_mine(who, task), readable)


async def get_task(session: AsyncSession, who: Who, task_id: str) -> Task:
    """The task, or 404 — also when it exists but `who` may neither act on it nor read its process."""
    task = await session.scalar(select(Task).where(Task.task_id == task_id, task_readable(who)))
    if task is None:
        raise NotFound(f"task {task_id} not found")
    return task


async def can_read_task(session: AsyncSession, who: Who, task_id: str) -> bool:
    found = await session.scalar(select(literal(1)).where(Task.task_id == task_id, task_readable(who)))
    return found is not None


def _of_my_units(who: Who, unit_column: Any) -> list[ColumnElement[bool]]:
    """The record's unit is mine or below mine (000 §5 分级实施)."""
    actor = _actor(who)
    if actor.unit is None:
        return []
    below = _units_below(who)
    conditions: list[ColumnElement[bool]] = [unit_column == actor.unit]
    if not isinstance(below, list) or below:
        conditions.append(unit_column.in_(below))
    return conditions


def _process_of(who: Who, process_id: Any) -> ColumnElement[bool]:
    """The process `process_id` names exists and `who` may read it."""
    process = aliased(Process)
    return exists().where(process.process_id == process_id, process_readable(who, process))


# --- complaints (000 §16): a complaint is a process ------------------------------------------------


def complaint_readable(who: Who, complaint: Any = Complaint) -> ColumnElement[bool]:
    if any(_actor(who).has(role) for role in OVERSIGHT_ROLES):
        return true()
    return _process_of(who, complaint.process_id)


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
        raise Forbidden(f"{_actor(who).username} holds no open step of process {process_id}")


# --- customer files (003 §2, 004 §3) --------------------------------------------------------------


@enforces("003-2-designated-person")
def looked_after_by(username: str, customer: Any = Customer) -> ColumnElement[bool]:
    """The files `username` looks after (000 §10 (四), 002 rule 4 §12): the responsible person the
    file names (`owner_person`), and — until the file is first handed over — whoever it was created
    for: `created_by` or the applicant of the process that created it (the clerk who collected its
    documents, 000 §6; older files name their last approver as `owner_person`). A hand-over moves the
    file to `owner_person` alone. What a clerk reads, what a hand-over moves and what keeps a user
    from being disabled are this one rule."""
    creator = aliased(Process)
    filed = exists().where(creator.process_id == customer.onboarding_process_id, creator.applicant == username)
    handed_over = exists().where(
        CustomerChange.customer_id == customer.id, CustomerChange.kind == ChangeKind.hand_over.value
    )
    return or_(customer.owner_person == username, and_(~handed_over, or_(customer.created_by == username, filed)))


def _outlet(unit: str) -> ColumnElement[bool]:
    """`unit` is a depot or a station (000 §5 (二)-(三)), not a head-office department."""
    return exists().where(OrgUnit.code == unit, OrgUnit.kind.in_(OUTLET_KINDS))


@enforces("000-5-marketing-customer-information", "003-2-access-by-role")
def customer_readable(who: Who, customer: Any = Customer, *, loans: bool = True) -> ColumnElement[bool]:
    """Oversight, head-office marketing and finance, the owning unit and the units above it; and,
    with `loans`, a borrower while the file is lent to them (002 rule 1, 004 §3). A clerk reads the
    files they look after (`looked_after_by`, 000 §10); a depot's or station's clerk also its unit's
    files, a head-office clerk no others (issue 20 §12: not every file of head office)."""
    actor = _actor(who)
    if any(actor.has(role) for role in OVERSIGHT_ROLES | CUSTOMER_DESK):
        return true()
    conditions = []
    if actor.has(Role.sales_clerk):
        conditions.append(looked_after_by(actor.username, customer))
    units = _of_my_units(who, customer.unit_code)
    if units and actor.unit is not None:
        only_clerk = all(role is Role.sales_clerk for role in actor.roles) and actor.has(Role.sales_clerk)
        conditions.append(and_(_outlet(actor.unit), or_(*units)) if only_clerk else or_(*units))
    if loans:
        conditions.append(on_loan_to(who, customer))
    return or_(*conditions) if conditions else false()


@enforces("002-1-read-only-loan")
def on_loan_to(who: Who, customer: Any = Customer) -> ColumnElement[bool]:
    """An approved loan of the file to `who`, not yet returned: it lets them read, never write."""
    return exists().where(
        Borrowing.customer_id == customer.id, Borrowing.borrower == _actor(who).username, Borrowing.status == "lent"
    )


async def get_customer(session: AsyncSession, who: Who, customer_id: int, *, loans: bool = True) -> Customer:
    """The customer file, or 404 — also when it exists but `who` may not read it. A route that
    changes the file passes `loans=False`: a borrowed file is read, never written (002 rule 1)."""
    readable = customer_readable(who, loans=loans)
    row = await session.scalar(select(Customer).where(Customer.id == customer_id, readable))
    if row is None:
        raise NotFound(f"customer {customer_id} not found")
    return row


async def get_vat_invoice(session: AsyncSession, who: Who, invoice_id: int) -> InvoiceRegisterEntry:
    """One invoice of the VAT register (000 §9 (三)), or 404: read by whoever keeps the customer's
    file (its station, head office above it, the customer desk, oversight) — never through a loan."""
    row = await session.scalar(
        select(InvoiceRegisterEntry)
        .join(Customer, Customer.id == InvoiceRegisterEntry.customer_id)
        .where(
            InvoiceRegisterEntry.id == invoice_id,
            InvoiceRegisterEntry.entry == "invoice",
            customer_readable(who, loans=False),
        )
    )
    if row is None:
        raise NotFound(f"VAT invoice {invoice_id} not found")
    return row


# --- deals (000 §7) -------------------------------------------------------------------------------


async def require_deal_handler(session: AsyncSession, who: Who, process: Process) -> None:
    """403 unless `who` is named by the deal (its applicant, handler or a co-handler): a marketing
    role alone does not let anyone bid, contract or file payments on someone else's deal."""
    me = _actor(who).username
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
    actor = _actor(who)
    roles = [r.value for r in actor.roles]
    to_me = note.recipient == actor.username
    if not roles:
        return to_me
    about = or_(note.process_id.is_(None), _process_of(who, note.process_id))
    return or_(to_me, and_(note.recipient.is_(None), note.recipient_role.in_(roles), about))


# --- visit plans and visits (000 §12, 002 rule 7; issue 12 §3) -----------------------------------


def visit_plan_readable(who: Who, salesperson: Any) -> ColumnElement[bool]:
    """A salesperson's own plans and visits; the marketing manager and the leaders who approve and
    supervise them; oversight. `salesperson` is the column naming the plan's salesperson."""
    actor = _actor(who)
    if any(actor.has(role) for role in OVERSIGHT_ROLES | VISIT_SUPERVISORS):
        return true()
    return salesperson == actor.username


# --- filing for a depot or a station (000 §5, §8, §9; issue 11 §1-§2) -----------------------------

OUTLET_KINDS = frozenset({"depot", "station"})


@enforces("000-4-unified-tiered")
async def require_acts_for_unit(session: AsyncSession, who: Who, unit: str) -> None:
    """403 unless `who` may file for `unit`: its own staff, or head office — a depot or a station
    (its manager, its clerk) acts only for itself, never for another (000 §5 分级实施)."""
    actor = _actor(who)
    if actor.unit == unit:
        return
    mine = await session.get(OrgUnit, actor.unit) if actor.unit else None
    if any(actor.has(role) for role in UNIT_SCOPED_ROLES) or (mine is not None and mine.kind in OUTLET_KINDS):
        raise Forbidden(f"{actor.username} of {actor.unit or 'no unit'} cannot act for {unit} (000 §5)")


# --- market development: meetings, plans, research notes (000 §5 (一)6, §12, §15; issue 12 §3) ------


def meeting_readable(who: Who) -> ColumnElement[bool]:
    """000 §5 (一)6: the marketing department organises the big-customer meetings; the leaders above
    it and oversight read them too. Nobody else (a meeting is head office's, of no unit)."""
    actor = _actor(who)
    return true() if any(actor.has(role) for role in OVERSIGHT_ROLES | DEVELOPMENT_READERS) else false()


def development_readable(
    who: Who, author: Any, unit_column: Any, also: ColumnElement[bool] | None = None
) -> ColumnElement[bool]:
    """A development plan or research notes (000 §12, §15): the marketing department and the leaders
    who approve them, oversight, the author, the managers of the author's unit (000 §5 分级实施);
    `also` adds a record's own readers (the salespeople a plan sets targets for)."""
    actor = _actor(who)
    if any(actor.has(role) for role in OVERSIGHT_ROLES | DEVELOPMENT_READERS):
        return true()
    branches: list[ColumnElement[bool]] = [author == actor.username]
    if any(actor.has(role) for role in UNIT_SCOPED_ROLES):
        branches += _of_my_units(who, unit_column)
    if also is not None:
        branches.append(also)
    return or_(*branches)
