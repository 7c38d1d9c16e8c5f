"""Issue 20 item 10 through the real API: a credit application carries its papers (000 §13); the
reviewers' analysis sets the grade, the limit and the security, and the grant applies what the
analysis set, with the GM above the ceiling of that grade (001 §3); the grade's treatment (001
分类客户享有待遇, 000 §11) is shown on the customer."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import CreditAccount, Customer, Process
from tests.activities.test_customer_gate import set_customer
from tests.api.test_credit_application_api import approve_all, body
from tests.api.test_customer_record import ok
from tests.support import Api, record_history
from tests.workflows.test_credit_application import new_customer
from tests.workflows.test_credit_review import credit_customer

pytestmark = pytest.mark.asyncio(loop_scope="session")
P = "/api/v1"


def analysis(grade: str, limit: str, **more: Any) -> dict[str, Any]:
    return {"grade": grade, "limit": limit, "reasoning": "近三年付款及时, 报表稳健"} | more


@pytest.mark.rule("000-13-credit-papers")
async def test_an_application_without_its_papers_is_refused_and_nothing_starts(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    customer = await new_customer(sessions)
    url = f"{P}/credit-applications"
    bare = {k: v for k, v in body(customer.customer_id).items() if k not in {"organisation_nature", "documents"}}
    refused = await api.post(url, "sales_clerk", json=bare)
    assert refused.status_code == 422 and "000 §13" in refused.text, refused.text
    assert "organisation_nature" in refused.text and "financial_statement" in refused.text
    papers = body(customer.customer_id)["documents"]
    no_statement = body(customer.customer_id, documents=[p for p in papers if p["kind"] == "registration"])
    refused = await api.post(url, "sales_clerk", json=no_statement)
    assert refused.status_code == 422 and "financial_statement" in refused.text and "000 §13" in refused.text
    expired = [p | {"valid_until": "2020-01-01"} if p["kind"] == "registration" else p for p in papers]
    refused = await api.post(url, "sales_clerk", json=body(customer.customer_id, documents=expired))
    assert refused.status_code == 422 and "000 §13" in refused.text
    async with sessions() as session:
        started = await session.scalar(select(func.count()).where(Process.customer_id == customer.customer_id))
        assert started == 0
        assert await session.get(CreditAccount, customer.customer_id) is None


@pytest.mark.rule("000-13-joint-analysis", "000-13-collateral")
async def test_the_analysis_sets_grade_limit_and_security_and_the_grant_applies_it(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    customer = await new_customer(sessions)
    await set_customer(sessions, customer.customer_id, grade="B")  # graded B (001 §1): analysed B below
    started = await ok(await api.post(f"{P}/credit-applications", "sales_clerk", json=body(customer.customer_id)), 201)
    process_id = started["process_id"]
    url = f"{P}/credit-applications/{process_id}/analysis"
    bare = await api.decide("marketing_reviewer", process_id, "approve", "同意")  # no analysis: refused
    assert bare.status_code == 422 and "000 §13" in bare.text, bare.text
    bad = analysis("C", "1000", security="guarantee")  # a guarantee required says which
    assert (await api.post(url, "marketing_reviewer", json=bad)).status_code == 422
    assert (await api.post(url, "business_vp", json=analysis("C", "1000"))).status_code == 403

    first = await ok(await api.post(url, "marketing_reviewer", json=analysis("B", "200000.00")))
    assert first["current_step"] == "joint_review"  # the finance reviewer's seat is still open
    guarantee = analysis("B", "150000.00", security="guarantee", security_description="法人代表个人连带担保")
    second = await ok(await api.post(url, "finance_reviewer", json=guarantee))
    assert second["current_step"] == "leaders_approval"
    done = await approve_all(api, process_id, "business_vp", "chief_accountant")
    assert done["status"] == "approved"  # 150,000 is within grade B's ceiling: no GM

    async with sessions() as session:
        account = await session.get(CreditAccount, customer.customer_id)
        assert account is not None
        assert account.credit_limit == Decimal("150000.00")  # the analysis, not the 300,000 asked for
        assert account.collateral is not None and "guarantee" in account.collateral
    credit = await ok(await api.get(f"{P}/customers/{customer.customer_id}/credit", "sales_clerk"))
    assert Decimal(credit["limit"]) == Decimal("150000.00")
    assert "法人代表个人连带担保" in credit["collateral"] and "guarantee" in credit["collateral"]
    [decision] = await ok(await api.get(f"{P}/customers/{customer.customer_id}/credit/decisions", "finance_reviewer"))
    assert Decimal(decision["new_limit"]) == Decimal("150000.00")
    granted = decision["form"]["analysis"]
    assert (granted["analysed_by"], granted["grade"], granted["limit"]) == ("finance_reviewer", "B", "150000.00")
    assert granted["security"] == "guarantee" and granted["reasoning"] and granted["analysed_at"].endswith("+08:00")
    assert [a["analysed_by"] for a in decision["form"]["analyses"]] == ["marketing_reviewer", "finance_reviewer"]
    assert decision["form"]["organisation_nature"] == "private"
    assert {d["kind"] for d in decision["form"]["documents"]} == {"registration", "financial_statement"}


@pytest.mark.rule("000-13-analysis-within-grade")
async def test_the_analysis_may_not_grade_a_customer_above_its_grade_on_file(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    customer = await new_customer(sessions)  # first year: grade C on file (001 §1)
    filed = body(customer.customer_id, limit="100000.00")
    process_id = (await ok(await api.post(f"{P}/credit-applications", "sales_clerk", json=filed), 201))["process_id"]
    url = f"{P}/credit-applications/{process_id}/analysis"
    for grade in ("A", "B"):  # an A (or B) ceiling for a C customer would skip the GM (001 §3)
        refused = await api.post(url, "marketing_reviewer", json=analysis(grade, "3000000.00"))
        assert refused.status_code == 422 and "001 §1" in refused.text, refused.text
        assert "business VP" in refused.text
    view = await ok(await api.get(f"{P}/processes/{process_id}", "auditor"))
    assert view["current_step"] == "joint_review" and view["status"] == "running"
    # nothing recorded: the reviewer's seat is still open for an analysis at its grade (or below),
    # and above C's ceiling the GM joins (001 §3)
    first = await ok(await api.post(url, "marketing_reviewer", json=analysis("C", "3000000.00")))
    assert first["current_step"] == "joint_review"
    await ok(await api.post(url, "finance_reviewer", json=analysis("C", "3000000.00")))
    view = await approve_all(api, process_id, "business_vp", "chief_accountant")
    assert (view["status"], view["current_step"]) == ("running", "gm_approval")
    async with sessions() as session:
        assert await session.get(CreditAccount, customer.customer_id) is None


@pytest.mark.rule("001-credit-3-gm-beyond-credit-range")
async def test_an_analysed_limit_above_its_grades_ceiling_goes_to_the_gm(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    customer = await new_customer(sessions)
    filed = body(customer.customer_id, limit="100000.00")  # asked within grade C's ceiling (500,000)
    process_id = (await ok(await api.post(f"{P}/credit-applications", "sales_clerk", json=filed), 201))["process_id"]
    url = f"{P}/credit-applications/{process_id}/analysis"
    await ok(await api.post(url, "marketing_reviewer", json=analysis("C", "600000.00")))
    await ok(await api.post(url, "finance_reviewer", json=analysis("C", "600000.00")))
    view = await approve_all(api, process_id, "business_vp", "chief_accountant")
    assert (view["status"], view["current_step"]) == ("running", "gm_approval")  # 001 §3
    done = await ok(await api.decide("general_manager", process_id, "approve", "同意特殊协议"))
    assert done["status"] == "approved"
    async with sessions() as session:
        account = await session.get(CreditAccount, customer.customer_id)
        assert account is not None and account.credit_limit == Decimal("600000.00")
    process = await ok(await api.get(f"{P}/processes/{process_id}", "auditor"))
    handle = api.worker.client.get_workflow_handle(process["workflow_id"], run_id=process_id)
    record_history("credit_application_analysed_gm_approved", await handle.fetch_history())


async def test_the_customer_shows_the_treatment_of_its_grade(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    top = await new_customer(sessions)
    ordinary = await new_customer(sessions)
    async with sessions.begin() as session:
        row = await session.get(Customer, top.customer_id)
        assert row is not None
        row.grade = "A"
    a = (await ok(await api.get(f"{P}/customers/{top.customer_id}", "marketing_manager")))["treatment"]
    c = (await ok(await api.get(f"{P}/customers/{ordinary.customer_id}", "marketing_manager")))["treatment"]
    assert (a["grade"], a["price_tier"], a["supply_priority"]) == ("A", "best", 1)
    assert (c["grade"], c["price_tier"], c["supply_priority"]) == ("C", "standard", 3)
    assert a["visits"] == [{"visitors": ["business_vp", "marketing_manager"], "every_months": 3}]
    assert c["visits"] == [{"visitors": ["office_director"], "every_months": 6}]
    assert a["report_every_months"] > c["report_every_months"] == 1  # top grade least often, lowest monthly


async def _open_review(api: Api, customer_id: int) -> str:
    opened = await api.post(f"{P}/customers/{customer_id}/credit-reviews", "marketing_manager", json={"reason": "升级"})
    return str((await ok(opened, 201))["process_id"])


@pytest.mark.rule("001-credit-3-gm-beyond-credit-range")
async def test_a_periodic_review_raises_a_limit_and_beyond_the_ceiling_the_gm_approves(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """001 信用审核 升级评审: a review may raise the limit as well as lower it; within the ceiling of
    the customer's grade (B: 2,000,000 in the default policy) the leaders approve it, above it the
    general manager too (001 §3)."""
    customer = await credit_customer(sessions)  # grade B, 100,000
    process_id = await _open_review(api, customer.customer_id)
    assess = f"{P}/credit-reviews/{process_id}/assessment"
    not_higher = {"outcome": "raise", "new_limit": "90000.00", "comment": "升级"}
    assert (await api.post(assess, "marketing_reviewer", json=not_higher)).status_code == 422
    within = {"outcome": "raise", "new_limit": "150000.00", "comment": "付款及时"}
    raised = await ok(await api.post(assess, "marketing_reviewer", json=within))
    assert raised["current_step"] == "approval"
    done = await approve_all(api, process_id, "business_vp", "chief_accountant")
    assert done["status"] == "approved"  # within grade B's ceiling: no GM
    credit = await ok(await api.get(f"{P}/customers/{customer.customer_id}/credit", "sales_clerk"))
    assert Decimal(credit["limit"]) == Decimal("150000.00")

    process_id = await _open_review(api, customer.customer_id)
    beyond = {"outcome": "raise", "new_limit": "2500000.00", "comment": "战略客户"}
    await ok(await api.post(f"{P}/credit-reviews/{process_id}/assessment", "marketing_reviewer", json=beyond))
    view = await approve_all(api, process_id, "business_vp", "chief_accountant")
    assert (view["status"], view["current_step"]) == ("running", "gm_approval")
    credit = await ok(await api.get(f"{P}/customers/{customer.customer_id}/credit", "sales_clerk"))
    assert Decimal(credit["limit"]) == Decimal("150000.00")  # nothing changes before the GM decides
    done = await ok(await api.decide("general_manager", process_id, "approve", "同意"))
    assert done["status"] == "approved"
    credit = await ok(await api.get(f"{P}/customers/{customer.customer_id}/credit", "sales_clerk"))
    assert Decimal(credit["limit"]) == Decimal("2500000.00")
    [latest, *_] = await ok(await api.get(f"{P}/customers/{customer.customer_id}/credit/decisions", "finance_reviewer"))
    assert (latest["kind"], latest["outcome"]) == ("review", "raise")
    assert "general_manager" in latest["decided_by"]
    process = await ok(await api.get(f"{P}/processes/{process_id}", "auditor"))
    handle = api.worker.client.get_workflow_handle(process["workflow_id"], run_id=process_id)
    record_history("credit_review_raised_gm_approved", await handle.fetch_history())


async def test_a_review_raises_only_a_trading_customers_limit(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """A raise grants more credit: refused (409, the status named) for a customer no longer trading,
    when assessed and again when it applies; lowering stays open to every file (004 §4-§6)."""
    customer = await credit_customer(sessions)  # grade B, 100,000
    process_id = await _open_review(api, customer.customer_id)
    await set_customer(sessions, customer.customer_id, status="suspended")
    assess = f"{P}/credit-reviews/{process_id}/assessment"
    raise_ = {"outcome": "raise", "new_limit": "150000.00", "comment": "升级"}
    refused = await api.post(assess, "marketing_reviewer", json=raise_)
    assert refused.status_code == 409 and "suspended" in refused.text, refused.text
    lower = {"outcome": "lower", "new_limit": "50000.00", "comment": "暂停期间降低额度"}
    assert (await ok(await api.post(assess, "marketing_reviewer", json=lower)))["current_step"] == "approval"
    assert (await approve_all(api, process_id, "business_vp", "chief_accountant"))["status"] == "approved"
    credit = await ok(await api.get(f"{P}/customers/{customer.customer_id}/credit", "sales_clerk"))
    assert Decimal(credit["limit"]) == Decimal("50000.00")

    await set_customer(sessions, customer.customer_id, status="active")
    process_id = await _open_review(api, customer.customer_id)
    await ok(await api.post(f"{P}/credit-reviews/{process_id}/assessment", "marketing_reviewer", json=raise_))
    await set_customer(sessions, customer.customer_id, status="past")  # stopped trading before the leaders approve
    for leader in ("business_vp", "chief_accountant"):
        await api.decide(leader, process_id, "approve", "同意")
    view = await ok(await api.get(f"{P}/processes/{process_id}", "auditor"))
    assert view["status"] != "approved"
    credit = await ok(await api.get(f"{P}/customers/{customer.customer_id}/credit", "sales_clerk"))
    assert Decimal(credit["limit"]) == Decimal("50000.00")  # not raised
