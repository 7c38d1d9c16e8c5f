"""Filing a credit application (000 §13; 001 §3): POST /api/v1/credit-applications (and its
resubmission) and the applicant's credit form (web/apply_credit.py) call these, so the checks of
000 §13, the policy in force and the start are one."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from activities.credit_policy import policy_in_force, policy_version
from activities.process_store import unit_path
from activities.rule_store import pinned_version
from api.errors import Conflict, Invalid
from api.gateway import handle_for, send_update
from api.services.processes import applicants_process
from api.starts import start_process
from api.visibility import get_customer
from db.models import Customer, Process, User, UserRole
from domain.china_time import CHINA
from domain.credit import CreditCustomer, credit_application_workflow_id
from domain.credit_application import (
    APPLICATION_PROCESS,
    CreditApplicationForm,
    CreditApplicationIn,
    CreditApplicationInput,
    CreditResubmission,
    credit_application_chain,
    credit_paper_problems,
    grade_on_file,
)
from domain.customer_gate import CustomerOperation, ensure_customer_may
from domain.models import Actor, ProcessStatus, ProcessView
from domain.roles import Role
from domain.rule_change import RuleKind
from domain.rulebook import enforces

# One open application per customer: the workflow id is fixed per customer, so Temporal itself refuses
# a second start while one runs (or waits, returned, for its correction).
OPEN = "open"


@enforces("000-13-named-collector")
async def checked_form(
    session: AsyncSession, actor: Actor, body: CreditApplicationIn, pinned: int | None = None
) -> tuple[Customer, CreditApplicationForm]:
    """The application as the rules of 000 §13 and the policy in force accept it (a resubmission:
    the version its process pinned at the start, 新老划断); 422 with every problem."""
    customer = await get_customer(session, actor, body.customer_id, loans=False)
    ensure_customer_may(CustomerOperation.credit_application, customer)
    if pinned is not None:
        policy = await policy_version(session, pinned)
    else:
        policy = await policy_in_force(session, datetime.now(CHINA).date())
    problems: list[str] = []
    if body.term_days > policy.max_term_days:
        problems.append(
            f"term_days {body.term_days} exceeds the longest term of the credit policy: {policy.max_term_days} days"
        )
    collector = body.collector or actor.username
    is_clerk = await session.scalar(
        select(User.id)
        .join(UserRole, UserRole.user_id == User.id)
        .where(User.username == collector, User.is_active, UserRole.role == Role.sales_clerk.value)
    )
    if is_clerk is None:
        problems.append(f"collector {collector} is not an active sales clerk (000 §13 指定业务人员负责货款回收)")
    problems += credit_paper_problems(body.organisation_nature, body.documents, datetime.now(CHINA).date())
    if problems:
        raise Invalid(problems)
    grade = grade_on_file(customer.grade)
    form = CreditApplicationForm(
        customer_id=customer.id,
        limit=body.limit,
        term_days=body.term_days,
        collateral=body.collateral,
        reason=body.reason,
        collector=collector,
        grade=grade.value,
        ceiling=policy.limit_by_grade[grade],
        policy_version=policy.version,
        organisation_nature=body.organisation_nature,
        documents=body.documents,
    )
    return customer, form


async def file_credit_application(
    session: AsyncSession, temporal: Client, task_queue: str, actor: Actor, body: CreditApplicationIn
) -> ProcessView:
    """The sales desk applies for periodic settlement for a customer it may read (000 §13): marketing
    and finance review jointly, both leaders approve, the GM too above the grade's ceiling (001 §3)."""
    customer, form = await checked_form(session, actor, body)
    running = await session.scalar(
        select(Process.process_id).where(
            Process.process_type == APPLICATION_PROCESS,
            Process.customer_id == customer.id,
            Process.status.in_([ProcessStatus.running.value, ProcessStatus.returned.value]),
        )
    )
    if running is not None:
        raise Conflict(f"customer {customer.id} already has a credit application open: {running}")
    view: ProcessView = await start_process(
        temporal,
        "CreditApplication",
        CreditApplicationInput(
            customer=CreditCustomer(
                customer_id=customer.id, credit_code=customer.credit_code, name=customer.name, unit=customer.unit_code
            ),
            form=form,
            applicant=actor,
            unit_path=await unit_path(session, customer.unit_code),
            chain=credit_application_chain(form.limit, form.ceiling),
        ),
        workflow_id=credit_application_workflow_id(customer.credit_code, OPEN),
        task_queue=task_queue,
        result_type=ProcessView,
        already_running=f"customer {customer.id} already has a credit application open",
    )
    return view


async def _returnable(session: AsyncSession, actor: Actor, process_id: str) -> Process:
    """The credit application `actor` filed: 404 unless they may read it, 403 unless theirs, 409 for
    another kind of process."""
    process = await applicants_process(session, actor, process_id, "000 §13")
    if process.process_type != APPLICATION_PROCESS:
        raise Conflict(f"process {process_id} is not a credit application")
    return process


async def credit_correction_of(
    session: AsyncSession, temporal: Client, actor: Actor, process_id: str
) -> CreditApplicationIn:
    """What the applicant filed last (the workflow's `filed` query), as the body that files it: the
    correction form of a returned application starts from it."""
    process = await _returnable(session, actor, process_id)
    filed = await handle_for(temporal, process).query("filed", result_type=CreditApplicationForm)
    return CreditApplicationIn.model_validate(filed.model_dump(include=set(CreditApplicationIn.model_fields)))


async def resubmit_filed_application(
    session: AsyncSession,
    temporal: Client,
    actor: Actor,
    process_id: str,
    body: CreditApplicationIn,
    comment: str | None,
) -> ProcessView:
    """The applicant corrects a returned application, checked as a new one is against the policy
    its process pinned (新老划断); the chain starts again at the joint review."""
    process = await _returnable(session, actor, process_id)
    if body.customer_id != process.customer_id:
        raise Invalid([f"the application is for customer {process.customer_id}; a resubmission cannot change it"])
    pinned = await pinned_version(session, process.process_id, RuleKind.credit_policy)
    _, form = await checked_form(session, actor, body, pinned)
    return await send_update(
        handle_for(temporal, process),
        "resubmit",
        CreditResubmission(actor=actor, form=form, comment=comment),
        result_type=ProcessView,
    )
