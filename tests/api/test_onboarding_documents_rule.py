"""The onboarding document list as a versioned rule (issue 21 §3-§4; 000 §6, rule `000-6-documents`).

A change of the list is drafted, reviewed by the business VP and approved by the general manager
like any rule change; an onboarding pins the list in force when it is filed and is checked against
it to its end (新老划断), its history and `GET /processes/{id}` naming the version. The what-if
answers, before anyone approves, which open onboardings would lack a document of a candidate list.

The database lives for the whole session: a test that puts a longer list in force puts the nine
documents back before it ends, so every other test files applications as before.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from activities.rule_store import documents_in_force
from db.models import Customer, CustomerGrading, OnboardingDocumentList, Process
from domain.documents import DocumentType
from tests.api.test_credit_application_api import approve_all
from tests.api.test_credit_application_api import body as credit_body
from tests.api.test_onboarding import approve_all as approve_onboarding
from tests.api.test_rule_changes import far, same_numbers
from tests.support import Api, application, record_history
from tests.workflows.test_credit_application import new_customer as new_credit_customer
from tests.workflows.test_credit_review import credit_customer
from tests.workflows.test_grading import new_customer as new_graded_customer
from workflows.grading import CHINA

pytestmark = pytest.mark.asyncio(loop_scope="session")
P = "/api/v1"
NEW = DocumentType.hazardous_chemicals_trading_license  # 000 §7 item 1: asked of onboarding too, say


def today() -> str:
    return datetime.now(CHINA).date().isoformat()


async def list_in_force(sessions: async_sessionmaker[AsyncSession]) -> tuple[int, list[str]]:
    async with sessions() as session:
        pinned = await documents_in_force(session, datetime.now(CHINA).date())
    return pinned.version, [d.value for d in pinned.documents]


def change(documents: list[str], effective_from: str, reason: str = "增加危险化学品经营许可证") -> dict[str, Any]:
    payload = {"documents": documents, "effective_from": effective_from, "reason": reason}
    return {"rule": "onboarding_documents", "payload": payload}


async def approved_list(api: Api, sessions: async_sessionmaker[AsyncSession], documents: list[str]) -> int:
    """Drafted by the marketing manager, approved by the VP and the GM, in force today: its version."""
    drafted = await api.post(f"{P}/rule-changes", "marketing_manager", json=change(documents, today()))
    assert drafted.status_code == 201, drafted.text
    done = await approve_all(api, drafted.json()["process_id"], "business_vp", "general_manager")
    assert done["status"] == "approved", done
    async with sessions() as session:
        query = select(OnboardingDocumentList.version).where(
            OnboardingDocumentList.process_id == drafted.json()["process_id"]
        )
        version = await session.scalar(query)
    assert version is not None
    return version


@asynccontextmanager
async def longer_list_in_force(api: Api, sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[int]:
    """The list in force today plus NEW, approved and in force today; the old list back afterwards."""
    _, documents = await list_in_force(sessions)
    version = await approved_list(api, sessions, [*documents, NEW.value])
    try:
        yield version
    finally:
        await approved_list(api, sessions, documents)


def with_new_document(body: dict[str, Any]) -> dict[str, Any]:
    extra = {"type": NEW.value, "number": "NO-HAZARD-001", "issuer": "郑州市应急管理局"}
    return body | {"documents": [*body["documents"], extra]}


async def history(api: Api, process_id: str) -> list[dict[str, Any]]:
    response = await api.get(f"{P}/processes/{process_id}/history", "auditor")
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()
    return entries


async def versions_named(api: Api, process_id: str) -> tuple[list[str], list[int]]:
    """The versions the history names, and those `GET /processes/{id}` names."""
    named = [e["outcome"] for e in await history(api, process_id) if e["action"] == "rule_applied"]
    detail = await api.get(f"{P}/processes/{process_id}", "auditor")
    assert detail.status_code == 200, detail.text
    applied = [r["version"] for r in detail.json()["rule_versions"] if r["rule"] == "onboarding_documents"]
    return named, applied


async def pinned_evidence(api: Api, process_id: str) -> list[int | None]:
    """The versions of the list the rule's live evidence shows the process pinned at its start."""
    response = await api.get(f"{P}/regulations/rules/000-6-documents", "auditor", params={"limit": 500})
    assert response.status_code == 200, response.text
    evidence = response.json()["evidence"]
    return [e["version"] for e in evidence if e["process_id"] == process_id and e["step"] is None]


async def count(sessions: async_sessionmaker[AsyncSession], model: Any) -> int:
    async with sessions() as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


@pytest.mark.rule("000-6-documents")
async def test_a_process_filed_before_a_change_finishes_under_the_old_list_and_one_filed_after_needs_the_new(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """The acceptance of issue 21: a document added to the onboarding list with an effective date;
    filed before, the case finishes (GM approves, customer created) without it, also after a return
    and a resubmission; filed after, it is refused without the document and passes with it; each
    history names its version."""
    old, _ = await list_in_force(sessions)
    before = await api.submit(body=application())
    assert before.status_code == 201, before.text
    to_return = application()
    returned = await api.submit(body=to_return)
    assert returned.status_code == 201, returned.text
    returned_id = returned.json()["process_id"]
    assert (await api.decide("marketing_reviewer", returned_id, "return", "补充资料")).status_code == 200

    async with longer_list_in_force(api, sessions) as new:
        assert new > old and (await list_in_force(sessions))[0] == new
        listed = await api.get(f"{P}/rule-changes", "sales_clerk", params={"rule": "onboarding_documents"})
        assert (listed.json()[0]["status"], listed.json()[0]["version"]) == ("effective", new)  # newest first

        done = await approve_onboarding(api, before.json()["process_id"])
        assert done["status"] == "approved" and done["customer_id"] is not None
        resubmitted = await api.post(f"{P}/onboarding/{returned_id}/resubmit", "sales_clerk", json=to_return)
        assert resubmitted.status_code == 200, resubmitted.text  # checked against the list it pinned

        processes = await count(sessions, Process)
        refused = await api.submit(body=application())
        assert refused.status_code == 422, refused.text
        assert refused.json()["detail"] == [
            f"000 §6 (onboarding_documents v{new}): missing document: {NEW.value} (危险化学品经营许可证)"
        ]
        assert await count(sessions, Process) == processes  # nothing started

        after = await api.submit(body=with_new_document(application()))
        assert after.status_code == 201, after.text
        after_id = after.json()["process_id"]
        assert await versions_named(api, after_id) == ([f"onboarding_documents v{new}"], [new])
        assert await pinned_evidence(api, after_id) == [new]  # GET /regulations/rules/000-6-documents
        assert (await api.decide("marketing_reviewer", after_id, "reject", "测试结束")).status_code == 200
        assert (await api.decide("marketing_reviewer", returned_id, "reject", "测试结束")).status_code == 200

    assert await versions_named(api, before.json()["process_id"]) == ([f"onboarding_documents v{old}"], [old])
    assert await pinned_evidence(api, before.json()["process_id"]) == [old]
    process = (await api.get(f"{P}/processes/{before.json()['process_id']}", "auditor")).json()
    handle = api.worker.client.get_workflow_handle(process["workflow_id"], run_id=process["process_id"])
    record_history("onboarding_pinned_documents", await handle.fetch_history())


def expiring_before(body: dict[str, Any], day: date) -> dict[str, Any]:
    """`body` with its first document in force until the day before `day`, and not after."""
    first = body["documents"][0] | {"valid_until": (day - timedelta(days=1)).isoformat()}
    return body | {"documents": [first, *body["documents"][1:]]}


@pytest.mark.rule("000-6-documents")
async def test_the_what_if_lists_exactly_the_open_processes_lacking_the_new_document(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """Open with the new document, open without it, open with every document but one expiring before
    the effective date, closed without it: all three open ones are touched, exactly the one without
    is lacking; the one expiring is told apart (000 §6 validity, another rule), not as lacking; no
    customer is touched; and asking changed nothing."""
    version, documents = await list_in_force(sessions)
    effective = datetime.now(CHINA).date() + timedelta(days=30)
    has_it = await api.submit(body=with_new_document(application()))
    lacks_it = await api.submit(body=application())
    expiring = await api.submit(body=expiring_before(with_new_document(application()), effective))
    closed = await api.submit(body=application())
    filed = (has_it, lacks_it, expiring, closed)
    assert {r.status_code for r in filed} == {201}, [r.text for r in filed]
    ids = {r.json()["process_id"] for r in filed}
    assert (await api.decide("marketing_reviewer", closed.json()["process_id"], "reject", "不符合")).status_code == 200
    counts = [await count(sessions, model) for model in (Process, OnboardingDocumentList)]

    candidate = change([*documents, NEW.value], effective.isoformat())
    answer = await api.post(f"{P}/regulations/what-if", "auditor", json=candidate)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["rule"], body["in_force_version"], body["customers"]) == ("onboarding_documents", version, [])
    assert "No customer is touched" in body["summary"] and "lacking a document" in body["summary"]
    mine = {p["process_id"]: p for p in body["processes"] if p["process_id"] in ids}
    open_ids = [r.json()["process_id"] for r in (has_it, lacks_it, expiring)]
    assert set(mine) == set(open_ids)
    assert {pid for pid, p in mine.items() if p["would_fail"]} == {lacks_it.json()["process_id"]}
    assert mine[lacks_it.json()["process_id"]]["would_fail"] == [
        f"000 §6 (onboarding_documents candidate): missing document: {NEW.value} (危险化学品经营许可证)"
    ]
    assert {pid for pid, p in mine.items() if p["would_expire"]} == {expiring.json()["process_id"]}
    [expired] = mine[expiring.json()["process_id"]]["would_expire"]
    assert expired.startswith(f"000 §6 validity on {effective.isoformat()}: expired document: {documents[0]}")
    assert [p["unjudged"] for p in mine.values()] == [None, None, None]
    assert [await count(sessions, model) for model in (Process, OnboardingDocumentList)] == counts

    for process_id in open_ids:
        assert (await api.decide("marketing_reviewer", process_id, "reject", "测试结束")).status_code == 200


@pytest.mark.rule("000-6-documents")
async def test_the_what_if_is_refused_to_others_and_for_bad_candidates_and_changes_nothing(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    _, documents = await list_in_force(sessions)
    ahead = (datetime.now(CHINA).date() + timedelta(days=30)).isoformat()
    counts = [await count(sessions, model) for model in (Process, OnboardingDocumentList)]
    for user in ("sales_clerk", "marketing_reviewer", "finance_reviewer"):
        refused = await api.post(f"{P}/regulations/what-if", user, json=change(documents, ahead))
        assert refused.status_code == 403, (user, refused.text)
    past = (datetime.now(CHINA).date() - timedelta(days=1)).isoformat()
    late = await api.post(f"{P}/regulations/what-if", "auditor", json=change(documents, past))
    assert late.status_code == 422 and "000 §6" in late.text, late.text
    for bad in (
        [],  # an empty list
        [*documents, "passport"],  # not a document type
        [*documents, documents[0]],  # twice
        [*documents, DocumentType.power_of_attorney.value],  # a delegate's, not everyone's (000 §6 item 9)
    ):
        invalid = await api.post(f"{P}/regulations/what-if", "auditor", json=change(bad, ahead))
        assert invalid.status_code == 422, (bad, invalid.text)
        drafted = await api.post(f"{P}/rule-changes", "marketing_manager", json=change(bad, ahead))
        assert drafted.status_code == 422, (bad, drafted.text)
    too_long = await api.post(f"{P}/regulations/what-if", "auditor", json=change(documents, ahead, "理" * 501))
    assert too_long.status_code == 422, too_long.text
    deadlines = {  # step deadlines answer through the same reach (api/what_if_reads.py)
        "rule": "step_deadlines",
        "payload": {
            "effective_from": ahead,
            "process_type": "onboarding",
            "steps": {"marketing_review": {"due_working_days": 1}},
            "reason": "what if",
        },
    }
    reached = await api.post(f"{P}/regulations/what-if", "auditor", json=deadlines)
    assert reached.status_code == 200 and reached.json()["rule"] == "step_deadlines", reached.text
    assert [await count(sessions, model) for model in (Process, OnboardingDocumentList)] == counts


async def test_the_what_if_of_a_credit_policy_names_the_customers_above_its_ceiling_or_term(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """001 §3, 001 信用管理措施 §1-§2: a grade-B customer granted 100000.00 for 30 days, against a
    candidate with a B ceiling of 50000.00 and a longest term of 20 days; another within both."""
    over = await credit_customer(sessions, limit="100000.00", term_days=30)
    within = await credit_customer(sessions, limit="1000.00", term_days=10)
    applicant = await new_credit_customer(sessions)
    filed = await api.post(f"{P}/credit-applications", "sales_clerk", json=credit_body(applicant.customer_id))
    assert filed.status_code == 201, filed.text
    candidate = await same_numbers(api, "credit_policy", far(40), "收紧 B 级")
    candidate["payload"] |= {"max_term_days": 20}
    candidate["payload"]["limit_by_grade"] |= {"B": "50000.00", "C": "50000.00"}
    answer = await api.post(f"{P}/regulations/what-if", "auditor", json=candidate)  # reads every process
    assert answer.status_code == 200, answer.text
    assert (await api.decide("finance_reviewer", filed.json()["process_id"], "reject", "测试结束")).status_code == 200
    [asked] = [p for p in answer.json()["processes"] if p["process_id"] == filed.json()["process_id"]]
    assert asked["would_fail"] == [  # asks 300000.00 for 30 days as a customer of grade C (001 §1: new)
        "001 §3 (credit_policy candidate): limit 300000.00 exceeds the ceiling 50000.00 of grade C; above it "
        "only the general manager grants",
        "001 信用管理措施 §1-§2 (credit_policy candidate): term of 30 days exceeds the longest term of 20 days",
    ]
    customers = {c["customer_id"]: c["would_fail"] for c in answer.json()["customers"]}
    assert customers[within.customer_id] == []
    assert customers[over.customer_id] == [
        "001 §3 (credit_policy candidate): limit 100000.00 exceeds the ceiling 50000.00 of grade B; above it "
        "only the general manager grants",
        "001 信用管理措施 §1-§2 (credit_policy candidate): term of 30 days exceeds the longest term of 20 days",
    ]


async def test_the_what_if_of_a_grading_rule_names_the_customers_it_would_grade_otherwise(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """001 §1: a customer graded B on scores totalling 80 becomes A when the A threshold drops to 75."""
    customer = await new_graded_customer(sessions, datetime.now(CHINA))
    async with sessions.begin() as session:
        row = await session.get(Customer, customer.id)
        assert row is not None
        row.grade = "B"
        now = datetime.now(CHINA)
        scores = {"contract_payment": "80", "year_end_receivables": "80", "contract_premium": "80"}
        session.add(
            CustomerGrading(
                process_id=f"what-if-{uuid.uuid4()}",
                customer_id=customer.id,
                period="2025",
                scores=scores | {"strategic_influence": "80"},
                weighted_total=Decimal(80),
                grade="B",
                config_version=1,
                scored_by="marketing_manager",
                scored_at=now,
                approved_by="business_vp",
                approved_at=now,
            )
        )
    candidate = await same_numbers(api, "grading_rule", far(40), "降低 A 级门槛")
    candidate["payload"]["thresholds"] = {"A": "75", "B": "60"}
    answer = await api.post(f"{P}/regulations/what-if", "auditor", json=candidate)
    assert answer.status_code == 200, answer.text
    customers = {c["customer_id"]: c["would_fail"] for c in answer.json()["customers"]}
    assert customers[customer.id] == ["001 §1 (grading_rule candidate): the last scores (80.00) would grade A, not B"]
    candidate["payload"]["thresholds"] = {"A": "85", "B": "70"}
    unchanged = await api.post(f"{P}/regulations/what-if", "auditor", json=candidate)
    assert {c["customer_id"]: c["would_fail"] for c in unchanged.json()["customers"]}[customer.id] == []
