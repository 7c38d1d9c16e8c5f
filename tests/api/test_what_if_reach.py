"""`POST /regulations/what-if` after review (issue 21 §4): the reach is listed only as far as the asker
may read it (api/visibility.py), the rest counted; a process whose application the record lacks is
said apart, never counted as failing; and the reach of the credit policy and of the grading rule
includes the open processes of every type they touch (over-limit approvals, credit reviews, grading
rounds), with why each cannot be judged.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import Process
from tests.api.test_credit_ledger import posting
from tests.api.test_onboarding_documents_rule import NEW, change, list_in_force
from tests.api.test_rule_changes import far, same_numbers
from tests.support import Api, application
from tests.workflows.test_credit_review import credit_customer
from tests.workflows.test_grading import new_customer as new_graded_customer

pytestmark = pytest.mark.asyncio(loop_scope="session")
P = "/api/v1"
WHAT_IF = f"{P}/regulations/what-if"


async def ask(api: Api, user: str, candidate: dict[str, Any]) -> dict[str, Any]:
    answer = await api.post(WHAT_IF, user, json=candidate)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def listed(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["process_id"]: p for p in body["processes"]}


def bare_process(process_type: str, step: str, started_at: datetime, name: str) -> Process:
    """An open process as the projection holds it, with nothing in its audit record."""
    process_id = f"what-if-{name}-{uuid.uuid4()}"
    return Process(
        process_id=process_id,
        workflow_id=f"{process_type}-{process_id}",
        process_type=process_type,
        status="running",
        current_step=step,
        subject=f"what-if {name}",
        applicant="sales_clerk",
        started_at=started_at,
        updated_at=started_at,
    )


@asynccontextmanager
async def stored(sessions: async_sessionmaker[AsyncSession], *rows: Process) -> AsyncIterator[list[str]]:
    """`rows` stored one by one (in this order) for the test, deleted after it: their ids."""
    ids = [row.process_id for row in rows]
    async with sessions.begin() as session:
        for row in rows:
            session.add(row)
            await session.flush()
    try:
        yield ids
    finally:
        async with sessions.begin() as session:
            await session.execute(delete(Process).where(Process.process_id.in_(ids)))


@pytest.mark.rule("003-7-supervision-reads-everything")
async def test_an_asker_who_may_not_read_an_open_process_sees_it_only_counted(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """An onboarding at its marketing review: the auditor reads it and sees it listed; the general
    manager, the business VP and the marketing manager hold no step of it (404 on the process) and
    see it only in the count — neither its id nor its customer's credit code."""
    _, documents = await list_in_force(sessions)
    body = application()
    filed = await api.submit(body=body)
    assert filed.status_code == 201, filed.text
    process_id, credit_code = filed.json()["process_id"], body["customer"]["credit_code"]
    candidate = change([*documents, NEW.value], far(31))
    try:
        audited = await ask(api, "auditor", candidate)
        assert process_id in listed(audited)
        for asker in ("general_manager", "business_vp", "marketing_manager"):
            assert (await api.get(f"{P}/processes/{process_id}", asker)).status_code == 404, asker
            answer = await api.post(WHAT_IF, asker, json=candidate)
            assert answer.status_code == 200, answer.text
            assert process_id not in answer.text and credit_code not in answer.text, asker
            seen = answer.json()
            assert len(seen["processes"]) + seen["unreadable_processes"] == len(audited["processes"]), asker
            assert seen["unreadable_processes"] >= 1 and "not yours to read" in seen["summary"], seen["summary"]
            for shown in seen["processes"]:  # every process listed is one the asker reads
                assert (await api.get(f"{P}/processes/{shown['process_id']}", asker)).status_code == 200
        assert audited["unreadable_processes"] == 0
    finally:
        assert (await api.decide("marketing_reviewer", process_id, "reject", "测试结束")).status_code == 200


@pytest.mark.rule("000-5-marketing-customer-information")
async def test_an_asker_who_may_not_read_a_customer_sees_it_only_counted(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """A credit customer of a unit outside head office's tree (a depot since closed, say): the
    business VP may not read its file, so the credit-policy answer counts it and names it nowhere;
    a customer of a depot below head office is listed to them; the auditor sees both."""
    outside = await credit_customer(sessions, unit=f"CLOSED-{uuid.uuid4().hex[:8]}")
    inside = await credit_customer(sessions, unit="DEPOT-KF")
    candidate = await same_numbers(api, "credit_policy", far(41), "what-if reach")
    audited = await ask(api, "auditor", candidate)
    assert {outside.customer_id, inside.customer_id} <= {c["customer_id"] for c in audited["customers"]}

    assert (await api.get(f"{P}/customers/{outside.customer_id}", "business_vp")).status_code == 404
    answer = await api.post(WHAT_IF, "business_vp", json=candidate)
    assert answer.status_code == 200, answer.text
    assert outside.name not in answer.text and outside.credit_code not in answer.text
    seen = answer.json()
    customers = {c["customer_id"] for c in seen["customers"]}
    assert inside.customer_id in customers and outside.customer_id not in customers
    assert len(customers) + seen["unreadable_customers"] == len(audited["customers"])
    assert seen["unreadable_customers"] >= 1 and "not yours to read" in seen["summary"]
    assert audited["unreadable_customers"] == 0


@pytest.mark.rule("000-6-documents")
async def test_an_onboarding_the_record_cannot_read_is_said_apart_not_counted_as_lacking(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """An open onboarding whose application is not in its audit record (filed before the record
    existed): listed as unjudged, with no `would_fail`, and the summary says to check it by hand."""
    _, documents = await list_in_force(sessions)
    # filed before the audit record existed (say): its application is nowhere in the record
    async with stored(sessions, bare_process("onboarding", "marketing_review", datetime.now(UTC), "old")) as [old]:
        body = await ask(api, "auditor", change([*documents, NEW.value], far(32)))
        unrecorded = listed(body)[old]
        assert (unrecorded["would_fail"], unrecorded["would_expire"]) == ([], [])
        assert unrecorded["unjudged"].startswith("000 §6: the application is not in the process's audit record")
        lacking = sum(1 for p in body["processes"] if p["would_fail"])
        unread = sum(1 for p in body["processes"] if p["unjudged"])
        assert f": {lacking} lacking a document" in body["summary"], body["summary"]
        assert f"{unread} could not be read from the record: check by hand" in body["summary"], body["summary"]


@pytest.mark.rule("001-credit-3-gm-delivery-beyond-limit")
async def test_the_credit_policy_reaches_open_over_limit_approvals_and_credit_reviews(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """001 §3: a delivery beyond the limit waits for the GM under the policy it pinned; a credit
    review is assessed under the policy in force on its day. Both are listed, with why they are not
    judged, and the summary says so."""
    short = await credit_customer(sessions, limit="100.00")
    refused = await api.post(
        f"{P}/customers/{short.customer_id}/ledger", "sales_clerk", json=posting("delivery", "150.00")
    )
    assert refused.status_code == 409 and refused.json()["error"] == "over_limit", refused.text
    over_limit = refused.json()["approval_process_id"]
    reviewed = await credit_customer(sessions)
    review = await api.post(
        f"{P}/customers/{reviewed.customer_id}/credit-reviews", "marketing_manager", json={"reason": "what-if 专项评审"}
    )
    assert review.status_code == 201, review.text
    try:
        body = await ask(api, "auditor", await same_numbers(api, "credit_policy", far(42), "what-if reach"))
        processes = listed(body)
        for process_id, article in ((over_limit, "001 §3"), (review.json()["process_id"], "001 信用审核")):
            assert processes[process_id]["would_fail"] == [], processes[process_id]
            assert processes[process_id]["unjudged"].startswith(article), processes[process_id]
        assert "Also reached, not judged" in body["summary"] and "credit_over_limit" in body["summary"]
    finally:
        assert (await api.decide("general_manager", over_limit, "reject", "测试结束")).status_code == 200


@pytest.mark.rule("001-1-grading-rule-yearly-review")
async def test_the_grading_rule_reaches_open_grading_rounds(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """001 §1: a round opened by hand, not yet scored, keeps the rule it pinned; the grading-rule
    answer lists it with why it cannot be judged (its scores are not in the record)."""
    customer = await new_graded_customer(sessions, datetime.now(UTC), trading_since=date.today() - timedelta(days=400))
    started = await api.post(f"{P}/customers/{customer.id}/grading", "marketing_manager")
    assert started.status_code == 201, started.text
    body = await ask(api, "auditor", await same_numbers(api, "grading_rule", far(43), "what-if reach"))
    round_ = listed(body)[started.json()["process_id"]]
    assert round_["would_fail"] == [] and round_["unjudged"].startswith("001 §1: a grading round"), round_
    assert "Also reached, not judged" in body["summary"] and "grading" in body["summary"]


async def test_processes_started_in_the_same_instant_are_answered_in_one_order(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """Two open research notes started in the same instant, the later id stored first: the
    step-deadlines answer lists them by id after their start, whatever order the database keeps."""
    now = datetime.now(UTC).replace(microsecond=0)
    later, earlier = (bare_process("research_note", "manager_approval", now, name) for name in ("b", "a"))
    candidate = {
        "rule": "step_deadlines",
        "payload": {
            "process_type": "research_note",
            "steps": {"manager_approval": {"due_working_days": 5}},
            "effective_from": far(44),
            "reason": "what-if order",
        },
    }
    async with stored(sessions, later, earlier) as ids:  # the later id stored first
        body = await ask(api, "auditor", candidate)
        assert [p["process_id"] for p in body["processes"] if p["process_id"] in ids] == sorted(ids)
