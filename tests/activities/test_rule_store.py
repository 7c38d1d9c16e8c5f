"""The rule store (issue 20 item 7; domain/rule_change.py) on both databases: an approved change
becomes the rule's next version once per process; approved after its drafted date, it takes effect
the day of approval, never backwards (新老划断)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from activities.grading_store import config_in_force, config_view
from activities.rule_store import RuleInForce, RuleStore
from db.models import GradingConfig
from domain.grading import GradingConfigIn
from domain.rule_change import GradingRuleChange, RuleApproval, RuleKind
from workflows.grading import CHINA

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_an_approval_after_the_drafted_date_takes_effect_that_day_once(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    today = datetime.now(CHINA).date()
    async with sessions() as session:
        current = await config_in_force(session, today)
        assert current is not None
        count = await session.scalar(select(func.count()).select_from(GradingConfig))
    view = config_view(current)  # the numbers in force: harmless to the tests sharing the database
    payload = GradingConfigIn(
        effective_from=today - timedelta(days=10), weights=view.weights, thresholds=view.thresholds, reason="late"
    )
    approval = RuleApproval(
        process_id=f"rule-store-{uuid.uuid4()}",
        change=GradingRuleChange(payload=payload),
        drafted_by="marketing_manager",
        approved_by="general_manager",
        approved_on=today,
    )
    store = RuleStore(sessions)
    first = await store.apply_approved_change(approval)
    assert (first.rule, first.effective_from) == (RuleKind.grading_rule, today)
    assert await store.apply_approved_change(approval) == first  # a retried activity writes nothing twice
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(GradingConfig)) == (count or 0) + 1
    pinned = await store.rule_in_force(RuleInForce(rule=RuleKind.grading_rule, on=today))
    assert pinned.version == first.version
