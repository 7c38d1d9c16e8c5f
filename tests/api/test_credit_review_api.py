"""Credit reviews through the real API (001 信用审核; 003 §6): a posting that leaves a customer long
overdue turns its risk high and opens the risk review; the form for its readers; the marketing
reviewer's assessment, refused to others; the joint approval from the inbox unblocks credit; a
review opened by hand by the marketing manager."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import Process, User, UserRole
from domain.credit import CreditCustomer, ReviewOccasion, credit_review_workflow_id
from domain.credit_review import risk_key
from domain.deciders import ARTICLE
from domain.models import ProcessView
from domain.roles import Role
from tests.support import Api
from tests.workflows.test_credit_review import account, credit_customer

pytestmark = pytest.mark.asyncio(loop_scope="session")
P = "/api/v1"


async def risk_review(api: Api, sessions: async_sessionmaker[AsyncSession], customer: CreditCustomer) -> str:
    """The risk review the ledger route started (its key: the moment the risk turned high); its
    process id once it rests with its first task."""
    row = await account(sessions, customer.customer_id)
    assert row.risk_since is not None
    workflow_id = credit_review_workflow_id(customer.credit_code, ReviewOccasion.risk, risk_key(row.risk_since))
    view = await api.worker.client.get_workflow_handle(workflow_id).execute_update("current", result_type=ProcessView)
    return view.process_id


@pytest.mark.rule("003-6-high-risk-measures")
async def test_a_customer_turning_high_is_blocked_until_its_review_is_approved(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    customer = await credit_customer(sessions)
    cid = customer.customer_id
    # goods delivered on credit 100 days ago, due after 30 days, unpaid: 70 days overdue (003 §6: high)
    delivery = {
        "kind": "delivery",
        "amount": "30000.00",
        "reference": "ERP-OLD-1",
        "occurred_at": (datetime.now(UTC) - timedelta(days=100)).isoformat(),
    }
    posted = await api.post(f"{P}/customers/{cid}/ledger", "sales_clerk", json=delivery)
    assert posted.status_code == 201, posted.text
    standing = (await api.get(f"{P}/customers/{cid}/credit", "finance_reviewer")).json()
    assert (standing["risk_level"], standing["credit_blocked"]) == ("high", True)
    more: dict[str, Any] = delivery | {"amount": "10.00", "reference": "ERP-NEW", "occurred_at": _now()}
    refused = await api.post(f"{P}/customers/{cid}/ledger", "sales_clerk", json=more)
    assert refused.status_code == 409 and refused.json()["error"] == "credit_blocked"

    process_id = await risk_review(api, sessions, customer)
    form_url, assess_url = f"{P}/credit-reviews/{process_id}/form", f"{P}/credit-reviews/{process_id}/assessment"
    form = await api.get(form_url, "marketing_reviewer")
    assert form.status_code == 200, form.text
    assert form.json()["form"]["overdue_days"] == 70 and form.json()["form"]["occasion"] == "risk"
    assert (await api.get(form_url, "depot_manager_b")).status_code == 404  # may not read the process
    assert (await api.get(f"{P}/credit-reviews/no-such-process/form", "auditor")).status_code == 404

    keep = {"outcome": "keep", "comment": "已承诺本月结清"}
    assert (await api.post(assess_url, "sales_clerk", json=keep)).status_code == 404  # not a reader
    assert (await api.post(assess_url, "auditor", json=keep)).status_code == 403  # reads, may not assess
    no_terms = {"outcome": "lower", "comment": "降级"}
    assert (await api.post(assess_url, "marketing_reviewer", json=no_terms)).status_code == 422
    higher = no_terms | {"new_limit": "500000.00"}
    assert (await api.post(assess_url, "marketing_reviewer", json=higher)).status_code == 422  # lower must lower

    assessed = await api.post(assess_url, "marketing_reviewer", json=keep)
    assert assessed.status_code == 200, assessed.text
    assert assessed.json()["current_step"] == "approval"
    assert (await api.decide("business_vp", process_id, "approve", "同意")).status_code == 200
    approved = await api.decide("chief_accountant", process_id, "approve", "同意")
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"

    standing = (await api.get(f"{P}/customers/{cid}/credit", "finance_reviewer")).json()
    assert standing["credit_blocked"] is False
    again = await api.post(f"{P}/customers/{cid}/ledger", "sales_clerk", json=more)
    assert again.status_code == 201, again.text  # credit sales again
    assert (await api.get(form_url, "marketing_reviewer")).json()["assessment"]["outcome"] == "keep"


async def test_the_marketing_manager_opens_a_review_by_hand(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    customer = await credit_customer(sessions)
    prepaid = await credit_customer(sessions, limit=None)
    body = {"reason": "客户经营异常, 专项评审"}
    url = f"{P}/customers/{customer.customer_id}/credit-reviews"
    assert (await api.post(url, "sales_clerk", json=body)).status_code == 403
    assert (
        await api.post(f"{P}/customers/{prepaid.customer_id}/credit-reviews", "marketing_manager", json=body)
    ).status_code == 409  # payment before goods: nothing to review
    opened = await api.post(url, "marketing_manager", json=body)
    assert opened.status_code == 201, opened.text
    assert opened.json()["current_step"] == "assessment"
    form = await api.get(f"{P}/credit-reviews/{opened.json()['process_id']}/form", "marketing_manager")
    assert form.status_code == 200, form.text
    assert (form.json()["requested_by"], form.json()["reason"]) == ("marketing_manager", body["reason"])
    assert form.json()["form"]["occasion"] == "manual"


async def test_a_review_only_its_opener_could_assess_is_refused_and_starts_nothing(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """000 §5-§6 (issue 20 item 11) for a review opened by hand: the opener never decides their own
    review, so when they are the only active marketing reviewer the assessment has no decider."""
    customer = await credit_customer(sessions)
    async with sessions.begin() as session:
        manager = await session.scalar(select(User).where(User.username == "marketing_manager"))
        assert manager is not None
        session.add(UserRole(user_id=manager.id, role=Role.marketing_reviewer.value))
        reviewers = select(UserRole.user_id).where(UserRole.role == Role.marketing_reviewer.value)
        others = list(
            await session.scalars(select(User.id).where(User.id.in_(reviewers), User.is_active, User.id != manager.id))
        )
        await session.execute(update(User).where(User.id.in_(others)).values(is_active=False))
    try:
        url = f"{P}/customers/{customer.customer_id}/credit-reviews"
        refused = await api.post(url, "marketing_manager", json={"reason": "专项评审"})
        assert refused.status_code == 422, refused.text
        assert "assessment" in refused.text and ARTICLE in refused.text
        async with sessions() as session:
            started = select(func.count()).where(
                Process.customer_id == customer.customer_id, Process.process_type == "credit_review"
            )
            assert await session.scalar(started) == 0
    finally:
        async with sessions.begin() as session:
            await session.execute(update(User).where(User.id.in_(others)).values(is_active=True))
            await session.execute(
                delete(UserRole).where(UserRole.user_id == manager.id, UserRole.role == Role.marketing_reviewer.value)
            )


def _now() -> str:
    return datetime.now(UTC).isoformat()
