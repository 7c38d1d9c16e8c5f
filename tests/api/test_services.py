"""Issue 23: a web page calls the same services as the API's routes (api/services/), with no HTTP in
between: the answer is the route's, and the record-level rule (api.visibility) refuses alike."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from api.deps import load_actor
from api.errors import Invalid, NotFound
from api.services import credit, development
from db.models import DevelopmentPlan
from domain.development import DevelopmentPlanIn
from domain.models import Actor
from tests.activities.test_credit_store import make_credit_customer
from tests.support import Api

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def actor_named(session: AsyncSession, username: str) -> Actor:
    actor = await load_actor(session, username)
    assert actor is not None, username
    return actor


async def test_a_page_reads_a_credit_standing_as_the_route_answers_it(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    customer_id = await make_credit_customer(sessions, limit=Decimal("1000.00"))
    routed = await api.get(f"/api/v1/customers/{customer_id}/credit", "marketing_manager")
    assert routed.status_code == 200, routed.text
    async with sessions() as session:
        served = await credit.read_standing(session, await actor_named(session, "marketing_manager"), customer_id)
        assert served.model_dump(mode="json") == routed.json()
        # A depot's manager reads only its own unit's files (000 §5): the route's 404 is the service's NotFound.
        assert (await api.get(f"/api/v1/customers/{customer_id}/credit", "depot_manager")).status_code == 404
        with pytest.raises(NotFound):
            await credit.read_standing(session, await actor_named(session, "depot_manager"), customer_id)


async def test_a_page_is_refused_a_plan_for_an_ended_month_as_the_route_is(
    api: Api, sessions: async_sessionmaker[AsyncSession], temporal_env: WorkflowEnvironment
) -> None:
    """000 §12: a plan is for the coming month; the route's 422 is the service's Invalid, same words,
    and neither writes a plan."""
    user = "marketing_reviewer"
    target = {"salesperson": "sales_clerk", "prospect": "新乡某物流公司", "indicator": "新开发客户", "target": "1"}
    body = {"month": "2020-01", "focus": "新乡、开封两地物流客户", "targets": [target]}
    async with sessions() as session:
        before = await session.scalar(select(func.count()).select_from(DevelopmentPlan))
    routed = await api.post("/api/v1/development-plans", user, json=body)
    assert routed.status_code == 422, routed.text
    async with sessions() as session:
        plan, actor = DevelopmentPlanIn.model_validate(body), await actor_named(session, user)
        with pytest.raises(Invalid) as refused:
            await development.submit_plan(session, temporal_env.client, "no-queue", actor, plan)
        assert refused.value.detail == routed.json()["detail"]
        assert "000 §12" in refused.value.detail[0]
        await session.rollback()
        assert await session.scalar(select(func.count()).select_from(DevelopmentPlan)) == before
