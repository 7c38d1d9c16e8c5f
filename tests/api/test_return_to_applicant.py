"""A return tells the applicant (issue 20 items 16 and 18): a "correct and resubmit" task with the
returner's reason lands in their inbox, and resubmit or withdraw closes it; every action's answer
names a holder for every open task of the process. Real API, worker and Temporal, both databases."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from db.models import Task
from tests import trade_support as data
from tests.support import Api, application, record_history

pytestmark = pytest.mark.asyncio(loop_scope="session")

REASON = "开户许可证号码有误, 请更正"


async def correction_task(api: Api, process_id: str) -> dict[str, Any]:
    task = await api.task_for("sales_clerk", process_id)
    assert task["step"] == "correct_and_resubmit"
    return task


async def test_return_opens_a_correction_task_that_resubmit_closes(api: Api, sessions) -> None:  # type: ignore[no-untyped-def]
    body = application()
    process_id = (await api.submit(body=body)).json()["process_id"]
    assert (await api.decide("marketing_reviewer", process_id, "approve", "ok")).status_code == 200
    returned = await api.decide("finance_reviewer", process_id, "return", REASON)
    assert returned.status_code == 200, returned.text
    answer = returned.json()
    assert answer["status"] == "returned"
    assert answer["holders"] == ["sales_clerk"] and len(answer["open_task_ids"]) == 1

    task = await correction_task(api, process_id)
    assert task["task_id"] == answer["open_task_ids"][0]
    assert task["assignee"] == "sales_clerk" and REASON in task["comment"] and "finance_reviewer" in task["comment"]
    notes = (await api.get("/api/v1/notifications", "sales_clerk", params={"process_id": process_id})).json()
    assert [n for n in notes if n["kind"] == "returned" and REASON in n["subject"]]
    detail = (await api.get(f"/api/v1/processes/{process_id}", "sales_clerk")).json()
    assert [t["task_id"] for t in detail["open_tasks"]] == [task["task_id"]]

    # The task asks for a resubmission, not a decision: the decision route says so and changes nothing.
    decided = await api.post(
        f"/api/v1/tasks/{task['task_id']}/decision", "sales_clerk", json={"outcome": "approve", "comment": "x"}
    )
    assert decided.status_code == 422 and "resubmit" in decided.json()["detail"]
    assert (await correction_task(api, process_id))["task_id"] == task["task_id"]

    again = await api.post(f"/api/v1/onboarding/{process_id}/resubmit", "sales_clerk", json=body)
    assert again.status_code == 200, again.text
    assert again.json()["holders"] == ["marketing_reviewer"]
    inbox = (await api.get("/api/v1/tasks", "sales_clerk", params={"process_id": process_id})).json()
    assert inbox["items"] == []
    async with sessions() as session:
        closed = await session.scalar(select(Task).where(Task.task_id == task["task_id"]))
    assert closed is not None and (closed.status, closed.decided_by) == ("done", "sales_clerk")

    # A second return opens a new task for the new round; the withdrawal cancels it.
    assert (await api.decide("marketing_reviewer", process_id, "return", "再次补充")).status_code == 200
    second = await correction_task(api, process_id)
    assert second["round"] == 2 and "再次补充" in second["comment"]
    detail = (await api.get(f"/api/v1/processes/{process_id}", "auditor")).json()
    handle = api.worker.client.get_workflow_handle(detail["workflow_id"], run_id=process_id)
    withdrawn = await api.post(f"/api/v1/processes/{process_id}/withdraw", "sales_clerk", json={"reason": "客户撤回"})
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["holders"] == [] and withdrawn.json()["open_task_ids"] == []
    assert (await api.get("/api/v1/tasks", "sales_clerk", params={"process_id": process_id})).json()["items"] == []
    async with sessions() as session:
        cancelled = await session.scalar(select(Task.status).where(Task.task_id == second["task_id"]))
    assert cancelled == "cancelled"
    record_history("onboarding_correction_task_resubmitted_then_withdrawn", await handle.fetch_history())


async def test_trade_decision_names_the_next_holder(api: Api) -> None:
    """The deal's answer listed open tasks but no holder: every open task has one now."""
    started = await api.post("/api/v1/trade", "sales_clerk", json=data.trade_application())
    assert started.status_code == 201, started.text
    assert started.json()["holders"] == ["marketing_reviewer"]
    pid = started.json()["process_id"]
    answer = (await api.decide("marketing_reviewer", pid, "approve", "资质齐全")).json()
    assert answer["current_step"] == "vp_review"
    assert len(answer["open_task_ids"]) == 1 and answer["holders"] == ["business_vp"]
    detail = (await api.get(f"/api/v1/processes/{pid}", "auditor")).json()
    assert [t["task_id"] for t in detail["open_tasks"]] == answer["open_task_ids"]
