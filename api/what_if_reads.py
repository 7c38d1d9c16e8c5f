"""The reads behind `POST /regulations/what-if` (issue 21 §4): who a candidate rule change would
reach, found in what the project already stores, and compared by the pure rules of domain/what_if.py.
Only SELECTs: nothing is written, no workflow is asked anything.

Where an open process's application lives (documented choice): its audit record
(activities/audit_store.py) holds the start input and every accepted resubmission as the process
received them; the latest of them is the application the process decides on now. One query for all
open processes, instead of one workflow query each.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from activities.calendar import load_calendar
from activities.rule_store import IN_FORCE, step_deadlines_in_force
from api.visibility import Viewer, customer_readable, visible_processes
from db.models import AuditRecord, CreditAccount, Customer, CustomerGrading, Process, Task
from domain.approvals import ONBOARDING_CHAIN
from domain.china_time import CHINA
from domain.credit_application import APPLICATION_PROCESS, CreditApplicationForm, grade_on_file
from domain.documents import Document
from domain.grading import Indicator
from domain.models import ProcessStatus
from domain.rule_change import (
    AnyRuleChange,
    CreditPolicyChange,
    GradingRuleChange,
    OnboardingDocumentsChange,
    RuleKind,
    StepDeadlinesChange,
)
from domain.what_if import (
    ALSO_REACHED,
    WhatIfAnswer,
    WhatIfCustomer,
    WhatIfProcess,
    credit_would_fail,
    grading_would_fail,
    onboarding_would_expire,
    onboarding_would_fail,
    overdue_steps,
    readable_only,
)

OPEN = tuple(s.value for s in ProcessStatus if s.is_open)
FILED = ("submitted", "resubmitted")  # the audit actions that carry the application as filed
# Never "passes" by default: a process filed before its audit record existed is named, not guessed.
UNRECORDED = "{article}: the application is not in the process's audit record (filed before it existed): check by hand"


IDS_PER_QUERY = 1000  # bound parameters per statement stay far below the drivers' limits


async def open_processes(session: AsyncSession, *process_types: str) -> list[Process]:
    query = select(Process).where(Process.process_type.in_(process_types), Process.status.in_(OPEN))
    return list(await session.scalars(query.order_by(Process.started_at, Process.process_id)))


async def latest_filed(session: AsyncSession, process_ids: Sequence[str], field: str) -> dict[str, dict[str, Any]]:
    """Per process, `field` of the latest application it accepted: the start input or the last
    resubmission, as its audit record holds them."""
    query = (
        select(AuditRecord.process_id, AuditRecord.details)
        .where(AuditRecord.process_id.in_(process_ids), AuditRecord.action.in_(FILED))
        .order_by(AuditRecord.position)
    )
    latest: dict[str, dict[str, Any]] = {}
    for process_id, details in await session.execute(query):
        filed = (details or {}).get("input") or (details or {}).get("request") or {}
        if isinstance(filed.get(field), dict):
            latest[process_id] = filed[field]
    return latest


def _process(row: Process, would_fail: list[str] | None = None, **judged: Any) -> WhatIfProcess:
    listed = WhatIfProcess.model_validate(row, from_attributes=True)
    return listed.model_copy(update={"would_fail": would_fail or [], **judged})


def _unrecorded(row: Process, article: str) -> WhatIfProcess:
    return _process(row, unjudged=UNRECORDED.format(article=article))


async def _also_reached(session: AsyncSession, rule: RuleKind, answer: WhatIfAnswer) -> str:
    """The open processes of the types that pin `rule` (or apply it later) beyond those judged,
    listed with why they are not judged; the sentence the summary says of them."""
    unjudged = ALSO_REACHED[rule]
    rows = await open_processes(session, *unjudged)
    answer.processes += [_process(row, unjudged=unjudged[row.process_type]) for row in rows]
    by_type = ", ".join(f"{sum(1 for r in rows if r.process_type == t)} {t}" for t in unjudged)
    return f" Also reached, not judged (see each one's `unjudged`): open {by_type}."


async def _onboarding_documents(session: AsyncSession, change: AnyRuleChange, answer: WhatIfAnswer) -> None:
    assert isinstance(change, OnboardingDocumentsChange)
    rows = await open_processes(session, ONBOARDING_CHAIN.process_type)
    applications = await latest_filed(session, [r.process_id for r in rows], "application")
    candidate, on = change.payload.documents, change.payload.effective_from
    for row in rows:
        filed = applications.get(row.process_id)
        if filed is None:
            answer.processes.append(_unrecorded(row, "000 §6"))
            continue
        documents = [Document.model_validate(d) for d in filed.get("documents", [])]
        lacking, expiring = (
            onboarding_would_fail(documents, candidate),
            onboarding_would_expire(documents, candidate, on),
        )
        answer.processes.append(_process(row, lacking, would_expire=expiring))
    answer.summary = (
        f"{len(rows)} open onboarding processes: {sum(1 for p in answer.processes if p.would_fail)} lacking a "
        f"document of the candidate list (000 §6); {sum(1 for p in answer.processes if p.would_expire)} holding a "
        f"listed document out of force on {on.isoformat()} (000 §6 validity, a different rule); "
        f"{sum(1 for p in answer.processes if p.unjudged)} could not be read from the record: check by hand. "
        "They keep the list they pinned at their start and would meet this one only if filed anew. "
        "No customer is touched: existing customers are not onboarded again."
    )


async def _credit_policy(session: AsyncSession, change: AnyRuleChange, answer: WhatIfAnswer) -> None:
    assert isinstance(change, CreditPolicyChange)
    candidate = change.payload
    accounts = select(Customer, CreditAccount).join(CreditAccount, CreditAccount.customer_id == Customer.id)
    for customer, account in await session.execute(accounts.order_by(Customer.id)):
        grade = grade_on_file(customer.grade)
        would_fail = credit_would_fail(account.credit_limit, account.term_days, grade, candidate)
        answer.customers.append(WhatIfCustomer(customer_id=customer.id, name=customer.name, would_fail=would_fail))
    rows = await open_processes(session, APPLICATION_PROCESS)
    forms = await latest_filed(session, [r.process_id for r in rows], "form")
    for row in rows:
        if row.process_id not in forms:
            answer.processes.append(_unrecorded(row, "001 §3"))
            continue
        form = CreditApplicationForm.model_validate(forms[row.process_id])
        asked = credit_would_fail(form.limit, form.term_days, grade_on_file(form.grade), candidate)
        answer.processes.append(_process(row, asked))
    answer.summary = (
        f"{len(answer.customers)} customers on credit, {sum(1 for c in answer.customers if c.would_fail)} of them "
        f"above the candidate's ceiling or term; {len(rows)} open credit applications, "
        f"{sum(1 for p in answer.processes if p.would_fail)} asking more than it allows, "
        f"{sum(1 for p in answer.processes if p.unjudged)} not read from the record: check by hand. Granted credit "
        "and open applications keep the policy they were decided or filed under."
    )
    answer.summary += await _also_reached(session, change.rule, answer)


async def _grading_rule(session: AsyncSession, change: AnyRuleChange, answer: WhatIfAnswer) -> None:
    assert isinstance(change, GradingRuleChange)
    last = select(CustomerGrading.customer_id, func.max(CustomerGrading.approved_at).label("at")).group_by(
        CustomerGrading.customer_id
    )
    latest = last.subquery()
    query = (
        select(Customer, CustomerGrading)
        .join(latest, latest.c.customer_id == Customer.id)
        .join(
            CustomerGrading,
            (CustomerGrading.customer_id == latest.c.customer_id) & (CustomerGrading.approved_at == latest.c.at),
        )
        .order_by(Customer.id, CustomerGrading.id)
    )
    for customer, sheet in await session.execute(query):
        scores = {Indicator(k): Decimal(v) for k, v in sheet.scores.items()}
        would_fail = grading_would_fail(scores, grade_on_file(customer.grade), change.payload)
        answer.customers.append(WhatIfCustomer(customer_id=customer.id, name=customer.name, would_fail=would_fail))
    answer.summary = (
        f"{len(answer.customers)} customers with an approved score sheet, "
        f"{sum(1 for c in answer.customers if c.would_fail)} of them graded otherwise under the candidate (001 §1). "
        "Customers never graded (first year, 001 §1: C) have no stored scores and are not listed; open grading "
        "rounds keep the version they pinned."
    )
    answer.summary += await _also_reached(session, change.rule, answer)


async def _step_deadlines(session: AsyncSession, change: AnyRuleChange, answer: WhatIfAnswer) -> None:
    """The open processes of the candidate's type, each with the open steps that would already be past
    their candidate deadline — dated from when each step's task opened, on the working-day calendar.
    READING: "already" is judged at the later of now and the start of the candidate's effective day
    (China time), the moment it could first apply; they keep the deadlines they started with."""
    assert isinstance(change, StepDeadlinesChange)
    payload = change.payload
    in_force = await step_deadlines_in_force(session, payload.process_type, payload.effective_from)
    answer.in_force_version = in_force.version if in_force is not None else None
    rows = await open_processes(session, payload.process_type)
    tasks = select(Task.process_id, Task.step, Task.created_at).where(
        Task.process_id.in_([r.process_id for r in rows]), Task.status == "open"
    )
    opened: dict[str, list[tuple[str, datetime]]] = {}
    for process_id, step, since in await session.execute(tasks.order_by(Task.created_at, Task.task_id)):
        opened.setdefault(process_id, []).append((step, since))
    calendar = await load_calendar(session)
    at = max(datetime.now(UTC), datetime.combine(payload.effective_from, time(), CHINA))
    for row in rows:
        answer.processes.append(
            _process(row, overdue_steps(calendar, opened.get(row.process_id, []), payload.steps, at))
        )
    answer.summary = (
        f"{len(rows)} open {payload.process_type} processes; {sum(1 for p in answer.processes if p.would_fail)} "
        "would already be overdue under the candidate deadlines (they keep the deadlines they started with)"
    )


REACH: dict[RuleKind, Callable[[AsyncSession, AnyRuleChange, WhatIfAnswer], Awaitable[None]]] = {
    RuleKind.onboarding_documents: _onboarding_documents,
    RuleKind.credit_policy: _credit_policy,
    RuleKind.grading_rule: _grading_rule,
    RuleKind.step_deadlines: _step_deadlines,
}


async def reach(session: AsyncSession, change: AnyRuleChange) -> WhatIfAnswer:
    """The whole reach of `change` if it applied from its date, against the version it would replace
    there (step deadlines, versioned per process type, name theirs in their own reader)."""
    on = change.payload.effective_from
    answer = WhatIfAnswer(rule=change.rule.value, effective_from=on)
    if change.rule in IN_FORCE:
        answer.in_force_version = (await IN_FORCE[change.rule](session, on)).version
    await REACH[change.rule](session, change, answer)
    return answer


async def _readable(session: AsyncSession, ids: list[Any], query: Callable[[list[Any]], Any]) -> set[Any]:
    """Those of `ids` that `query(chunk)` selects, a chunk of ids per statement."""
    found: set[Any] = set()
    for start in range(0, len(ids), IDS_PER_QUERY):
        found.update(await session.scalars(query(ids[start : start + IDS_PER_QUERY])))
    return found


async def what_if(session: AsyncSession, viewer: Viewer, change: AnyRuleChange) -> WhatIfAnswer:
    """The reach of `change` as `viewer` may see it: the processes and customers they may read listed
    (api/visibility/, the one rule of record-level reading; oversight reads all), the rest counted."""
    answer = await reach(session, change)
    if viewer.oversees:
        return answer
    processes = await _readable(
        session,
        [p.process_id for p in answer.processes],
        lambda chunk: visible_processes(viewer, select(Process.process_id).where(Process.process_id.in_(chunk))),
    )
    customers = await _readable(
        session,
        [c.customer_id for c in answer.customers],
        lambda chunk: select(Customer.id).where(Customer.id.in_(chunk), customer_readable(viewer)),
    )
    return readable_only(answer, processes, customers)
