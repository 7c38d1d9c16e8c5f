"""File borrowing (002 rule 1, 004 §3) through the real API, a real worker and the Temporal dev
server: the borrower reads another depot's file only while it is lent, never writes it, and the
keeper records the return."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import Borrowing
from domain.borrowing import CHINA
from tests.support import Api
from tests.workflows.test_borrowing import a_customer

pytestmark = pytest.mark.asyncio(loop_scope="session")
P = "/api/v1"
PASSWORD = "a long enough password"


def _day(days: int) -> str:
    return (datetime.now(CHINA).date() + timedelta(days=days)).isoformat()


@pytest.mark.rule(
    "004-3-other-unit-file-needs-finance",
    "002-1-loan-register",
    "002-1-read-only-loan",
    "002-1-return-checked-by-keeper",
    "003-2-access-by-role",
)
async def test_borrower_reads_while_lent_and_not_after_return(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    customer = await a_customer(sessions, "DEPOT-ZZ")
    file = f"{P}/customers/{customer.id}"
    assert (await api.get(file, "depot_manager_b")).status_code == 404  # another depot's file (004 §3)

    keeper = await api.post(f"{file}/borrowings", "depot_manager", json={"purpose": "查阅", "return_by": _day(3)})
    assert keeper.status_code == 409, keeper.text  # the keeping unit reads its own file: no loan
    past = await api.post(f"{file}/borrowings", "depot_manager_b", json={"purpose": "查阅", "return_by": _day(-1)})
    assert past.status_code == 422, past.text

    body = {"purpose": "核对开票信息 (开封油库)", "return_by": _day(5)}
    started = await api.post(f"{file}/borrowings", "depot_manager_b", json=body)
    assert started.status_code == 201, started.text
    process_id = started.json()["process_id"]
    # 002 rule 1: the department leader first; the borrower heads their depot, so the head above.
    assert started.json()["current_step"] == "department_leader" and started.json()["holders"] == ["general_manager"]
    twice = await api.post(f"{file}/borrowings", "depot_manager_b", json=body)
    assert twice.status_code == 409, twice.text
    led = await api.decide("general_manager", process_id, "approve", "同意借阅 (002 rule 1)")
    assert led.status_code == 200, led.text
    assert led.json()["current_step"] == "finance_consent" and led.json()["holders"] == ["finance_reviewer"]
    assert (await api.get(file, "depot_manager_b")).status_code == 404  # not before finance consents

    lent = await api.decide("finance_reviewer", process_id, "approve", "同意借阅 (004 §3)")
    assert lent.status_code == 200, lent.text
    assert lent.json()["status"] == "running" and lent.json()["current_step"] == "lent"

    read = await api.get(file, "depot_manager_b")
    assert read.status_code == 200, read.text  # lent: the borrower reads the file
    register = await api.get(f"{file}/borrowings", "depot_manager")
    assert register.status_code == 200, register.text
    [line] = register.json()
    assert line["borrower"] == "depot_manager_b" and line["status"] == "lent" and line["purpose"] == body["purpose"]
    assert line["return_by"] == body["return_by"] and line["approved_by"] == "finance_reviewer"
    assert (await api.get(file, "station_manager_b")).status_code == 404  # nobody else gains anything
    # Borrowing never hands write access (002 rule 1): to the borrower the file is still not theirs.
    suspend = await api.post(f"{file}/status", "depot_manager_b", json={"status": "suspended", "reason": "借阅者"})
    assert suspend.status_code == 404, suspend.text
    change = await api.post(f"{file}/changes", "depot_manager_b", json={"changes": {"fax": "1"}, "reason": "借阅者"})
    assert change.status_code == 404, change.text

    back = f"{P}/borrowings/{line['id']}/return"
    assert (await api.post(back, "depot_manager_b", json={})).status_code == 403  # the borrower is no keeper
    assert (await api.post(back, "station_manager_b", json={})).status_code == 404  # not even a reader
    returned = await api.post(back, "depot_manager", json={"note": "完好归还"})
    assert returned.status_code == 200, returned.text
    assert returned.json()["status"] == "closed" and returned.json()["open_task_ids"] == []

    assert (await api.get(file, "depot_manager_b")).status_code == 404  # returned: no more reading
    [line] = (await api.get(f"{file}/borrowings", "finance_reviewer")).json()
    assert line["status"] == "returned" and line["return_recorded_by"] == "depot_manager"
    again = await api.post(back, "depot_manager", json={})
    assert again.status_code == 409, again.text  # the loan is closed

    history = (await api.get(f"{P}/processes/{process_id}/history", "auditor")).json()
    actions = [(e["actor"], e["action"]) for e in history]
    assert ("depot_manager_b", "submitted") in actions and ("finance_reviewer", "decision") in actions
    assert ("general_manager", "decision") in actions


async def _loans(sessions: async_sessionmaker[AsyncSession], customer_id: int) -> int:
    async with sessions() as session:
        return len(list(await session.scalars(select(Borrowing.id).where(Borrowing.customer_id == customer_id))))


async def _open_tasks(api: Api, user: str, process_id: str) -> list[dict[str, object]]:
    response = await api.get(f"{P}/tasks", user, params={"process_id": process_id})
    assert response.status_code == 200, response.text
    return [t for t in response.json()["items"] if t["process_id"] == process_id]


@pytest.mark.rule("002-1-insider-department-leader")
async def test_a_staff_member_borrows_through_their_department_leader(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """002 rule 1: "经部门领导批准" — the loan of a member of the Kaifeng depot waits for the head of
    that depot, not for the general manager, and finance cannot lend before the leader approves."""
    staff = {"username": f"kf_staff_{uuid.uuid4().hex[:8]}", "full_name": "开封油库职员", "password": PASSWORD}
    created = await api.post(f"{P}/users", "admin", json=staff | {"unit": "DEPOT-KF", "roles": ["technical_dept"]})
    assert created.status_code == 201, created.text
    customer = await a_customer(sessions, "DEPOT-ZZ")
    body = {"purpose": "核对开票信息", "return_by": _day(2)}
    response = await api.client.post(
        f"{P}/customers/{customer.id}/borrowings",
        headers=await api.headers(staff["username"], PASSWORD),
        json=body,
    )
    assert response.status_code == 201, response.text
    process_id = response.json()["process_id"]
    assert response.json()["current_step"] == "department_leader"
    assert await _open_tasks(api, "finance_reviewer", process_id) == []
    assert len(await _open_tasks(api, "depot_manager_b", process_id)) == 1  # the head of DEPOT-KF
    assert await _open_tasks(api, "general_manager", process_id) == []
    led = await api.decide("depot_manager_b", process_id, "approve", "同意 (002 rule 1)")
    assert led.status_code == 200 and led.json()["current_step"] == "finance_consent", led.text


@pytest.mark.rule("002-1-outsider-introduction-letter", "002-1-outsider-manager-approval", "002-1-loan-register")
async def test_an_outsider_reads_only_with_a_letter_and_the_managers_approval(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """002 rule 1 第二节: an outsider needs their unit's introduction letter (422 naming the rule,
    nothing started) and the manager's approval after the receiving colleague's leader."""
    customer = await a_customer(sessions, "DEPOT-ZZ")
    url = f"{P}/customers/{customer.id}/borrowings"
    visitor = {"name": "李审计", "organisation": "郑州市审计局"}
    body = {"purpose": "审计查阅", "return_by": _day(1), "outsider": visitor}
    refused = await api.post(url, "depot_manager", json=body)
    assert refused.status_code == 422 and "002 rule 1" in refused.text, refused.text
    assert await _loans(sessions, customer.id) == 0

    body["outsider"] = {**visitor, "introduction_letter": "郑审函〔2026〕12号"}
    started = await api.post(url, "depot_manager", json=body)  # the keeper receives the outsider
    assert started.status_code == 201, started.text
    process_id = started.json()["process_id"]
    assert started.json()["current_step"] == "department_leader"
    assert (await api.decide("general_manager", process_id, "approve")).json()["current_step"] == "manager_approval"
    managed = await api.decide("marketing_manager", process_id, "approve", "同意 (002 rule 1)")
    assert managed.json()["current_step"] == "finance_consent", managed.text
    lent = await api.decide("finance_reviewer", process_id, "approve")
    assert lent.json()["current_step"] == "lent", lent.text
    [line] = (await api.get(f"{url}", "depot_manager")).json()
    assert line["outsider_name"] == "李审计" and line["introduction_letter"] == "郑审函〔2026〕12号"
    assert line["outsider_organisation"] == "郑州市审计局" and line["borrower"] == "depot_manager"
