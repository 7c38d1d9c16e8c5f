"""Each audit row of a step names the rules that step applied (issue 21 §3), taken from the chain
the process runs — here a chain declared by the test alone, on real Temporal (time-skipping server)
and a real database (SQLite and PostgreSQL). A countersign names them once per seat's decision; a
delegate's opinion decides nothing and names none."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from db.models import AuditRecord, RuleApplication
from domain.approvals import SignMode
from domain.models import HandOverKind, HandOverRequest
from domain.roles import Role
from tests.engine_support import Engine, chain, person, step
from tests.rulebook_support import NAMED
from tests.support import WorkerControl

pytestmark = pytest.mark.asyncio(loop_scope="session")

SPEC = chain(
    step("review", roles=(Role.finance_reviewer, Role.chief_accountant), mode=SignMode.any, rules=(NAMED,)),
    step("leaders", named=True, mode=SignMode.all, rules=(NAMED,)),
    step("sign", role=Role.general_manager),
)


@pytest_asyncio.fixture(loop_scope="session")
async def engine(
    time_env: WorkflowEnvironment, clock_worker: WorkerControl, sessions: async_sessionmaker[AsyncSession]
) -> AsyncIterator[Engine]:
    yield Engine(time_env.client, clock_worker.task_queue, sessions)


async def rows(engine: Engine) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The process's decisions as its audit record names them, and its rule_applications index."""
    async with engine.sessions() as session:
        decisions = await session.execute(
            select(AuditRecord.actor, AuditRecord.action, AuditRecord.step, AuditRecord.details)
            .where(
                AuditRecord.process_id == engine.process_id, AuditRecord.action.in_(["decision", "delegate_opinion"])
            )
            .order_by(AuditRecord.position)
        )
        applied = await session.execute(
            select(RuleApplication.rule_id, RuleApplication.step, RuleApplication.process_type)
            .where(RuleApplication.process_id == engine.process_id)
            .order_by(RuleApplication.position)
        )
        named = [(actor, action, step, details.get("rules", [])) for actor, action, step, details in decisions]
        return named, [tuple(row) for row in applied]


async def test_each_decision_of_a_step_names_the_rules_of_the_chain_the_process_runs(engine: Engine) -> None:
    await engine.start(SPEC, signers={"leaders": ["marketing_manager", "legal_reviewer"]})
    task = await engine.task("review", "finance_reviewer")
    delegate = HandOverRequest(
        task_id=task.task_id,
        kind=HandOverKind.delegate,
        to=person("chief_accountant"),
        actor=person("finance_reviewer"),
    )
    await engine.update("hand_over", delegate)
    [delegated] = [t for t in await engine.tasks() if t.task_id == task.task_id]
    await engine.update("decide", engine.decision(delegated, "chief_accountant", comment="建议同意"))  # advice only
    await engine.decide("review", "finance_reviewer")
    await engine.decide("leaders", "marketing_manager")
    await engine.decide("leaders", "legal_reviewer")
    assert (await engine.decide("sign", "general_manager")).status == "approved"

    named, applied = await rows(engine)
    assert named == [
        ("chief_accountant", "delegate_opinion", "review", []),
        ("finance_reviewer", "decision", "review", [NAMED]),
        ("marketing_manager", "decision", "leaders", [NAMED]),
        ("legal_reviewer", "decision", "leaders", [NAMED]),
        ("general_manager", "decision", "sign", []),
    ]
    assert applied == [
        (NAMED, "review", "test_chain"),
        (NAMED, "leaders", "test_chain"),
        (NAMED, "leaders", "test_chain"),
    ]
