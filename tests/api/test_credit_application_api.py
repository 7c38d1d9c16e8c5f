"""The credit application through the real API (000 §13; 001 信用管理措施 §3): the sales desk files,
marketing and finance review jointly, both leaders approve, the GM above the grade's ceiling; what
is refused before anything starts; who may file and read."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import CreditAccount
from tests.support import Api, credit_papers
from tests.workflows.test_credit_application import new_customer

pytestmark = pytest.mark.asyncio(loop_scope="session")
P = "/api/v1"


def body(customer_id: int, **overrides: Any) -> dict[str, Any]:
    return (
        {
            "customer_id": customer_id,
            "limit": "300000.00",
            "term_days": 30,
            "collateral": "房产抵押",
            "reason": "合作三年, 按月结算",
        }
        | credit_papers()
        | overrides
    )


async def approve_all(api: Api, process_id: str, *users: str) -> dict[str, Any]:
    answer: dict[str, Any] = {}
    for user in users:
        response = await api.decide(user, process_id, "approve", "同意")
        assert response.status_code == 200, response.text
        answer = response.json()
    return answer


async def analyse_jointly(api: Api, process_id: str, limit: str, grade: str = "C") -> dict[str, Any]:
    """Both reviewers approve the joint review with their analysis (000 §13), here the terms asked."""
    answer: dict[str, Any] = {}
    for user in ("marketing_reviewer", "finance_reviewer"):
        analysis = {"grade": grade, "limit": limit, "reasoning": "结合信用记录认真分析"}
        response = await api.post(f"{P}/credit-applications/{process_id}/analysis", user, json=analysis)
        assert response.status_code == 200, response.text
        answer = response.json()
    return answer


@pytest.mark.rule("000-13-leaders-approve")
async def test_an_application_approved_jointly_sets_the_limit(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    customer = await new_customer(sessions)
    started = await api.post(f"{P}/credit-applications", "sales_clerk", json=body(customer.customer_id))
    assert started.status_code == 201, started.text
    process = started.json()
    assert (process["status"], process["current_step"]) == ("running", "joint_review")
    assert sorted(process["holders"]) == ["finance_reviewer", "marketing_reviewer"]

    again = await api.post(f"{P}/credit-applications", "sales_clerk", json=body(customer.customer_id))
    assert again.status_code == 409  # one open application per customer

    await analyse_jointly(api, process["process_id"], "300000.00")
    done = await approve_all(api, process["process_id"], "business_vp", "chief_accountant")
    assert done["status"] == "approved"

    async with sessions() as session:
        account = await session.get(CreditAccount, customer.customer_id)
        assert account is not None
        assert (account.settlement, account.credit_limit, account.collector) == (
            "periodic",
            Decimal("300000.00"),
            "sales_clerk",
        )
    decisions = await api.get(f"{P}/customers/{customer.customer_id}/credit/decisions", "finance_reviewer")
    assert decisions.status_code == 200, decisions.text
    [decision] = decisions.json()
    assert (decision["outcome"], decision["new_settlement"], decision["decided_by"]) == (
        "granted",
        "periodic",
        "chief_accountant",
    )
    assert Decimal(decision["new_limit"]) == Decimal("300000.00")
    assert decision["process_id"] == process["process_id"]


@pytest.mark.rule("001-credit-3-gm-beyond-credit-range")
async def test_above_the_ceiling_the_gm_approves_and_a_rejection_leaves_prepaid(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    customer = await new_customer(sessions)
    # grade C's ceiling is 500,000 (DEFAULT_POLICY, an ASSUMPTION): 600,000 is a special agreement
    started = await api.post(f"{P}/credit-applications", "sales_clerk", json=body(customer.customer_id, limit="600000"))
    assert started.status_code == 201, started.text
    process_id = started.json()["process_id"]
    await analyse_jointly(api, process_id, "600000.00")
    view = await approve_all(api, process_id, "business_vp", "chief_accountant")
    assert (view["status"], view["current_step"]) == ("running", "gm_approval")
    rejected = await api.decide("general_manager", process_id, "reject", "超出信用范围, 不同意")
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["status"] == "rejected"
    async with sessions() as session:
        assert await session.get(CreditAccount, customer.customer_id) is None
    decisions = await api.get(f"{P}/customers/{customer.customer_id}/credit/decisions", "sales_clerk")
    assert decisions.json() == []

    # the customer may apply again once the first application has ended
    again = await api.post(f"{P}/credit-applications", "sales_clerk", json=body(customer.customer_id))
    assert again.status_code == 201, again.text


async def test_a_returned_application_is_corrected_and_resubmitted(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    customer = await new_customer(sessions)
    started = await api.post(f"{P}/credit-applications", "sales_clerk", json=body(customer.customer_id))
    process_id = started.json()["process_id"]
    returned = await api.decide("finance_reviewer", process_id, "return", "请补充担保材料")
    assert returned.json()["status"] == "returned"
    corrected = body(customer.customer_id, collateral="房产抵押及法人担保")
    url = f"{P}/credit-applications/{process_id}/resubmit"
    assert (await api.post(url, "marketing_reviewer", json=corrected)).status_code in (403, 404)
    resubmitted = await api.post(url, "sales_clerk", json=corrected)
    assert resubmitted.status_code == 200, resubmitted.text
    assert (resubmitted.json()["status"], resubmitted.json()["current_step"]) == ("running", "joint_review")


@pytest.mark.rule("000-13-named-collector")
async def test_what_is_refused_before_anything_starts(api: Api, sessions: async_sessionmaker[AsyncSession]) -> None:
    customer = await new_customer(sessions)
    url = f"{P}/credit-applications"
    long_term = await api.post(url, "sales_clerk", json=body(customer.customer_id, term_days=45))
    assert long_term.status_code == 422  # the policy's longest term is 30 days (ASSUMPTION, DEFAULT_POLICY)
    assert "30 days" in long_term.text
    for bad in ({"limit": "0"}, {"limit": "1.234"}, {"term_days": 0}, {"reason": ""}):
        assert (await api.post(url, "sales_clerk", json=body(customer.customer_id, **bad))).status_code == 422
    not_a_clerk = await api.post(url, "sales_clerk", json=body(customer.customer_id, collector="finance_reviewer"))
    assert not_a_clerk.status_code == 422 and "collector" in not_a_clerk.text
    unknown = await api.post(url, "sales_clerk", json=body(customer.customer_id, collector="nobody_at_all"))
    assert unknown.status_code == 422

    # only the sales desk files (000 §13); a unit's manager or legal cannot, nor read another unit's customer
    assert (await api.post(url, "legal_reviewer", json=body(customer.customer_id))).status_code == 403
    assert (await api.post(url, "station_manager_b", json=body(customer.customer_id))).status_code == 403
    decisions = f"{P}/customers/{customer.customer_id}/credit/decisions"
    assert (await api.get(decisions, "station_manager_b")).status_code == 404
    assert (await api.get(decisions, "legal_reviewer")).status_code == 404
    assert (await api.post(url, "sales_clerk", json=body(2_000_000_000))).status_code == 404
    async with sessions() as session:
        assert await session.get(CreditAccount, customer.customer_id) is None


async def test_granted_credit_then_a_delivery_over_the_limit_waits_for_the_gm(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """The whole path: the limit granted, a delivery within it booked, one beyond it refused with the
    GM's approval started (001 §3); approved, it is booked once; a second one rejected, never."""
    customer = await new_customer(sessions)
    started = await api.post(f"{P}/credit-applications", "sales_clerk", json=body(customer.customer_id, limit="1000"))
    process_id = started.json()["process_id"]
    await analyse_jointly(api, process_id, "1000.00")
    await approve_all(api, process_id, "business_vp", "chief_accountant")
    credit = await api.get(f"{P}/customers/{customer.customer_id}/credit", "sales_clerk")
    assert credit.status_code == 200, credit.text
    assert (credit.json()["settlement"], Decimal(credit.json()["limit"])) == ("periodic", Decimal("1000.00"))

    ledger = f"{P}/customers/{customer.customer_id}/ledger"

    def delivery(amount: str, reference: str) -> dict[str, Any]:
        return {
            "kind": "delivery",
            "amount": amount,
            "reference": reference,
            "occurred_at": datetime.now(UTC).isoformat(),
        }

    assert (await api.post(ledger, "sales_clerk", json=delivery("800.00", "TD-1"))).status_code == 201
    refused = await api.post(ledger, "sales_clerk", json=delivery("500.00", "TD-2"))
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"] == "over_limit"
    approval = refused.json()["approval_process_id"]
    assert approval

    seen = await api.get(f"{P}/processes/{approval}", "general_manager")
    assert seen.status_code == 200, seen.text
    assert "500.00" in seen.json()["subject"] and "TD-2" in seen.json()["subject"]
    assert (await api.get(f"{P}/processes/{approval}", "station_manager_b")).status_code == 404
    assert (await api.decide("general_manager", approval, "approve", "特殊协议, 同意")).json()["status"] == "approved"
    after = (await api.get(f"{P}/customers/{customer.customer_id}/credit", "sales_clerk")).json()
    assert Decimal(after["balance"]) == Decimal("-1300.00")  # booked once, beyond the limit

    refused = await api.post(ledger, "sales_clerk", json=delivery("50.00", "TD-3"))
    assert refused.status_code == 409
    rejected = await api.decide("general_manager", refused.json()["approval_process_id"], "reject", "不同意")
    assert rejected.json()["status"] == "rejected"
    final = (await api.get(f"{P}/customers/{customer.customer_id}/credit", "sales_clerk")).json()
    assert Decimal(final["balance"]) == Decimal("-1300.00")
