"""The onboarding checks its resubmissions and its sign-off against the document list it pinned at
its start (issue 21 §3; 000 §6, rule `000-6-documents`), never the list in force later — in the
workflow itself, not only in the API: on the time-skipping server, so that the review takes days.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from db.models import OnboardingDocumentList
from domain.documents import ONBOARDING_REQUIRED, DocumentType
from domain.models import Actor, OnboardingApplication, ResubmitRequest
from domain.roles import Role
from tests.support import application, running_api
from workflows.grading import CHINA

pytestmark = pytest.mark.asyncio(loop_scope="session")
NEW = DocumentType.hazardous_chemicals_trading_license


async def put_in_force(sessions: async_sessionmaker[AsyncSession], documents: list[DocumentType]) -> int:
    """A version of the list in force today, written as an approved change writes it (the approval
    itself is tests/api/test_onboarding_documents_rule.py's)."""
    async with sessions.begin() as session:
        version = (await session.scalar(select(func.max(OnboardingDocumentList.version))) or 0) + 1
        session.add(
            OnboardingDocumentList(
                version=version,
                effective_from=datetime.now(CHINA).date(),
                documents=[d.value for d in documents],
                changed_by="marketing_manager",
                changed_at=datetime.now(UTC),
                reason="测试",
            )
        )
    return version


@pytest.mark.rule("000-6-documents", "000-6-customer-after-gm-approval")
async def test_the_sign_off_and_a_resubmission_are_checked_against_the_pinned_list(
    time_env: WorkflowEnvironment, sessions: async_sessionmaker[AsyncSession], database_url: str, task_queue: str
) -> None:
    """Filed under a list with NEW (valid until tomorrow), then the nine are back in force: two days
    on, the GM's approval is refused because NEW expired under the pinned list; returned, a
    resubmission without NEW is refused by the workflow's own validator."""
    body: dict[str, Any] = application()
    tomorrow = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()
    body["documents"].append({"type": NEW.value, "number": "NO-HAZARD-001", "valid_until": tomorrow})
    async with running_api(time_env.client, sessions, task_queue, database_url) as api:
        pinned = await put_in_force(sessions, [*ONBOARDING_REQUIRED, NEW])
        try:
            filed = await api.submit(body=body)
        finally:
            await put_in_force(sessions, list(ONBOARDING_REQUIRED))  # what every other test files against
        assert filed.status_code == 201, filed.text
        process_id = filed.json()["process_id"]
        detail = (await api.get(f"/api/v1/processes/{process_id}", "auditor")).json()
        assert [(r["rule"], r["version"]) for r in detail["rule_versions"]] == [("onboarding_documents", pinned)]
        for user in ("marketing_reviewer", "finance_reviewer", "business_vp"):
            assert (await api.decide(user, process_id, "approve")).status_code == 200
        await time_env.sleep(timedelta(days=2))

        refused = await api.decide("general_manager", process_id, "approve")
        assert refused.status_code == 409, refused.text
        assert "000 §6" in refused.json()["detail"] and NEW.value in refused.json()["detail"]
        returned = await api.decide("general_manager", process_id, "return", "危险化学品经营许可证已过期")
        assert returned.status_code == 200 and returned.json()["status"] == "returned", returned.text

        without = OnboardingApplication.model_validate(body | {"documents": body["documents"][:-1]})
        clerk = Actor(username="sales_clerk", roles=[Role.sales_clerk])
        # sent as the API sends it (its client signs the actor, issue 24 §2), past the API's own checks
        handle = api.app.state.temporal.get_workflow_handle(f"onboarding-{body['customer']['credit_code']}")
        with pytest.raises(WorkflowUpdateFailedError) as failed:
            await handle.execute_update("resubmit", ResubmitRequest(actor=clerk, application=without))
        assert isinstance(failed.value.cause, ApplicationError)
        assert f"missing document: {NEW.value}" in str(failed.value.cause)
        state = (await api.get(f"/api/v1/processes/{process_id}", "sales_clerk")).json()
        assert state["status"] == "returned"
        url = f"/api/v1/processes/{process_id}/withdraw"
        withdrawn = await api.post(url, "sales_clerk", json={"reason": "测试结束"})
        assert withdrawn.status_code == 200, withdrawn.text
