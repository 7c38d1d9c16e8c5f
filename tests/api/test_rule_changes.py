"""Who sets the rules (issue 20 item 7; 001 信用管理措施 §1-§2, 001 §1): a change of the credit policy
or of the grading rule is drafted (marketing manager or admin), reviewed by the business VP and
approved by the general manager on the approval engine, and takes effect only then, from its date.
Cases already running finish under the version they started with, and their history names it.

The database lives for the whole session: a change effective today copies the numbers of the
version in force, so other tests grade and lend as before, while the version number still tells
which version a case applied.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import CreditDecision, CreditPolicy, Customer, GradingConfig, Process
from tests.api.test_credit_application_api import analyse_jointly, approve_all
from tests.api.test_credit_application_api import body as credit_body
from tests.inbox_support import add_user
from tests.support import Api, record_history
from tests.workflows.test_credit_application import new_customer as new_credit_customer
from tests.workflows.test_grading import new_customer as new_graded_customer
from workflows.grading import CHINA

pytestmark = pytest.mark.asyncio(loop_scope="session")
P = "/api/v1"
POLICY_FIELDS = ("limit_by_grade", "max_term_days", "risk", "collection_working_days")
GRADING_FIELDS = ("weights", "thresholds")
SCORES = {"contract_payment": 90, "year_end_receivables": 80, "contract_premium": 70, "strategic_influence": 60}


def today() -> date:
    return datetime.now(CHINA).date()


def far(days: int) -> str:
    """A date far ahead, unique to one test: no other test meets a version in force from it."""
    return (today() + timedelta(days=days)).isoformat()


async def in_force(api: Api, rule: str, on: str | None = None) -> dict[str, Any]:
    path = {"credit_policy": "credit/policy", "grading_rule": "grading/config"}[rule]
    response = await api.get(f"{P}/{path}", "auditor", params={"on": on} if on else {})
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def same_numbers(api: Api, rule: str, effective_from: str, reason: str) -> dict[str, Any]:
    """A change whose numbers are those in force today: harmless to every other test."""
    current = await in_force(api, rule)
    fields = POLICY_FIELDS if rule == "credit_policy" else GRADING_FIELDS
    return {
        "rule": rule,
        "payload": {k: current[k] for k in fields} | {"effective_from": effective_from, "reason": reason},
    }


async def draft(api: Api, change: dict[str, Any], user: str = "marketing_manager") -> dict[str, Any]:
    response = await api.post(f"{P}/rule-changes", user, json=change)
    assert response.status_code == 201, response.text
    drafted: dict[str, Any] = response.json()
    assert (drafted["status"], drafted["current_step"], drafted["holders"]) == ("running", "vp_review", ["business_vp"])
    return drafted


async def approved_change(api: Api, sessions: async_sessionmaker[AsyncSession], change: dict[str, Any]) -> int:
    """Drafted, VP, GM: the new version's number."""
    drafted = await draft(api, change)
    done = await approve_all(api, drafted["process_id"], "business_vp", "general_manager")
    assert done["status"] == "approved"
    table = CreditPolicy if change["rule"] == "credit_policy" else GradingConfig
    async with sessions() as session:
        version = await session.scalar(select(table.version).where(table.process_id == drafted["process_id"]))
    assert version is not None
    return version


async def listed(api: Api, process_id: str, rule: str) -> dict[str, Any]:
    """The change as `GET /rule-changes` shows it to any signed-in user."""
    response = await api.get(f"{P}/rule-changes", "sales_clerk", params={"rule": rule, "limit": 500})
    assert response.status_code == 200, response.text
    [item] = [i for i in response.json() if i["process_id"] == process_id]
    assert item["rule"] == rule
    found: dict[str, Any] = item
    return found


async def established_customer(sessions: async_sessionmaker[AsyncSession]) -> Customer:
    """Trading for two years (001 §1: graded once its first year is over) but created now, so its
    grading clock's first round lies a year ahead and cannot race the round a test opens."""
    customer = await new_graded_customer(sessions, datetime.now(CHINA))
    async with sessions.begin() as session:
        row = await session.get(Customer, customer.id)
        assert row is not None
        row.trading_since = today() - timedelta(days=800)
    return customer


async def history(api: Api, process_id: str) -> list[dict[str, Any]]:
    response = await api.get(f"{P}/processes/{process_id}/history", "auditor")
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()
    return entries


async def rule_changes(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        count = await session.scalar(
            select(func.count()).select_from(Process).where(Process.process_type == "rule_change")
        )
    return count or 0


@pytest.mark.rule("001-credit-3-vp-sets-credit-system", "001-credit-3-gm-approves-credit-system")
async def test_a_change_drafted_reviewed_and_approved_takes_effect_from_its_date(api: Api) -> None:
    """Drafted → VP → GM → effective from its (future) date; before the GM's approval the old
    version applies, on that date too; today's rule stays as it is until the date comes."""
    current = await in_force(api, "credit_policy")
    start = far(7100)
    on_start = await in_force(api, "credit_policy", start)  # another test's far version may rule there
    change = await same_numbers(api, "credit_policy", start, "年终调整下年度信用管理政策")
    change["payload"] |= {"max_term_days": 45, "collection_working_days": 2}
    drafted = await draft(api, change)
    process_id = drafted["process_id"]
    assert drafted["rule"] == "credit_policy" and drafted["requested_from"] == start and drafted["applied"] is None

    assert (await in_force(api, "credit_policy", start))["version"] == on_start["version"]  # a draft applies nowhere
    assert (await listed(api, process_id, "credit_policy"))["status"] == "draft"
    reviewed = await api.decide("business_vp", process_id, "approve", "同意")
    assert reviewed.status_code == 200, reviewed.text
    assert reviewed.json()["current_step"] == "gm_approval"
    assert (await in_force(api, "credit_policy", start))["version"] == on_start["version"]  # the VP alone: nothing

    approved = await api.decide("general_manager", process_id, "approve", "批准")
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    later = await in_force(api, "credit_policy", start)
    assert later["version"] > on_start["version"] and later["max_term_days"] == 45
    assert (later["process_id"], later["changed_by"], later["effective_from"]) == (
        process_id,
        "marketing_manager",
        start,
    )
    assert (await in_force(api, "credit_policy"))["version"] == current["version"]  # a future date waits
    item = await listed(api, process_id, "credit_policy")
    assert (item["status"], item["version"], item["drafted_by"]) == ("approved", later["version"], "marketing_manager")
    steps = [(e["actor"], e["action"], e["step"], e["outcome"]) for e in await history(api, process_id)]
    assert ("business_vp", "decision", "vp_review", "approve") in steps
    assert ("general_manager", "decision", "gm_approval", "approve") in steps
    process = (await api.get(f"{P}/processes/{process_id}", "auditor")).json()
    handle = api.worker.client.get_workflow_handle(process["workflow_id"], run_id=process_id)
    record_history("rule_change_approved", await handle.fetch_history())


async def test_a_rejected_change_never_applies(api: Api, sessions: async_sessionmaker[AsyncSession]) -> None:
    start = far(7200)
    before = await in_force(api, "grading_rule", start)
    change = await same_numbers(api, "grading_rule", start, "提高 A 级门槛")
    change["payload"]["thresholds"] = {"A": "95", "B": "80"}
    drafted = await draft(api, change)
    await approve_all(api, drafted["process_id"], "business_vp")
    refused = await api.decide("general_manager", drafted["process_id"], "reject", "门槛过高")
    assert refused.status_code == 200, refused.text
    assert refused.json()["status"] == "rejected"
    assert (await in_force(api, "grading_rule", start))["version"] == before["version"]
    async with sessions() as session:
        written = await session.scalar(select(GradingConfig).where(GradingConfig.process_id == drafted["process_id"]))
    assert written is None
    item = await listed(api, drafted["process_id"], "grading_rule")
    assert (item["status"], item["version"]) == ("rejected", None)


async def test_the_wrong_people_cannot_draft_approve_or_make_a_change_effective(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    start = far(7300)
    change = await same_numbers(api, "credit_policy", start, "变更")
    versions = len((await api.get(f"{P}/credit/policy/versions", "auditor")).json())
    processes = await rule_changes(sessions)

    for user in ("sales_clerk", "business_vp", "general_manager", "finance_reviewer"):
        refused = await api.post(f"{P}/rule-changes", user, json=change)
        assert refused.status_code == 403, (user, refused.text)
    past = change | {"payload": change["payload"] | {"effective_from": (today() - timedelta(days=1)).isoformat()}}
    late = await api.post(f"{P}/rule-changes", "marketing_manager", json=past)
    assert late.status_code == 422 and "001" in late.text, late.text
    wrong = change | {"rule": "grading_rule"}  # the payload is validated by the rule's own model
    assert (await api.post(f"{P}/rule-changes", "marketing_manager", json=wrong)).status_code == 422
    assert await rule_changes(sessions) == processes  # nothing started

    # The drafter holds the VP's role too: they may not review their own change.
    drafter = await add_user(sessions, "marketing_manager", "business_vp")
    own = await draft(api, change, drafter)
    task = await api.task_for("business_vp", own["process_id"])
    self_review = await api.post(f"{P}/tasks/{task['task_id']}/decision", drafter, json={"outcome": "approve"})
    assert self_review.status_code == 403, self_review.text

    # An administrator drafts, but decides neither step: nothing takes effect by an admin alone.
    alone = await draft(api, change, "admin")
    task = await api.task_for("business_vp", alone["process_id"])
    by_admin = await api.post(f"{P}/tasks/{task['task_id']}/decision", "admin", json={"outcome": "approve"})
    assert by_admin.status_code == 403, by_admin.text
    await approve_all(api, alone["process_id"], "business_vp")
    task = await api.task_for("general_manager", alone["process_id"])
    by_admin = await api.post(f"{P}/tasks/{task['task_id']}/decision", "admin", json={"outcome": "approve"})
    assert by_admin.status_code == 403, by_admin.text
    assert len((await api.get(f"{P}/credit/policy/versions", "auditor")).json()) == versions

    for process_id in (own["process_id"], alone["process_id"]):  # no task is left open for later tests
        step = "general_manager" if process_id == alone["process_id"] else "business_vp"
        assert (await api.decide(step, process_id, "reject", "测试结束")).status_code == 200
    assert len((await api.get(f"{P}/credit/policy/versions", "auditor")).json()) == versions


async def test_a_grading_started_before_a_change_finishes_under_the_old_version(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """新老划断: the round opened under version N is scored with N although N+1 took effect meanwhile,
    and its history says so; a round opened after the change runs under N+1."""
    old = (await in_force(api, "grading_rule"))["version"]
    customer = await established_customer(sessions)
    url = f"{P}/customers/{customer.id}/grading"
    started = await api.post(url, "marketing_manager")
    assert started.status_code == 201, started.text

    new = await approved_change(api, sessions, await same_numbers(api, "grading_rule", today().isoformat(), "年度修订"))
    assert new > old and (await in_force(api, "grading_rule"))["version"] == new  # in force today, at approval
    changes = (await api.get(f"{P}/rule-changes", "auditor", params={"rule": "grading_rule"})).json()
    assert (changes[0]["status"], changes[0]["version"]) == ("effective", new)  # newest first

    scored = await api.post(f"{url}/scores", "marketing_manager", json={"scores": SCORES})
    assert scored.status_code == 200, scored.text
    await approve_all(api, started.json()["process_id"], "business_vp")
    [sheet] = (await api.get(f"{url}s", "marketing_manager")).json()
    assert sheet["config_version"] == old
    applied = [e for e in await history(api, started.json()["process_id"]) if e["action"] == "rule_applied"]
    assert [e["outcome"] for e in applied] == [f"grading_rule v{old}"]

    other = await established_customer(sessions)
    after = await api.post(f"{P}/customers/{other.id}/grading", "marketing_manager")
    assert after.status_code == 201, after.text
    applied = [e for e in await history(api, after.json()["process_id"]) if e["action"] == "rule_applied"]
    assert [e["outcome"] for e in applied] == [f"grading_rule v{new}"]
    assert (await api.decide("marketing_manager", after.json()["process_id"], "reject", "测试结束")).status_code == 200


async def test_a_credit_application_started_before_a_change_finishes_under_its_version(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """Returned before the change and resubmitted after it, the application is still checked and
    decided under the version it was filed under (its ceiling decides whether the GM signs, 001 §3)."""
    old = (await in_force(api, "credit_policy"))["version"]
    customer = await new_credit_customer(sessions)
    started = await api.post(f"{P}/credit-applications", "sales_clerk", json=credit_body(customer.customer_id))
    assert started.status_code == 201, started.text
    process_id = started.json()["process_id"]
    returned = await api.decide("finance_reviewer", process_id, "return", "补充财务报表")
    assert returned.status_code == 200 and returned.json()["status"] == "returned", returned.text

    new = await approved_change(
        api, sessions, await same_numbers(api, "credit_policy", today().isoformat(), "年度修订")
    )
    assert new > old and (await in_force(api, "credit_policy"))["version"] == new

    resubmitted = await api.post(
        f"{P}/credit-applications/{process_id}/resubmit", "sales_clerk", json=credit_body(customer.customer_id)
    )
    assert resubmitted.status_code == 200, resubmitted.text
    await analyse_jointly(api, process_id, "300000.00")
    done = await approve_all(api, process_id, "business_vp", "chief_accountant")
    assert done["status"] == "approved"
    async with sessions() as session:
        decision = await session.scalar(select(CreditDecision).where(CreditDecision.process_id == process_id))
        assert await session.get(CreditPolicy, new) is not None
    assert decision is not None and decision.form["policy_version"] == old
    applied = [e for e in await history(api, process_id) if e["action"] == "rule_applied"]
    assert [e["outcome"] for e in applied] == [f"credit_policy v{old}"]
