"""P1 onboarding (000 §6) as a service: POST /api/v1/onboarding and its resubmission, and the
applicant's pages (web/apply.py) call these, so the checklist, the document check and the start
are one."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from activities.process_store import unit_path
from activities.rule_store import documents_in_force, pinned_documents
from api.errors import Conflict, Invalid, NotFound
from api.gateway import handle_for, send_update
from api.services.processes import applicants_process
from api.starts import start_process
from db.models import Customer, Process
from domain.approvals import ONBOARDING_CHAIN
from domain.china_time import china_day
from domain.documents import RequiredDocuments, document_problems, pinned_list
from domain.models import (
    Actor,
    OnboardingApplication,
    OnboardingInput,
    ProcessView,
    ResubmitRequest,
    onboarding_kind_problem,
)
from domain.rulebook import enforces
from settings import Settings


def onboarding_workflow_id(credit_code: str) -> str:
    """One workflow id per customer: Temporal itself refuses a second open onboarding (409)."""
    return f"onboarding-{credit_code}"


async def checklist_today(session: AsyncSession) -> RequiredDocuments:
    """The version of the 000 §6 document list an application filed now is checked against."""
    return await documents_in_force(session, china_day(datetime.now(UTC)))


@enforces("000-6-documents")
def check_documents(application: OnboardingApplication, required: RequiredDocuments | None) -> None:
    """The kind onboarding is for (000 §6 (一)) and the documents of the list `required` (000 §6
    (三); None: the nine declared, for a process started before the list was versioned). Each
    shortfall names the list's version, so the applicant knows which list refused them."""
    kind_problem = onboarding_kind_problem(application.customer.kind)
    problems = [kind_problem] if kind_problem else []
    shortfalls = document_problems(
        application.documents,
        pinned_list(required),
        china_day(datetime.now(UTC)),
        delegate=application.customer.delegate is not None,
    )
    version = f" (onboarding_documents v{required.version})" if required is not None else ""
    problems += [f"000 §6{version}: {problem}" for problem in shortfalls]
    if problems:
        raise Invalid(problems)


async def file_onboarding(
    session: AsyncSession,
    temporal: Client,
    settings: Settings,
    task_queue: str,
    actor: Actor,
    application: OnboardingApplication,
) -> ProcessView:
    """A sales clerk files the customer's archive data and the documents of the list in force today
    (000 §6, §10); the process checks them against that version to its end (新老划断)."""
    required = await checklist_today(session)
    check_documents(application, required)
    code = application.customer.credit_code
    if await session.scalar(select(Customer.id).where(Customer.credit_code == code)) is not None:
        raise Conflict(f"a customer with credit code {code} already exists")
    return await start_process(
        temporal,
        "Onboarding",
        OnboardingInput(
            application=application,
            applicant=actor,
            unit_path=await unit_path(session, actor.unit),
            chain=ONBOARDING_CHAIN.with_step_deadlines(settings.onboarding_step_working_days),
            required=required,
        ),
        workflow_id=onboarding_workflow_id(code),
        task_queue=task_queue,
        result_type=ProcessView,
        already_running=f"customer {code} already has an onboarding process open",
    )


async def resubmit_onboarding(
    session: AsyncSession,
    temporal: Client,
    actor: Actor,
    process_id: str,
    application: OnboardingApplication,
    comment: str | None,
) -> ProcessView:
    """The applicant corrects a returned application against the list its process pinned at its
    start; the chain restarts at marketing review."""
    process = await _applicants_process(session, actor, process_id)
    check_documents(application, await pinned_documents(session, process.process_id))
    return await send_update(
        handle_for(temporal, process),
        "resubmit",
        ResubmitRequest(actor=actor, application=application, comment=comment),
        result_type=ProcessView,
    )


async def _applicants_process(session: AsyncSession, actor: Actor, process_id: str) -> Process:
    """The onboarding `actor` filed: 404 unless they may read it (api/visibility), 403 unless theirs."""
    return await applicants_process(session, actor, process_id, "000 §6")


async def correction_of(
    session: AsyncSession, temporal: Client, actor: Actor, process_id: str
) -> tuple[OnboardingApplication, RequiredDocuments | None]:
    """What the applicant filed last (the workflow's `filed` query) and the list it is checked
    against (pinned at its start): the correction form of a returned application starts from them."""
    process = await _applicants_process(session, actor, process_id)
    if process.process_type != ONBOARDING_CHAIN.process_type:
        raise NotFound(f"process {process_id} is not an onboarding")
    filed = await handle_for(temporal, process).query("filed", result_type=OnboardingApplication)
    return filed, await pinned_documents(session, process.process_id)
