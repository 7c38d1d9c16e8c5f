"""The regulations as data, served and proven live (issue 21 §2-§3): each audit row of a step names
the rules that step applied, `GET /regulations/rules` serves the catalogue (with where each rule is
enforced and its tests to auditors), and `GET /regulations/rules/{id}` shows the processes in which
the rule was applied, most recent first, only those the reader may read.

Real API, real worker, real Temporal dev server, both databases. The tests take their rules from
the onboarding chain's declaration and a catalogue and matrix of their own (tests/rulebook_support.py),
not from whichever rules domain/rules.toml holds today.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from activities.process_store import ProcessStore
from activities.process_sync import ProcessSync
from api.routes import regulations
from db.models import AuditRecord, RuleApplication
from domain import rulebook
from domain.approvals import ONBOARDING_CHAIN
from domain.audit import AuditEntry
from domain.rule_change import DECIDED_BY, RuleKind
from tests.api.test_rule_changes import established_customer, in_force
from tests.inbox_support import add_user
from tests.rulebook_support import NAMED, VERSIONED, catalogue_with_versioned_rule, sample_matrix
from tests.support import Api, application
from workflows.grading import CHINA

pytestmark = pytest.mark.asyncio(loop_scope="session")
P = "/api/v1"
REVIEW = ONBOARDING_CHAIN.steps[0]  # the marketing review: a decision of it applies its rules
TRACE = {"enforced_in": ["domain.documents.missing_documents"], "tests": [{"test": "t.py::t", "result": "passed"}]}


@pytest.fixture
def versioned_catalogue(tmp_path: Path) -> Iterator[None]:
    with catalogue_with_versioned_rule(tmp_path):
        yield


@pytest.fixture
def generated_matrix(tmp_path: Path) -> Iterator[None]:
    """docs/traceability.json as `make matrix` would write it, read by the route for this test."""
    path = sample_matrix(tmp_path, **{NAMED: TRACE})
    real = regulations.matrix
    regulations.matrix = partial(rulebook.matrix, path)
    try:
        yield
    finally:
        regulations.matrix = real


async def reviewed(api: Api, customer: str) -> str:
    """An onboarding filed by the sales clerk whose marketing review approved it."""
    response = await api.submit(body=application(name=customer))
    assert response.status_code == 201, response.text
    process_id: str = response.json()["process_id"]
    decided = await api.decide("marketing_reviewer", process_id, "approve", "资料齐全")
    assert decided.status_code == 200, decided.text
    return process_id


async def withdrawn(api: Api, *process_ids: str) -> None:
    for process_id in process_ids:
        response = await api.post(f"{P}/processes/{process_id}/withdraw", "sales_clerk", json={"reason": "测试结束"})
        assert response.status_code == 200, response.text


async def evidence(api: Api, user: str, rule_id: str, **params: Any) -> list[dict[str, Any]]:
    response = await api.get(f"{P}/regulations/rules/{rule_id}", user, params=params)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["evidence"]
    return found


async def applications_of(sessions: async_sessionmaker[AsyncSession], process_id: str) -> list[tuple[Any, ...]]:
    async with sessions() as session:
        rows = await session.execute(
            select(RuleApplication.rule_id, RuleApplication.step, RuleApplication.version, AuditRecord.action)
            .join(
                AuditRecord,
                (AuditRecord.process_id == RuleApplication.process_id)
                & (AuditRecord.event_key == RuleApplication.event_key)
                & (AuditRecord.position == RuleApplication.position),
            )
            .where(RuleApplication.process_id == process_id)
        )
        return [tuple(row) for row in rows]


async def verified(api: Api, *process_ids: str) -> bool:
    answers = [
        (await api.get(f"{P}/audit/verify", "auditor", params={"process_id": pid})).json()["ok"] for pid in process_ids
    ]
    return all(answers)


async def test_a_step_decision_names_its_rules_in_its_audit_row_and_is_their_evidence(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    assert NAMED in REVIEW.rules
    first = await reviewed(api, "规则证据一号石化")
    second = await reviewed(api, "规则证据二号石化")

    history = (await api.get(f"{P}/processes/{second}/history", "auditor")).json()
    [decision] = [e for e in history if e["action"] == "decision"]
    assert (decision["step"], decision["rules"]) == (REVIEW.key, list(REVIEW.rules))
    [pinned] = [e for e in history if e["action"] == "rule_applied"]  # the document list it decides by
    assert pinned["rules"] == [NAMED]
    assert all(e["rules"] == [] for e in history if e is not decision and e is not pinned)  # the rest apply none
    async with sessions() as session:
        details = await session.scalar(
            select(AuditRecord.details).where(AuditRecord.process_id == second, AuditRecord.action == "decision")
        )
    assert details is not None and details["rules"] == list(REVIEW.rules)  # sealed in the row's hash
    applied = await applications_of(sessions, second)
    decided = [row for row in applied if row[3] == "decision"]
    assert decided == [(rule, REVIEW.key, None, "decision") for rule in REVIEW.rules]
    # and the document list pinned at its start (issue 21 §3): the version is evidence of the rule it versions
    assert [row[:2] for row in applied if row[3] == "rule_applied"] == [(NAMED, None)]

    # most recent first: each process's decision, then the document list it pinned at its start
    newest = await evidence(api, "auditor", NAMED, limit=4)
    assert [(e["process_id"], e["step"]) for e in newest] == [
        (second, REVIEW.key),
        (second, None),
        (first, REVIEW.key),
        (first, None),
    ]
    assert {k: newest[0][k] for k in ("process_type", "subject", "step", "version")} == {
        "process_type": "onboarding",
        "subject": "规则证据二号石化",
        "step": REVIEW.key,
        "version": None,
    }
    assert datetime.fromisoformat(newest[0]["applied_at"]).utcoffset() == CHINA.utcoffset(datetime.now())
    assert [e["process_id"] for e in await evidence(api, "auditor", NAMED, limit=1, offset=2)] == [first]
    assert await verified(api, first, second)

    detail = (await api.get(f"{P}/processes/{second}", "auditor")).json()
    assert [r["rule"] for r in detail["rule_versions"]] == ["onboarding_documents"]  # pinned at its start
    await withdrawn(api, first, second)


async def test_a_reader_sees_no_evidence_of_a_process_they_may_not_read_and_no_trace(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    process_id = await reviewed(api, "规则证据三号石化")
    other_clerk = await add_user(sessions, "sales_clerk", unit="DEPOT-KF")

    answer = (await api.get(f"{P}/regulations/rules/{NAMED}", other_clerk)).json()
    assert answer["rule"]["id"] == NAMED and "enforced_in" not in answer["rule"] and "tests" not in answer["rule"]
    assert process_id not in [e["process_id"] for e in answer["evidence"]]
    assert (await api.get(f"{P}/processes/{process_id}", other_clerk)).status_code == 404  # the same rule
    # the applicant reads their process, and so its evidence; an auditor reads all
    assert process_id in [e["process_id"] for e in await evidence(api, "sales_clerk", NAMED, limit=5)]
    assert process_id in [e["process_id"] for e in await evidence(api, "auditor", NAMED, limit=5)]

    catalogue = (await api.get(f"{P}/regulations/rules", other_clerk)).json()
    assert NAMED in [r["id"] for r in catalogue]
    assert all("enforced_in" not in r and "tests" not in r for r in catalogue)
    for user in (other_clerk, "auditor"):
        unknown = await api.get(f"{P}/regulations/rules/000-0-no-such-rule", user)
        assert unknown.status_code == 404 and "000-0-no-such-rule" in unknown.json()["detail"], unknown.text
    assert (await api.get(f"{P}/regulations/rules/{'x' * 81}", "auditor")).status_code == 422
    await withdrawn(api, process_id)


@pytest.mark.usefixtures("generated_matrix")
async def test_auditors_read_where_each_rule_is_enforced_and_its_tests_last_result(api: Api) -> None:
    for user in ("auditor", "admin"):
        listed = await api.get(f"{P}/regulations/rules", user, params={"kind": "enforced", "article": "000 §6"})
        assert listed.status_code == 200, listed.text
        [rule] = [r for r in listed.json() if r["id"] == NAMED]
        assert rule["article"] == "000 §6" and rule["text"] == rulebook.catalogue()[NAMED].text
        assert {k: rule[k] for k in TRACE} == TRACE
        assert (await api.get(f"{P}/regulations/rules/{NAMED}", user)).json()["rule"]["tests"] == TRACE["tests"]
    found = (await api.get(f"{P}/regulations/rules", "auditor", params={"q": "nine documents"})).json()
    assert NAMED in [r["id"] for r in found]
    for params in ({"q": "no rule says this"}, {"kind": "out_of_scope", "q": "nine documents"}, {"article": "003"}):
        answer = await api.get(f"{P}/regulations/rules", "auditor", params=params)
        assert NAMED not in [r["id"] for r in answer.json()], params
    assert (await api.get(f"{P}/regulations/rules", "auditor", params={"kind": "law"})).status_code == 422


@pytest.mark.usefixtures("versioned_catalogue")
async def test_a_pinned_rule_version_is_named_by_the_process_and_is_evidence_of_the_rules_it_decides_by(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    version = (await in_force(api, "grading_rule"))["version"]
    customer = await established_customer(sessions)
    started = await api.post(f"{P}/customers/{customer.id}/grading", "marketing_manager")
    assert started.status_code == 201, started.text
    process_id = started.json()["process_id"]

    detail = (await api.get(f"{P}/processes/{process_id}", "auditor")).json()
    [pinned] = detail["rule_versions"]
    assert (pinned["rule"], pinned["version"]) == ("grading_rule", version) and pinned["effective_from"]
    decided_by = DECIDED_BY[(RuleKind.grading_rule, "Grading")]
    [newest] = await evidence(api, "auditor", decided_by[0], limit=1)
    assert (newest["process_id"], newest["step"], newest["version"]) == (process_id, None, version)
    assert newest["customer_id"] == customer.id
    # "prove it held for this customer": the evidence of one customer, and none of another
    of_customer = await evidence(api, "auditor", decided_by[0], customer_id=customer.id)
    assert {e["process_id"] for e in of_customer} == {process_id}
    assert await evidence(api, "auditor", decided_by[0], customer_id=2**31 - 1) == []
    # the rules the grading decides by, with the version; not every rule the grading rule versions
    expected = sorted((rule_id, None, version, "rule_applied") for rule_id in decided_by)
    assert sorted(await applications_of(sessions, process_id)) == expected
    assert process_id not in {e["process_id"] for e in await evidence(api, "auditor", VERSIONED)}
    assert await verified(api, process_id)
    assert (await api.decide("marketing_manager", process_id, "reject", "测试结束")).status_code == 200


async def test_a_retried_write_indexes_its_rules_once(api: Api, sessions: async_sessionmaker[AsyncSession]) -> None:
    process_id = (await api.submit()).json()["process_id"]
    entry = AuditEntry(
        seq=1_000,
        process_id=process_id,
        workflow_type="Onboarding",
        at=(await api.get(f"{P}/processes/{process_id}", "auditor")).json()["started_at"],
        kind="update",
        name="decide",
        payload={"actor": {"username": "marketing_reviewer", "roles": ["marketing_reviewer"]}, "step": REVIEW.key},
        rules=[NAMED],
    )
    store = ProcessStore(sessions)
    for _ in range(3):  # the first attempt and two retries of the same write
        await store.sync_process(ProcessSync(audit=[entry]))
    decided = [row for row in await applications_of(sessions, process_id) if row[3] == "decision"]
    assert decided == [(NAMED, REVIEW.key, None, "decision")]  # the document list pinned at the start aside
    assert await verified(api, process_id)
    await withdrawn(api, process_id)
