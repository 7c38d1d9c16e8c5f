"""P9 market development (000 §12, §15) as a service: the monthly development plan with its
targets and month-end results, and the monthly research notes — filed, listed, read and assessed as
the routes of api/routes/development.py and the pages both do."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from activities.process_store import unit_path
from api.customer_gate import ensure_customers_may
from api.errors import Conflict, Forbidden, Invalid, NotFound
from api.schemas import ProcessStateOut
from api.starts import start_process
from api.visibility import customer_readable, development_readable
from db.models import Customer, DevelopmentPlan, DevelopmentTarget, ResearchNote, User
from domain.china_time import CHINA, ChinaTime
from domain.customer_gate import CustomerOperation
from domain.development import (
    DEVELOPMENT_DESK,
    RESEARCH_NOTE_CHAIN,
    DevelopmentInput,
    DevelopmentKind,
    DevelopmentPlanIn,
    ResearchNoteIn,
    ResultsIn,
    development_plan_chain,
    development_workflow_id,
)
from domain.models import Actor, ProcessView
from domain.rulebook import enforces


def this_month() -> str:
    return datetime.now(CHINA).strftime("%Y-%m")


async def readable_customers(session: AsyncSession, actor: Actor, ids: list[int]) -> dict[int, str]:
    """The names of `ids`; 422 naming any the actor cannot find."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return {}
    rows = await session.execute(
        select(Customer.id, Customer.name).where(Customer.id.in_(wanted), customer_readable(actor))
    )
    names = dict(rows.tuples().all())
    unknown = [i for i in wanted if i not in names]
    if unknown:
        raise Invalid([f"customer {i} not found" for i in unknown])
    return names


class StartedOut(ProcessStateOut):
    record_id: int


async def start_development(temporal: Client, task_queue: str, start: DevelopmentInput, workflow_id: str) -> StartedOut:
    """A plan or a note goes to its approval (one workflow type for both, 000 §12, §15)."""
    view = await start_process(
        temporal,
        "DevelopmentApproval",
        start,
        workflow_id=workflow_id,
        task_queue=task_queue,
        result_type=ProcessView,
    )
    return StartedOut(**ProcessStateOut.model_validate(view.model_dump()).model_dump(), record_id=start.record_id)


# --- the monthly development plan (000 §12) --------------------------------------------------------


class TargetOut(BaseModel):
    target_id: int
    salesperson: str
    customer_id: int | None
    prospect: str | None
    indicator: str
    target: Decimal
    actual: Decimal | None


class PlanOut(BaseModel):
    plan_id: int
    month: str
    author: str
    focus: str
    status: str
    workflow_id: str
    decided_by: str | None
    assessed_by: str | None
    assessed_at: ChinaTime | None
    targets: list[TargetOut]


def plan_out(plan: DevelopmentPlan) -> PlanOut:
    return PlanOut(
        plan_id=plan.id,
        month=plan.month,
        author=plan.author,
        focus=plan.focus,
        status=plan.status,
        workflow_id=plan.workflow_id,
        decided_by=plan.decided_by,
        assessed_by=plan.assessed_by,
        assessed_at=plan.assessed_at,
        targets=[
            TargetOut(
                target_id=t.id,
                salesperson=t.salesperson,
                customer_id=t.customer_id,
                prospect=t.prospect,
                indicator=t.indicator,
                target=t.target,
                actual=t.actual,
            )
            for t in plan.targets
        ],
    )


def plan_readable(actor: Actor) -> Any:
    """A plan's readers, and each salesperson it sets a target for (000 §12 分解到具体销售人员)."""
    targeted = DevelopmentPlan.id.in_(
        select(DevelopmentTarget.plan_id).where(DevelopmentTarget.salesperson == actor.username)
    )
    return development_readable(actor, DevelopmentPlan.author, DevelopmentPlan.unit_code, targeted)


async def readable_plan(session: AsyncSession, actor: Actor, plan_id: int) -> DevelopmentPlan:
    plan = await session.scalar(select(DevelopmentPlan).where(DevelopmentPlan.id == plan_id, plan_readable(actor)))
    if plan is None:
        raise NotFound(f"development plan {plan_id} not found")
    return plan


async def submit_plan(
    session: AsyncSession, temporal: Client, task_queue: str, actor: Actor, body: DevelopmentPlanIn
) -> StartedOut:
    """Next month's development plan (000 §12), to its approval; 422 for a month that has ended, a
    customer the actor cannot read or a salesperson unknown, 409 for a customer whose status forbids it."""
    if body.month < this_month():
        raise Invalid([f"month {body.month} has ended: a plan is for the coming month (000 §12)"])
    targets = [t.customer_id for t in body.targets if t.customer_id is not None]
    await readable_customers(session, actor, targets)
    await ensure_customers_may(session, CustomerOperation.develop, targets)  # 004 §4-§6
    people = list(dict.fromkeys(t.salesperson for t in body.targets))
    known = set(await session.scalars(select(User.username).where(User.username.in_(people))))
    if unknown := [p for p in people if p not in known]:
        raise Invalid([f"salesperson {p} not found" for p in unknown])
    plan = DevelopmentPlan(
        month=body.month,
        author=actor.username,
        unit_code=actor.unit,
        focus=body.focus,
        workflow_id="",
        status="running",
        submitted_at=datetime.now(UTC),
    )
    session.add(plan)
    await session.flush()
    plan.workflow_id = development_workflow_id(DevelopmentKind.plan, plan.id, uuid.uuid4().hex[:12])
    session.add_all(
        DevelopmentTarget(
            plan_id=plan.id,
            salesperson=t.salesperson,
            customer_id=t.customer_id,
            prospect=t.prospect,
            indicator=t.indicator,
            target=t.target,
        )
        for t in body.targets
    )
    await session.flush()
    start = DevelopmentInput(
        kind=DevelopmentKind.plan,
        record_id=plan.id,
        month=body.month,
        author=actor,
        unit_path=await unit_path(session, actor.unit),
        subject=f"{body.month} 市场开发计划书 {actor.username}",
        due_before_month=True,
        chain=development_plan_chain(frozenset(actor.roles)),
    )
    return await start_development(temporal, task_queue, start, plan.workflow_id)


async def list_plans(session: AsyncSession, actor: Actor, month: str | None) -> list[PlanOut]:
    """The development plans `actor` may read (000 §12), newest first."""
    query = select(DevelopmentPlan).where(plan_readable(actor))
    if month:
        query = query.where(DevelopmentPlan.month == month)
    return [plan_out(p) for p in await session.scalars(query.order_by(DevelopmentPlan.id.desc()).limit(200))]


async def get_plan(session: AsyncSession, actor: Actor, plan_id: int) -> PlanOut:
    return plan_out(await readable_plan(session, actor, plan_id))


@enforces("000-12-month-end-assessment")
async def record_results(session: AsyncSession, actor: Actor, plan_id: int, body: ResultsIn) -> PlanOut:
    """月底考核兑现 (000 §12): each target's actual figure, by the marketing department, once the
    plan's month has begun; the last assessment stands, with who and when."""
    plan = await readable_plan(session, actor, plan_id)
    if not any(actor.has(role) for role in DEVELOPMENT_DESK):
        raise Forbidden("the marketing department assesses the plan (000 §12)")
    if plan.status != "approved":
        raise Conflict(f"the plan is {plan.status}, not approved: nothing to assess")
    if plan.month > this_month():
        raise Conflict(f"the month {plan.month} has not begun: assessed at its end (000 §12)")
    targets = {t.id: t for t in plan.targets}
    if unknown := [r.target_id for r in body.results if r.target_id not in targets]:
        raise Invalid([f"target {i} is not a target of plan {plan_id}" for i in unknown])
    for result in body.results:
        targets[result.target_id].actual = result.actual
    plan.assessed_by, plan.assessed_at = actor.username, datetime.now(UTC)
    await session.flush()
    return plan_out(plan)


# --- the monthly research notes (000 §15, §12) -----------------------------------------------------


class NoteOut(BaseModel):
    note_id: int
    month: str
    author: str
    area: str
    findings: str
    customers_contacted: int
    potential_customers: list[dict[str, Any]]
    status: str
    workflow_id: str
    decided_by: str | None


def note_out(note: ResearchNote) -> NoteOut:
    return NoteOut(
        note_id=note.id,
        month=note.month,
        author=note.author,
        area=note.area,
        findings=note.findings,
        customers_contacted=note.customers_contacted,
        potential_customers=note.potential_customers,
        status=note.status,
        workflow_id=note.workflow_id,
        decided_by=note.decided_by,
    )


def note_readable(actor: Actor) -> Any:
    return development_readable(actor, ResearchNote.author, ResearchNote.unit_code)


async def submit_note(
    session: AsyncSession, temporal: Client, task_queue: str, actor: Actor, body: ResearchNoteIn, working_days: int
) -> StartedOut:
    """A month's research notes (000 §15), for the marketing manager's approval within
    `working_days`; 422 for a month that has not begun."""
    if body.month > this_month():
        raise Invalid([f"month {body.month} has not begun: notes record research done (000 §15)"])
    note = ResearchNote(
        month=body.month,
        author=actor.username,
        unit_code=actor.unit,
        area=body.area,
        findings=body.findings,
        customers_contacted=body.customers_contacted,
        potential_customers=[p.model_dump() for p in body.potential_customers],
        workflow_id="",
        status="running",
        submitted_at=datetime.now(UTC),
    )
    session.add(note)
    await session.flush()
    note.workflow_id = development_workflow_id(DevelopmentKind.note, note.id, uuid.uuid4().hex[:12])
    await session.flush()
    start = DevelopmentInput(
        kind=DevelopmentKind.note,
        record_id=note.id,
        month=body.month,
        author=actor,
        unit_path=await unit_path(session, actor.unit),
        subject=f"{body.month} 客户调研 {body.area} {actor.username}",
        chain=RESEARCH_NOTE_CHAIN.with_step_deadlines(working_days),
    )
    return await start_development(temporal, task_queue, start, note.workflow_id)


async def list_notes(session: AsyncSession, actor: Actor, month: str | None) -> list[NoteOut]:
    """The research notes `actor` may read (000 §15), newest first."""
    query = select(ResearchNote).where(note_readable(actor))
    if month:
        query = query.where(ResearchNote.month == month)
    return [note_out(n) for n in await session.scalars(query.order_by(ResearchNote.id.desc()).limit(200))]


async def get_note(session: AsyncSession, actor: Actor, note_id: int) -> NoteOut:
    note = await session.scalar(select(ResearchNote).where(ResearchNote.id == note_id, note_readable(actor)))
    if note is None:
        raise NotFound(f"research notes {note_id} not found")
    return note_out(note)
