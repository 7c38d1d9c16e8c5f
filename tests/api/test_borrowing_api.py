"""File borrowing (002 rule 1, 004 §3) through the real API, a real worker and the Temporal dev
server: the borrower reads another depot's file only while it is lent, never writes it, and the
keeper records the return."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.borrowing import CHINA
from tests.support import Api
from tests.workflows.test_borrowing import a_customer

pytestmark = pytest.mark.asyncio(loop_scope="session")
P = "/api/v1"


def _day(days: int) -> str:
    return (datetime.now(CHINA).date() + timedelta(days=days)).isoformat()


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
    assert started.json()["current_step"] == "finance_consent" and started.json()["holders"] == ["finance_reviewer"]
    twice = await api.post(f"{file}/borrowings", "depot_manager_b", json=body)
    assert twice.status_code == 409, twice.text
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
