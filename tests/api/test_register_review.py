"""The February/August register review (004 §4 (二)) through a real Temporal Schedule on the dev
server (triggered, not waited for), a real worker, the API and both databases: one task per unit
with customers, for that unit's keeper; the results are recorded per customer, the cards follow, and
the results are reported to the finance section (004 §4 (二))."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client, ScheduleActionExecutionStartWorkflow
from temporalio.testing import WorkflowEnvironment

from activities.borrowing_store import REVIEWED_STATUSES
from db.models import Customer, CustomerChange, Process, RegisterReview, Task
from schedules import REGISTER_REVIEW_CRON, register_review_schedule
from tests.support import Api, record_history
from tests.workflows.test_borrowing import a_customer

pytestmark = pytest.mark.asyncio(loop_scope="session")
P = "/api/v1"
KEEPERS = {"DEPOT-ZZ": ("depot_manager", "DEPOT-ZZ"), "STATION-KF01": ("station_manager", "STATION-KF01")}


async def run_round(client: Client, task_queue: str) -> list[str]:
    """Create the schedule as the worker does, trigger it once, and wait for the round it starts."""
    handle = await client.create_schedule(f"register-review-test-{uuid.uuid4()}", register_review_schedule(task_queue))
    try:
        await handle.trigger()
        for _ in range(200):  # the trigger is asynchronous: wait for the schedule to show its action
            actions = (await handle.describe()).info.recent_actions
            if actions:
                break
            await asyncio.sleep(0.05)
        action = actions[-1].action
        assert isinstance(action, ScheduleActionExecutionStartWorkflow)
        opened: list[str] = await client.get_workflow_handle(action.workflow_id).result()
    finally:
        await handle.delete()
    for review in opened:  # read-your-writes: each review rests with its task in the inbox
        await client.get_workflow_handle(review).execute_update("current")
    return opened


@pytest.mark.rule("004-4-register-review-february-august")
async def test_february_schedule_opens_one_task_per_unit_and_records_results(
    api: Api, temporal_env: WorkflowEnvironment, sessions: async_sessionmaker[AsyncSession]
) -> None:
    assert REGISTER_REVIEW_CRON.split()[3] == "2,8"  # February and August (004 §4 (二))
    zz = [await a_customer(sessions, "DEPOT-ZZ") for _ in range(3)]
    kf = await a_customer(sessions, "STATION-KF01")
    hq = await a_customer(sessions, "MKT")
    async with sessions() as session:
        units = set(await session.scalars(select(Customer.unit_code).where(Customer.status.in_(REVIEWED_STATUSES))))

    opened = await run_round(temporal_env.client, api.worker.task_queue)
    assert len(opened) == len(units)
    async with sessions() as session:
        processes = list(
            await session.scalars(select(Process).where(Process.workflow_id.in_(opened), Process.status == "running"))
        )
        by_unit = {p.unit_code: p for p in processes}
        tasks = list(await session.scalars(select(Task).where(Task.process_id.in_([p.process_id for p in processes]))))
    assert set(by_unit) == units and len(tasks) == len(units)  # one review, one task per unit
    task_of = {t.process_id: t for t in tasks}
    for unit, (role, scope) in KEEPERS.items():
        task = task_of[by_unit[unit].process_id]
        assert (task.role, task.unit_code, task.status) == (role, scope, "open")
    head_office = task_of[by_unit["MKT"].process_id]
    assert (head_office.role, head_office.unit_code) == ("marketing_manager", None)

    # DEPOT-ZZ's review: its manager sees it, the other depot's does not (000 §5).
    review = by_unit["DEPOT-ZZ"].process_id
    assert (await api.get(f"{P}/register-reviews/{review}", "finance_reviewer")).status_code == 404  # not yet
    mine = await api.task_for("depot_manager", review)
    lines = await api.get(f"{P}/register-reviews/{review}", "depot_manager")
    assert lines.status_code == 200, lines.text
    assert {c.id for c in zz} <= {line["customer_id"] for line in lines.json()}
    assert all(
        line["result"] is None and line["period"] == by_unit["DEPOT-ZZ"].subject.split()[1] for line in lines.json()
    )
    results = {"results": [{"customer_id": zz[0].id, "result": "suspend"}, {"customer_id": zz[1].id, "result": "past"}]}
    other = await api.post(f"{P}/register-reviews/{review}/results", "depot_manager_b", json=results)
    assert other.status_code == 404, other.text
    stranger = {"results": [{"customer_id": kf.id, "result": "past"}]}
    wrong = await api.post(f"{P}/register-reviews/{review}/results", "depot_manager", json=stranger)
    assert wrong.status_code == 422, wrong.text  # not on this unit's register

    decided = await api.post(f"{P}/register-reviews/{review}/results", "depot_manager", json=results)
    assert decided.status_code == 200, decided.text
    assert decided.json()["status"] == "approved" and decided.json()["open_task_ids"] == []
    async with sessions() as session:
        rows = {
            r.customer_id: r
            for r in await session.scalars(select(RegisterReview).where(RegisterReview.review_id == review))
        }
        statuses = {
            c.id: c.status for c in await session.scalars(select(Customer).where(Customer.id.in_([c.id for c in zz])))
        }
        log = list(await session.scalars(select(CustomerChange).where(CustomerChange.customer_id == zz[0].id)))
        closed = await session.get(Task, mine["task_id"])
    assert [rows[c.id].result for c in zz] == ["suspend", "past", "confirm"]
    assert all(rows[c.id].decided_by == "depot_manager" and rows[c.id].decided_at for c in zz)
    assert [statuses[c.id] for c in zz] == ["suspended", "past", "active"]
    assert [(e.kind, e.old_value, e.new_value, e.requested_by) for e in log] == [
        ("status", "active", "suspended", "depot_manager")
    ]
    assert closed is not None and closed.status == "done"
    # 004 §4 (二): the results go to the finance section — copied on the review, and told.
    reported = await api.get(f"{P}/notifications", "finance_reviewer", params={"process_id": review})
    assert reported.status_code == 200, reported.text
    [report] = [n for n in reported.json() if n["kind"] == "report"]
    assert "suspend 1" in report["subject"] and "past 1" in report["subject"] and "confirm " in report["subject"]
    assert f"changed: {sorted([zz[0].id, zz[1].id])}" in report["subject"]
    finance_view = await api.get(f"{P}/register-reviews/{review}", "finance_reviewer")
    assert finance_view.status_code == 200 and {line["result"] for line in finance_view.json()} >= {"past"}
    depot_review = temporal_env.client.get_workflow_handle(by_unit["DEPOT-ZZ"].workflow_id)
    record_history("register_review_reported_to_finance", await depot_review.fetch_history())

    # The station's review from the inbox: approve confirms every customer on its list.
    station = by_unit["STATION-KF01"].process_id
    approved = await api.decide("station_manager_b", station, "approve", "名簿无变化")
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    async with sessions() as session:
        line = await session.scalar(
            select(RegisterReview).where(RegisterReview.review_id == station, RegisterReview.customer_id == kf.id)
        )
    assert line is not None and line.result == "confirm" and line.decided_by == "station_manager_b"
    assert hq.id  # the head-office file is on marketing's review (checked above)

    # A second trigger in the same period opens nothing again.
    assert await run_round(temporal_env.client, api.worker.task_queue) == []
