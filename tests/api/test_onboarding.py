"""Onboarding (000 §6) through the real API, a real worker and a real Temporal dev server."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from api.security import hash_password
from db.models import Process, User, UserRole
from tests.support import Api, application, random_credit_code, record_history

pytestmark = pytest.mark.asyncio(loop_scope="session")

CHAIN = [
    ("marketing_reviewer", "marketing_review"),
    ("finance_reviewer", "finance_recheck"),
    ("business_vp", "vp_consent"),
    ("general_manager", "gm_approval"),
]


async def approve_all(api: Api, process_id: str) -> dict:
    body: dict = {}
    for index, (user, step) in enumerate(CHAIN):
        response = await api.decide(user, process_id, "approve", f"{step} ok")
        assert response.status_code == 200, response.text
        body = response.json()
        expected = CHAIN[index + 1][1] if index + 1 < len(CHAIN) else None
        assert body["current_step"] == expected
    return body


@pytest.mark.rule("000-6-chain", "000-6-customer-after-gm-approval")
async def test_happy_path_creates_customer_with_trail(api: Api) -> None:
    body = application()
    started = await api.submit(body=body)
    assert started.status_code == 201, started.text
    process_id = started.json()["process_id"]
    answer = started.json()
    assert answer == {
        "process_id": process_id,
        "status": "running",
        "current_step": "marketing_review",
        "customer_id": None,
        "open_task_ids": answer["open_task_ids"],
        "holders": ["marketing_reviewer"],
        "due_at": answer["due_at"],
    }
    assert len(answer["open_task_ids"]) == 1
    assert answer["due_at"] is not None  # onboarding_step_working_days (3) on the working-day calendar

    final = await approve_all(api, process_id)
    assert final["status"] == "approved"
    customer_id = final["customer_id"]

    customer = await api.get(f"/api/v1/customers/{customer_id}", "auditor")
    assert customer.status_code == 200, customer.text
    data = customer.json()
    assert data["credit_code"] == body["customer"]["credit_code"]
    assert data["grade"] == "C"  # 001 §1: new customers are C in their first year
    assert len(data["documents"]) == 9
    deciders = [e["actor"] for e in data["approval_trail"] if e["action"] == "decision"]
    assert deciders == [user for user, _ in CHAIN]

    history = (await api.get(f"/api/v1/processes/{process_id}/history", "auditor")).json()
    actions = [(e["actor"], e["action"], e["step"], e["outcome"]) for e in history]
    assert actions[0] == ("sales_clerk", "submitted", None, None)
    decisions = [a for a in actions if a[1] == "decision"]
    assert decisions == [(user, "decision", step, "approve") for user, step in CHAIN]
    assert ("system", "customer_created", None, None) in actions
    assert actions[-1] == ("system", "closed", None, "approved")
    assert [e["at"] for e in history] == sorted(e["at"] for e in history)
    assert all(e["comment"] for e in history if e["action"] == "decision")

    detail = (await api.get(f"/api/v1/processes/{process_id}", "auditor")).json()
    assert detail["status"] == "approved" and detail["customer_id"] == customer_id and detail["open_tasks"] == []


@pytest.mark.rule("000-6-qualification-review", "000-5-marketing-credit-investigation")
async def test_each_step_lands_in_the_right_inbox_only(api: Api) -> None:
    process_id = (await api.submit()).json()["process_id"]
    for user in ("finance_reviewer", "business_vp", "general_manager", "auditor"):
        tasks = (await api.get("/api/v1/tasks", user, params={"process_id": process_id})).json()["items"]
        assert tasks == []
    task = await api.task_for("marketing_reviewer", process_id)
    assert task["role"] == "marketing_reviewer" and task["step"] == "marketing_review"
    assert task["subject"] == "郑州华豫石化贸易有限公司"


@pytest.mark.rule("000-6-return-or-reject")
async def test_reject_needs_a_reason_and_ends_the_process(api: Api) -> None:
    process_id = (await api.submit()).json()["process_id"]
    no_reason = await api.decide("marketing_reviewer", process_id, "reject")
    assert no_reason.status_code == 422
    assert "reason" in no_reason.json()["detail"]
    rejected = await api.decide("marketing_reviewer", process_id, "reject", "危险化学品证书与营业执照名称不符")
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["status"] == "rejected"
    history = (await api.get(f"/api/v1/processes/{process_id}/history", "auditor")).json()
    decisions = [e for e in history if e["action"] == "decision"]
    assert len(decisions) == 1 and decisions[0]["outcome"] == "reject"
    assert decisions[0]["comment"] == "危险化学品证书与营业执照名称不符"
    assert (await api.get("/api/v1/tasks", "finance_reviewer", params={"process_id": process_id})).json()["items"] == []


@pytest.mark.rule("000-6-return-or-reject", "000-6-documents")
async def test_return_and_resubmit_restarts_at_marketing_review(api: Api) -> None:
    body = application()
    process_id = (await api.submit(body=body)).json()["process_id"]
    assert (await api.decide("marketing_reviewer", process_id, "approve", "ok")).status_code == 200
    returned = await api.decide("finance_reviewer", process_id, "return", "开户许可证号码有误, 请更正")
    correction = await api.task_for("sales_clerk", process_id)  # correct and resubmit (issue 20 item 16)
    assert returned.json() == {
        "process_id": process_id,
        "status": "returned",
        "current_step": None,
        "customer_id": None,
        "open_task_ids": [correction["task_id"]],
        "holders": ["sales_clerk"],
        "due_at": None,
    }
    # Only the applicant resubmits, and only a complete application.
    assert (await api.post(f"/api/v1/onboarding/{process_id}/resubmit", "auditor", json=body)).status_code in (403, 404)
    incomplete = application(body["customer"]["credit_code"], drop=("bank_account_permit",))
    # a reader who is not the applicant learns nothing of the pinned list: 403 before any check of it
    stranger = await api.post(f"/api/v1/onboarding/{process_id}/resubmit", "auditor", json=incomplete)
    assert stranger.status_code in (403, 404), stranger.text
    bad = await api.post(f"/api/v1/onboarding/{process_id}/resubmit", "sales_clerk", json=incomplete)
    assert bad.status_code == 422
    body["documents"][5]["number"] = "J4910000123401"
    again = await api.post(f"/api/v1/onboarding/{process_id}/resubmit", "sales_clerk", json=body)
    assert again.status_code == 200, again.text
    assert again.json()["status"] == "running" and again.json()["current_step"] == "marketing_review"
    final = await approve_all(api, process_id)
    assert final["status"] == "approved"
    customer = (await api.get(f"/api/v1/customers/{final['customer_id']}", "auditor")).json()
    assert customer["documents"][5]["number"] == "J4910000123401"
    history = (await api.get(f"/api/v1/processes/{process_id}/history", "auditor")).json()
    assert [e["action"] for e in history].count("resubmitted") == 1


async def test_withdraw_by_applicant_only(api: Api) -> None:
    process_id = (await api.submit()).json()["process_id"]
    foreign = await api.post(f"/api/v1/processes/{process_id}/withdraw", "auditor", json={"reason": "x"})
    assert foreign.status_code == 403
    done = await api.post(f"/api/v1/processes/{process_id}/withdraw", "sales_clerk", json={"reason": "客户放弃合作"})
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "withdrawn"
    left = (await api.get("/api/v1/tasks", "marketing_reviewer", params={"process_id": process_id})).json()
    assert left["items"] == []
    again = await api.post(f"/api/v1/processes/{process_id}/withdraw", "sales_clerk", json={"reason": "again"})
    assert again.status_code == 409


async def test_wrong_role_is_forbidden_and_changes_nothing(api: Api) -> None:
    process_id = (await api.submit()).json()["process_id"]
    task = await api.task_for("marketing_reviewer", process_id)
    # Issue 10: a user who may not read the task gets 404; the applicant reads it but may not decide: 403.
    hidden = await api.post(
        f"/api/v1/tasks/{task['task_id']}/decision", "finance_reviewer", json={"outcome": "approve"}
    )
    assert hidden.status_code == 404
    response = await api.post(f"/api/v1/tasks/{task['task_id']}/decision", "sales_clerk", json={"outcome": "approve"})
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"
    still = await api.task_for("marketing_reviewer", process_id)
    assert still["task_id"] == task["task_id"] and still["status"] == "open"
    history = (await api.get(f"/api/v1/processes/{process_id}/history", "auditor")).json()
    assert not [e for e in history if e["action"] == "decision"]


async def test_duplicate_decision_is_applied_once(api: Api) -> None:
    process_id = (await api.submit()).json()["process_id"]
    task = await api.task_for("marketing_reviewer", process_id)
    url = f"/api/v1/tasks/{task['task_id']}/decision"
    # A double click: the same request twice at once, then once more later.
    first, second = await asyncio.gather(
        api.post(url, "marketing_reviewer", json={"outcome": "approve", "comment": "ok"}),
        api.post(url, "marketing_reviewer", json={"outcome": "approve", "comment": "ok"}),
    )
    assert sorted([first.status_code, second.status_code]) in ([200, 200], [200, 409])
    late = await api.post(url, "marketing_reviewer", json={"outcome": "approve", "comment": "ok"})
    assert late.status_code == 409
    history = (await api.get(f"/api/v1/processes/{process_id}/history", "auditor")).json()
    assert len([e for e in history if e["action"] == "decision"]) == 1


async def _add_user(api: Api, sessions, username: str, *roles: str) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    async with sessions.begin() as session:
        if await session.scalar(select(User.id).where(User.username == username)) is None:
            session.add(
                User(
                    username=username,
                    full_name=username,
                    password_hash=hash_password("demo"),
                    unit_code="MKT",
                    created_at=datetime.now(UTC),
                    roles=[UserRole(role=r) for r in roles],
                )
            )


async def test_two_approvers_racing_exactly_one_wins(api: Api, sessions) -> None:  # type: ignore[no-untyped-def]
    await _add_user(api, sessions, "marketing_reviewer_2", "marketing_reviewer")
    process_id = (await api.submit()).json()["process_id"]
    task = await api.task_for("marketing_reviewer", process_id)
    url = f"/api/v1/tasks/{task['task_id']}/decision"
    responses = await asyncio.gather(
        api.post(url, "marketing_reviewer", json={"outcome": "approve", "comment": "ok"}),
        api.post(url, "marketing_reviewer_2", json={"outcome": "reject", "comment": "no"}),
    )
    assert sorted(r.status_code for r in responses) == [200, 409]
    history = (await api.get(f"/api/v1/processes/{process_id}/history", "auditor")).json()
    assert len([e for e in history if e["action"] == "decision"]) == 1


@pytest.mark.rule("000-6-distinct-signers")
async def test_segregation_of_duties(api: Api, sessions) -> None:  # type: ignore[no-untyped-def]
    await _add_user(api, sessions, "clerk_and_reviewer", "sales_clerk", "marketing_reviewer")
    await _add_user(api, sessions, "two_hats", "marketing_reviewer", "finance_reviewer")
    own = (await api.submit(user="clerk_and_reviewer")).json()["process_id"]
    refused = await api.decide("clerk_and_reviewer", own, "approve", "mine")
    assert refused.status_code == 403 and "own application" in refused.json()["detail"]

    process_id = (await api.submit()).json()["process_id"]
    assert (await api.decide("two_hats", process_id, "approve", "ok")).status_code == 200
    second = await api.decide("two_hats", process_id, "approve", "ok again")
    assert second.status_code == 403 and "two steps" in second.json()["detail"]


@pytest.mark.rule("000-6-documents", "000-6-delegate-power-of-attorney")
async def test_incomplete_application_is_refused_and_starts_nothing(api: Api, sessions) -> None:  # type: ignore[no-untyped-def]
    code = random_credit_code()
    body = application(code, drop=("tax_registration", "legal_rep_id"))
    body["documents"][0]["valid_until"] = "2020-01-01"
    response = await api.submit(body=body)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert any("missing document: tax_registration" in p for p in detail)
    assert any("missing document: legal_rep_id" in p for p in detail)
    assert any("expired document: business_license" in p for p in detail)
    async with sessions() as session:
        assert await session.scalar(select(Process).where(Process.subject_key == code)) is None
    delegate = application(delegate="李四")
    refused = await api.submit(body=delegate)
    assert refused.status_code == 422 and any("power_of_attorney" in p for p in refused.json()["detail"])


async def test_bad_credit_code_and_duplicates(api: Api) -> None:
    body = application()
    body["customer"]["credit_code"] = body["customer"]["credit_code"][:17] + (
        "0" if body["customer"]["credit_code"][17] != "0" else "1"
    )
    bad = await api.submit(body=body)
    assert bad.status_code == 422 and "credit_code" in bad.text
    good = application()
    assert (await api.submit(body=good)).status_code == 201
    twice = await api.submit(body=good)
    assert twice.status_code == 409 and "already has an onboarding" in twice.json()["detail"]


async def test_only_clerks_file_and_tokens_are_checked(api: Api) -> None:
    assert (await api.submit(user="auditor")).status_code == 403
    assert (await api.client.get("/api/v1/tasks")).status_code == 401
    wrong = await api.client.post("/api/v1/auth/token", data={"username": "auditor", "password": "nope"})
    assert wrong.status_code == 401
    bad_token = await api.client.get("/api/v1/tasks", headers={"Authorization": "Bearer forged"})
    assert bad_token.status_code == 401
    assert (
        await api.post("/api/v1/tasks/nope/decision", "general_manager", json={"outcome": "approve"})
    ).status_code == 404
    malformed = await api.post("/api/v1/tasks/nope/decision", "general_manager", json={"outcome": "maybe"})
    assert malformed.status_code == 422


@pytest.mark.rule("003-7-supervision-reads-everything")
async def test_auditor_lists_and_filters_processes(api: Api) -> None:
    body = application()
    process_id = (await api.submit(body=body)).json()["process_id"]
    code = body["customer"]["credit_code"]
    listed = (await api.get("/api/v1/processes", "auditor", params={"customer": code})).json()
    assert [p["process_id"] for p in listed] == [process_id]
    running = (
        await api.get("/api/v1/processes", "auditor", params={"process_type": "onboarding", "status": "running"})
    ).json()
    assert process_id in [p["process_id"] for p in running]
    none = (await api.get("/api/v1/processes", "auditor", params={"customer": code, "status": "approved"})).json()
    assert none == []
    # An unrelated user does not see someone else's process.
    assert (await api.get(f"/api/v1/processes/{process_id}", "depot_manager")).status_code == 404
    assert (await api.get(f"/api/v1/processes/{process_id}/history", "depot_manager")).status_code == 404


async def test_worker_restart_in_the_middle_loses_nothing(api: Api) -> None:
    process_id = (await api.submit()).json()["process_id"]
    assert (await api.decide("marketing_reviewer", process_id, "approve", "ok")).status_code == 200
    await api.worker.stop()
    await api.worker.start()
    final = await approve_all_from(api, process_id, start=1)
    assert final["status"] == "approved"
    history = (await api.get(f"/api/v1/processes/{process_id}/history", "auditor")).json()
    assert len([e for e in history if e["action"] == "decision"]) == 4


async def approve_all_from(api: Api, process_id: str, start: int) -> dict:
    body: dict = {}
    for user, step in CHAIN[start:]:
        response = await api.decide(user, process_id, "approve", f"{step} ok")
        assert response.status_code == 200, response.text
        body = response.json()
    return body


async def test_health(api: Api) -> None:
    response = await api.client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json()["checks"] == {"api": "ok", "database": "ok", "temporal": "ok"}


async def test_saved_history_replays_deterministically(api: Api) -> None:
    """A finished onboarding's history replays on the current code: no non-determinism."""
    from temporalio.worker import Replayer

    from temporal_client import DATA_CONVERTER
    from workflows.registry import WORKFLOWS

    process_id = (await api.submit()).json()["process_id"]
    assert (await api.decide("marketing_reviewer", process_id, "return", "补充开票信息")).status_code == 200
    detail = (await api.get(f"/api/v1/processes/{process_id}", "auditor")).json()
    handle = api.worker.client.get_workflow_handle(detail["workflow_id"], run_id=process_id)
    await api.post(f"/api/v1/processes/{process_id}/withdraw", "sales_clerk", json={"reason": "客户撤回"})
    history = await handle.fetch_history()
    result = await Replayer(workflows=WORKFLOWS, data_converter=DATA_CONVERTER).replay_workflow(history)
    assert result.replay_failure is None
    record_history("onboarding_returned_then_withdrawn", history)
