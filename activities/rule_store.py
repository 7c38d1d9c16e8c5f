"""Versions of the company's rules: the writer of an approved change, and the look-up a process
pins at its start (domain/rule_change.py; 001 信用管理措施 §1-§2, 001 §1).

An approved change becomes a new row of the rule's own version table, named by its process (unique:
a retried activity finds its row and writes nothing twice). The readers of each rule
(`policy_in_force`, `config_in_force`) see it from its `effective_from` on and never see a draft.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from activities.credit_policy import policy_in_force
from activities.data_errors import fails_visibly_on_bad_data
from activities.grading_store import config_in_force
from db.models import AuditRecord, CreditPolicy, GradingConfig, OnboardingDocumentList, StepDeadlineVersion
from db.session import write_transaction
from domain.credit import CreditPolicyIn
from domain.documents import DocumentType, OnboardingDocumentsIn, RequiredDocuments
from domain.grading import GradingConfigIn
from domain.rule_change import RuleApproval, RuleKind, RuleVersionRef, documents_ref, effective_from
from domain.step_deadlines import StepDeadlinesIn, StepDeadlinesVersion

VersionTable = type[CreditPolicy] | type[GradingConfig] | type[OnboardingDocumentList] | type[StepDeadlineVersion]
TABLES: dict[RuleKind, VersionTable] = {
    RuleKind.credit_policy: CreditPolicy,
    RuleKind.grading_rule: GradingConfig,
    RuleKind.onboarding_documents: OnboardingDocumentList,
    RuleKind.step_deadlines: StepDeadlineVersion,
}
NEXT_VERSION_ATTEMPTS = 3  # two approvals racing for the next number: the loser numbers again


def _credit_policy_columns(payload: BaseModel) -> dict[str, Any]:
    assert isinstance(payload, CreditPolicyIn)
    return {
        "limit_by_grade": {k.value: str(v) for k, v in payload.limit_by_grade.items()},
        "max_term_days": payload.max_term_days,
        "risk": payload.risk.model_dump(mode="json"),
        "collection_working_days": payload.collection_working_days,
    }


def _grading_rule_columns(payload: BaseModel) -> dict[str, Any]:
    assert isinstance(payload, GradingConfigIn)
    return {
        "weights": {k.value: str(v) for k, v in payload.weights.items()},
        "thresholds": {"A": str(payload.thresholds.A), "B": str(payload.thresholds.B)},
    }


def _onboarding_documents_columns(payload: BaseModel) -> dict[str, Any]:
    assert isinstance(payload, OnboardingDocumentsIn)
    return {"documents": [d.value for d in payload.documents]}


def _step_deadlines_columns(payload: BaseModel) -> dict[str, Any]:
    assert isinstance(payload, StepDeadlinesIn)
    return {
        "process_type": payload.process_type,
        "steps": {key: timing.model_dump(mode="json") for key, timing in payload.steps.items()},
    }


COLUMNS: dict[RuleKind, Callable[[BaseModel], dict[str, Any]]] = {
    RuleKind.credit_policy: _credit_policy_columns,
    RuleKind.grading_rule: _grading_rule_columns,
    RuleKind.onboarding_documents: _onboarding_documents_columns,
    RuleKind.step_deadlines: _step_deadlines_columns,
}


async def _credit_policy_in_force(session: AsyncSession, on: date) -> RuleVersionRef:
    view = await policy_in_force(session, on)
    return RuleVersionRef(rule=RuleKind.credit_policy, version=view.version, effective_from=view.effective_from)


async def _grading_rule_in_force(session: AsyncSession, on: date) -> RuleVersionRef:
    row = await config_in_force(session, on)
    if row is None:
        raise LookupError(f"no grading rule is in force on {on}: migration 0014 seeds version 1")
    return RuleVersionRef(rule=RuleKind.grading_rule, version=row.version, effective_from=row.effective_from)


async def documents_in_force(session: AsyncSession, on: date) -> RequiredDocuments:
    """The onboarding document list (000 §6) in force on `on`: the latest effective on or before it;
    of two effective the same day, the later version."""
    query = (
        select(OnboardingDocumentList)
        .where(OnboardingDocumentList.effective_from <= on)
        .order_by(OnboardingDocumentList.effective_from.desc(), OnboardingDocumentList.version.desc())
        .limit(1)
    )
    row = await session.scalar(query)
    if row is None:
        raise LookupError(f"no onboarding document list is in force on {on}: migration 0027 seeds version 1")
    return _required(row)


def _required(row: OnboardingDocumentList) -> RequiredDocuments:
    documents = tuple(DocumentType(d) for d in row.documents)
    return RequiredDocuments(version=row.version, effective_from=row.effective_from, documents=documents)


async def _onboarding_documents_in_force(session: AsyncSession, on: date) -> RuleVersionRef:
    return documents_ref(await documents_in_force(session, on))


IN_FORCE: dict[RuleKind, Callable[[AsyncSession, date], Awaitable[RuleVersionRef]]] = {
    RuleKind.credit_policy: _credit_policy_in_force,
    RuleKind.grading_rule: _grading_rule_in_force,
    RuleKind.onboarding_documents: _onboarding_documents_in_force,
}


async def step_deadlines_in_force(session: AsyncSession, process_type: str, on: date) -> StepDeadlinesVersion | None:
    """The version of `process_type`'s step deadlines in force on `on` (the latest effective on or
    before it; of two the same day, the later approved); None: none yet, the chain as declared.
    Per process type, so it is not one of `IN_FORCE`'s company-wide rules."""
    query = (
        select(StepDeadlineVersion)
        .where(StepDeadlineVersion.process_type == process_type, StepDeadlineVersion.effective_from <= on)
        .order_by(StepDeadlineVersion.effective_from.desc(), StepDeadlineVersion.version.desc())
        .limit(1)
    )
    row = await session.scalar(query)
    if row is None:
        return None
    return StepDeadlinesVersion(version=row.version, effective_from=row.effective_from, steps=row.steps)


async def pinned_version(session: AsyncSession, process_id: str, rule: RuleKind) -> int | None:
    """The version of `rule` a process pinned at its start, as its audit record names it (None: a
    process started before versions were pinned)."""
    query = select(AuditRecord.details).where(
        AuditRecord.process_id == process_id, AuditRecord.event_key == f"rule:{rule.value}"
    )
    details = await session.scalar(query)
    version = ((details or {}).get("rule") or {}).get("version")
    return version if isinstance(version, int) else None


async def pinned_versions(session: AsyncSession, process_id: str) -> list[RuleVersionRef]:
    """Every rule version a process pinned at its start, in the order its audit record names them
    (issue 21 §3: `GET /processes/{id}` shows them). A rule kind this code no longer knows is left out."""
    query = (
        select(AuditRecord.details)
        .where(AuditRecord.process_id == process_id, AuditRecord.event_key.startswith("rule:"))
        .order_by(AuditRecord.position)
    )
    refs = []
    for details in await session.scalars(query):
        try:
            refs.append(RuleVersionRef.model_validate((details or {}).get("rule") or {}))
        except ValidationError:
            continue
    return refs


async def pinned_documents(session: AsyncSession, process_id: str) -> RequiredDocuments | None:
    """The onboarding document list an onboarding pinned at its start (None: started before the
    list was versioned, checked against the nine documents declared in domain/documents.py)."""
    version = await pinned_version(session, process_id, RuleKind.onboarding_documents)
    row = await session.get(OnboardingDocumentList, version) if version is not None else None
    return _required(row) if row is not None else None


class RuleInForce(BaseModel):
    rule: RuleKind
    on: date


async def _approved(session: AsyncSession, table: VersionTable, process_id: str) -> RuleVersionRef | None:
    query = select(table.version, table.effective_from).where(table.process_id == process_id)
    found = (await session.execute(query)).first()
    if found is None:
        return None
    return RuleVersionRef(rule=_kind(table), version=found[0], effective_from=found[1])


def _kind(table: VersionTable) -> RuleKind:
    return next(kind for kind, t in TABLES.items() if t is table)


class RuleStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    @activity.defn
    async def rule_in_force(self, request: RuleInForce) -> RuleVersionRef:
        """The version a process starting on `on` runs under to its end."""
        async with self.sessions() as session:
            return await IN_FORCE[request.rule](session, request.on)

    @activity.defn
    @fails_visibly_on_bad_data
    async def apply_approved_change(self, approval: RuleApproval) -> RuleVersionRef:
        """The GM approved: the change becomes the rule's next version, in force from its drafted
        date or, when that has passed, from the day of approval; once per process."""
        table = TABLES[approval.change.rule]
        for attempt in range(NEXT_VERSION_ATTEMPTS):
            try:
                async with write_transaction(self.sessions) as session:
                    done = await _approved(session, table, approval.process_id)
                    if done is not None:  # a retried activity: written already
                        return done
                    version = (await session.scalar(select(func.max(table.version))) or 0) + 1
                    payload = approval.change.payload
                    row = table(
                        version=version,
                        effective_from=effective_from(payload.effective_from, approval.approved_on),
                        changed_by=approval.drafted_by,
                        changed_at=datetime.now(UTC),
                        reason=payload.reason,
                        process_id=approval.process_id,
                        **COLUMNS[approval.change.rule](payload),
                    )
                    session.add(row)
                    await session.flush()
                    return RuleVersionRef(rule=approval.change.rule, version=version, effective_from=row.effective_from)
            except IntegrityError:
                if attempt == NEXT_VERSION_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")
