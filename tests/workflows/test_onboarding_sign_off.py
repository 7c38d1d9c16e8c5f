"""000 §6 at the sign-off (issue 20 item 12): a licence that expires while the application is under
review stops the general manager's approval — through the real API, on the time-skipping server
so that the review can take days."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from db.models import Customer
from tests.support import application, record_history, running_api

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def customers_with(sessions: async_sessionmaker[AsyncSession], credit_code: str) -> int:
    async with sessions() as session:
        count = await session.scalar(select(func.count()).where(Customer.credit_code == credit_code))
        return int(count or 0)


@pytest.mark.rule("000-6-customer-after-gm-approval")
async def test_a_licence_expired_under_review_stops_the_sign_off(
    time_env: WorkflowEnvironment, sessions: async_sessionmaker[AsyncSession], database_url: str, task_queue: str
) -> None:
    body = application()
    tomorrow = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()
    licence = next(d for d in body["documents"] if d["type"] == "business_license")
    licence["valid_until"] = tomorrow  # in force at filing, expired two days into the review
    code = body["customer"]["credit_code"]
    async with running_api(time_env.client, sessions, task_queue, database_url) as api:
        filed = await api.submit(body=body)
        assert filed.status_code == 201, filed.text
        process_id = filed.json()["process_id"]
        for user in ("marketing_reviewer", "finance_reviewer", "business_vp"):
            assert (await api.decide(user, process_id, "approve")).status_code == 200
        await time_env.sleep(timedelta(days=2))

        refused = await api.decide("general_manager", process_id, "approve")
        assert refused.status_code == 409, refused.text
        detail = refused.json()["detail"]
        assert "000 §6" in detail and "business_license" in detail and tomorrow in detail
        assert await customers_with(sessions, code) == 0  # nothing created, nothing decided
        state = (await api.get(f"/api/v1/processes/{process_id}", "general_manager")).json()
        assert (state["status"], state["current_step"]) == ("running", "gm_approval")

        returned = await api.decide("general_manager", process_id, "return", "营业执照已过期, 请提供换发后的执照")
        assert returned.status_code == 200, returned.text
        assert returned.json()["status"] == "returned"
        assert await customers_with(sessions, code) == 0
        handle = time_env.client.get_workflow_handle(f"onboarding-{code}", run_id=process_id)
        record_history("onboarding_sign_off_refused_then_returned", await handle.fetch_history())


async def test_documents_in_force_at_the_sign_off_create_the_customer(
    time_env: WorkflowEnvironment, sessions: async_sessionmaker[AsyncSession], database_url: str, task_queue: str
) -> None:
    body = application()
    async with running_api(time_env.client, sessions, task_queue, database_url) as api:
        process_id = (await api.submit(body=body)).json()["process_id"]
        for user in ("marketing_reviewer", "finance_reviewer", "business_vp"):
            assert (await api.decide(user, process_id, "approve")).status_code == 200
        await time_env.sleep(timedelta(days=2))
        approved = await api.decide("general_manager", process_id, "approve")
        assert approved.status_code == 200 and approved.json()["status"] == "approved", approved.text
        assert await customers_with(sessions, body["customer"]["credit_code"]) == 1


async def test_a_signer_added_after_the_general_manager_completes_the_sign_off_with_the_check(
    time_env: WorkflowEnvironment, sessions: async_sessionmaker[AsyncSession], database_url: str, task_queue: str
) -> None:
    """The licence is re-checked on the approval that completes the chain (the last step of the
    running plan): here a signer the general manager added after their own step (加签, after)."""
    body = application()
    today = (await time_env.get_current_time()).astimezone(UTC).date()
    tomorrow = (today + timedelta(days=1)).isoformat()
    licence = next(d for d in body["documents"] if d["type"] == "business_license")
    licence["valid_until"] = tomorrow
    code = body["customer"]["credit_code"]
    async with running_api(time_env.client, sessions, task_queue, database_url) as api:
        process_id = (await api.submit(body=body)).json()["process_id"]
        for user in ("marketing_reviewer", "finance_reviewer", "business_vp"):
            assert (await api.decide(user, process_id, "approve")).status_code == 200
        gm_task = await api.task_for("general_manager", process_id)
        added = await api.post(
            f"/api/v1/tasks/{gm_task['task_id']}/add-signer",
            "general_manager",
            json={"signer": "marketing_manager", "position": "after", "reason": "请市场部经理终审"},
        )
        assert added.status_code == 200, added.text
        assert (await api.decide("general_manager", process_id, "approve")).status_code == 200
        await time_env.sleep(timedelta(days=2))

        refused = await api.decide("marketing_manager", process_id, "approve")
        assert refused.status_code == 409, refused.text
        assert "000 §6" in refused.json()["detail"] and tomorrow in refused.json()["detail"]
        assert await customers_with(sessions, code) == 0
        state = (await api.get(f"/api/v1/processes/{process_id}", "marketing_manager")).json()
        assert state["status"] == "running"


async def test_the_licence_expires_at_the_end_of_its_last_china_day(
    time_env: WorkflowEnvironment, sessions: async_sessionmaker[AsyncSession], database_url: str, task_queue: str
) -> None:
    """At 02:00 China time the licence valid until the day before has expired, although the UTC
    date (18:00 of that day) still reads as its last day."""
    body = application()
    now = (await time_env.get_current_time()).astimezone(UTC)
    last_day = now.date() + timedelta(days=1)
    sign_off = datetime.combine(last_day, time(18, 0), UTC)  # 02:00 China time, the day after
    licence = next(d for d in body["documents"] if d["type"] == "business_license")
    licence["valid_until"] = last_day.isoformat()
    async with running_api(time_env.client, sessions, task_queue, database_url) as api:
        process_id = (await api.submit(body=body)).json()["process_id"]
        for user in ("marketing_reviewer", "finance_reviewer", "business_vp"):
            assert (await api.decide(user, process_id, "approve")).status_code == 200
        await time_env.sleep(sign_off - (await time_env.get_current_time()).astimezone(UTC))

        refused = await api.decide("general_manager", process_id, "approve")
        assert refused.status_code == 409, refused.text
        assert last_day.isoformat() in refused.json()["detail"]
        assert await customers_with(sessions, body["customer"]["credit_code"]) == 0


async def test_a_resubmission_is_checked_on_the_china_day(
    time_env: WorkflowEnvironment, sessions: async_sessionmaker[AsyncSession], database_url: str, task_queue: str
) -> None:
    """The same China day at the resubmission: at 02:00 China time a licence valid until the day
    before is refused, although the UTC date still reads as its last day."""
    body = application()
    now = (await time_env.get_current_time()).astimezone(UTC)
    last_day = now.date() + timedelta(days=1)
    licence = next(d for d in body["documents"] if d["type"] == "business_license")
    licence["valid_until"] = last_day.isoformat()
    async with running_api(time_env.client, sessions, task_queue, database_url) as api:
        process_id = (await api.submit(body=body)).json()["process_id"]
        returned = await api.decide("marketing_reviewer", process_id, "return", "请补充说明")
        assert returned.json()["status"] == "returned", returned.text
        sign_off = datetime.combine(last_day, time(18, 0), UTC)  # 02:00 China time, the day after
        await time_env.sleep(sign_off - (await time_env.get_current_time()).astimezone(UTC))

        url = f"/api/v1/onboarding/{process_id}/resubmit"
        refused = await api.post(url, "sales_clerk", json=body)
        assert refused.status_code == 422, refused.text
        assert last_day.isoformat() in refused.text
        state = (await api.get(f"/api/v1/processes/{process_id}", "sales_clerk")).json()
        assert state["status"] == "returned"
