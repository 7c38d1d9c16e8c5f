"""Grading through the real API (001 §1, 000 §11): the versioned rule, a re-grading round, the score
sheet as the manager's decision, the VP's approval, the grade on the customer file."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import WorkflowExecutionStatus

from activities.grading_store import clock_input
from db.models import Customer, GradingClock, Process
from domain.grading import first_grading_day, grading_clock_id
from tests.support import Api
from tests.workflows.test_grading import new_customer
from workflows.grading import CHINA

pytestmark = pytest.mark.asyncio(loop_scope="session")
P = "/api/v1"
WEIGHTS = {
    "contract_payment": "25",
    "year_end_receivables": "25",
    "contract_premium": "25",
    "strategic_influence": "25",
}
RULE_2030: dict[str, Any] = {
    "effective_from": "2030-01-01",
    "weights": WEIGHTS,
    "thresholds": {"A": "90", "B": "75"},
    "reason": "2029 year-end revision of the grading rule",
}


@pytest.mark.rule("001-1-grading-rule-yearly-review")
async def test_a_new_version_of_the_rule_is_approved_and_in_force_from_its_date(api: Api) -> None:
    """Issue 20 item 7: the rule is changed by a rule change (drafted, VP, GM), no longer by a PUT of
    an administrator alone; the version is in force from its date once the GM approved it."""
    current = await api.get(f"{P}/grading/config", "sales_clerk")
    assert current.status_code == 200, current.text
    change = {"rule": "grading_rule", "payload": RULE_2030}
    refused = await api.post(f"{P}/rule-changes", "sales_clerk", json=change)
    assert refused.status_code == 403
    wrong = RULE_2030 | {"weights": WEIGHTS | {"contract_premium": "30"}}
    invalid = await api.post(f"{P}/rule-changes", "admin", json={"rule": "grading_rule", "payload": wrong})
    assert invalid.status_code == 422
    past = RULE_2030 | {"effective_from": "2020-01-01"}
    assert (
        await api.post(f"{P}/rule-changes", "admin", json={"rule": "grading_rule", "payload": past})
    ).status_code == 422
    assert (
        await api.client.put(f"{P}/grading/config", json=RULE_2030, headers=await api.headers("admin"))
    ).status_code == 405

    drafted = await api.post(f"{P}/rule-changes", "admin", json=change)
    assert drafted.status_code == 201, drafted.text
    process_id = drafted.json()["process_id"]
    for user in ("business_vp", "general_manager"):
        decided = await api.decide(user, process_id, "approve", "同意")
        assert decided.status_code == 200, decided.text
    after = (await api.get(f"{P}/grading/config", "admin", params={"on": "2030-01-01"})).json()
    before = (await api.get(f"{P}/grading/config", "admin", params={"on": "2029-12-31"})).json()
    assert before["version"] < after["version"] and after["process_id"] == process_id
    assert after["changed_by"] == "admin"
    assert after["thresholds"] == {"A": "90", "B": "75"}


@pytest.mark.rule("001-1-four-indicators", "001-1-manager-scores", "001-1-vp-approves-grade", "001-1-grades-a-b-c")
async def test_regrading_scored_by_the_manager_and_approved_by_the_vp_sets_the_grade(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    # 001 §1: graded only after a full year of trade (test_a_customer_in_its_first_year_is_not_graded)
    customer = await new_customer(sessions, datetime.now(UTC), trading_since=date.today() - timedelta(days=400))
    url = f"{P}/customers/{customer.id}/grading"
    assert (await api.post(url, "sales_clerk")).status_code == 403
    started = await api.post(url, "marketing_manager")
    assert started.status_code == 201, started.text
    assert started.json()["current_step"] == "score"
    assert (await api.post(url, "marketing_manager")).status_code == 409  # one round at a time

    process_id = started.json()["process_id"]
    bare = await api.decide("marketing_manager", process_id, "approve")
    assert bare.status_code == 422, bare.text  # the score step is decided with the score sheet

    scores = {"contract_payment": 90, "year_end_receivables": 80, "contract_premium": 70, "strategic_influence": 60}
    assert (await api.post(f"{url}/scores", "business_vp", json={"scores": scores})).status_code == 403
    half = {"scores": {"contract_payment": 90}}
    assert (await api.post(f"{url}/scores", "marketing_manager", json=half)).status_code == 422
    scored = await api.post(f"{url}/scores", "marketing_manager", json={"scores": scores, "comment": "年度评分"})
    assert scored.status_code == 200, scored.text
    assert scored.json()["current_step"] == "vp_approval"
    approved = await api.decide("business_vp", process_id, "approve")
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"

    # default rule: 36 + 16 + 14 + 12 = 78 -> B (70 <= 78 < 85)
    card = await api.get(f"{P}/customers/{customer.id}", "marketing_manager")
    assert card.status_code == 200 and card.json()["grade"] == "B"
    sheets = (await api.get(f"{P}/customers/{customer.id}/gradings", "marketing_manager")).json()
    assert [(s["grade"], s["weighted_total"], s["scored_by"], s["approved_by"]) for s in sheets] == [
        ("B", "78.00", "marketing_manager", "business_vp")
    ]
    # the score sheet (a form's own update) and the VP's decision name the rules their steps applied
    for rule_id, step in (("001-1-manager-scores", "score"), ("001-1-vp-approves-grade", "vp_approval")):
        found = await api.get(f"{P}/regulations/rules/{rule_id}", "auditor", params={"customer_id": customer.id})
        assert [(e["process_id"], e["step"]) for e in found.json()["evidence"]] == [(process_id, step)], rule_id


async def test_the_daily_sweep_starts_a_clock_for_each_new_customer(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """001 §1: whichever path created the customer, the sweep (a daily Schedule) starts its clock once."""
    customer = await new_customer(sessions, datetime(2026, 1, 5, 10, tzinfo=CHINA))
    client, task_queue = api.worker.client, api.worker.task_queue
    swept = await client.execute_workflow("GradingClockSweep", id=f"sweep-{uuid.uuid4()}", task_queue=task_queue)
    assert swept >= 1
    clock = client.get_workflow_handle(grading_clock_id(customer.credit_code))
    assert (await clock.describe()).status == WorkflowExecutionStatus.RUNNING
    async with sessions() as session:
        assert await session.get(GradingClock, customer.id) is not None
        assert (await session.get(Customer, customer.id)).grade == "C"  # type: ignore[union-attr]
    again = await client.execute_workflow("GradingClockSweep", id=f"sweep-{uuid.uuid4()}", task_queue=task_queue)
    assert again < swept or again == 0  # this customer is not swept twice


@pytest.mark.rule("000-11-shortage-priority")
async def test_customers_in_supply_priority_put_grade_a_first(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """000 §11 (四): in a shortage the higher grades are supplied first; the list says who."""
    made = {grade: await new_customer(sessions, datetime.now(UTC)) for grade in ("C", "A", "B")}
    async with sessions() as session, session.begin():
        for grade, customer in made.items():
            row = await session.get(Customer, customer.id)
            assert row is not None
            row.grade = grade
    ids = {c.id for c in made.values()}
    listed = await api.get(
        f"{P}/customers", "marketing_manager", params={"sort": "supply_priority", "q": "评级测试", "limit": 500}
    )
    assert listed.status_code == 200, listed.text
    grades = [c["grade"] for c in listed.json()]
    assert grades == sorted(grades, key=lambda g: "ABC".index(g) if g in "ABC" else 3)
    ours = [c["grade"] for c in listed.json() if c["id"] in ids]
    assert ours == ["A", "B", "C"]
    only_a = await api.get(f"{P}/customers", "marketing_manager", params={"grade": "A", "limit": 500})
    assert {c["grade"] for c in only_a.json()} == {"A"}
    assert (await api.get(f"{P}/customers", "marketing_manager", params={"sort": "grade"})).status_code == 422


@pytest.mark.rule("001-1-new-customer-is-c", "001-1-scored-after-trade")
async def test_a_customer_in_its_first_year_is_not_graded(api: Api, sessions: async_sessionmaker[AsyncSession]) -> None:
    """001 §1: a new customer is C for its whole first year, counted from the start of trading on its
    record; a grading asked before is 409 and starts nothing. Its clock opens the first round once
    the year is over."""
    today = datetime.now(CHINA).date()
    since = today - timedelta(days=200)
    customer = await new_customer(sessions, datetime.now(UTC) - timedelta(days=400), trading_since=since)
    refused = await api.post(f"{P}/customers/{customer.id}/grading", "marketing_manager")
    assert refused.status_code == 409, refused.text
    assert "001 §1" in refused.json()["detail"] and str(first_grading_day(since)) in refused.json()["detail"]
    async with sessions() as session:
        rounds = await session.scalar(
            select(func.count()).select_from(Process).where(Process.customer_id == customer.id)
        )
        assert rounds == 0
        row = await session.get(Customer, customer.id)
        assert row is not None and row.grade == "C"
        # the sweep's clock opens the first round a year after trading began, not after creation
        assert clock_input(row).next_grading_on == first_grading_day(since) > today
