"""Delegate and transfer honour out-of-office deputies (issue 20 item 13): a task handed to someone
who is away goes to their deputy, who acts on their behalf, and the answer says so. Real API,
worker and Temporal dev server, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from db.models import OutOfOffice, Task
from tests.inbox_support import add_user
from tests.support import Api

pytestmark = pytest.mark.asyncio(loop_scope="session")

P = "/api/v1"


async def away_now(sessions: Any, deputy: str) -> str:
    """A marketing reviewer out of office from an hour ago, who named `deputy`."""
    away = await add_user(sessions, "marketing_reviewer", unit="MKT")
    now = datetime.now(UTC)
    starts, ends = now - timedelta(hours=1), now + timedelta(days=3)
    async with sessions.begin() as session:
        session.add(OutOfOffice(username=away, deputy=deputy, starts_at=starts, ends_at=ends, created_at=now))
    return away


async def away_with_deputy(sessions: Any) -> tuple[str, str]:
    """A marketing reviewer out of office now, and the colleague they named as deputy."""
    deputy = await add_user(sessions, "marketing_reviewer", unit="MKT")
    return await away_now(sessions, deputy), deputy


async def task_row(sessions: Any, task_id: str) -> Task:
    async with sessions() as session:
        task = await session.scalar(select(Task).where(Task.task_id == task_id))
    assert task is not None
    return task


async def test_a_transfer_to_someone_away_goes_to_their_deputy(api: Api, sessions: Any) -> None:
    away, deputy = await away_with_deputy(sessions)
    process_id = (await api.submit()).json()["process_id"]
    task = await api.task_for("marketing_reviewer", process_id)
    moved = await api.post(f"{P}/tasks/{task['task_id']}/transfer", "marketing_reviewer", json={"to": away})
    assert moved.status_code == 200, moved.text
    answer = moved.json()
    assert answer["holders"] == [deputy]
    assert answer["note"] == f"{away} is out of office: the task went to their deputy {deputy}"
    row = await task_row(sessions, task["task_id"])
    assert (row.assignee, row.on_behalf_of) == (deputy, away)
    decided = await api.decide(deputy, process_id, "approve", "代为审核")
    assert decided.status_code == 200, decided.text
    assert decided.json()["current_step"] == "finance_recheck"
    history = (await api.get(f"{P}/processes/{process_id}/history", "auditor")).json()
    [decision] = [e for e in history if e["action"] == "decision"]
    assert decision["actor"] == deputy and decision["on_behalf_of"] == away


async def test_a_delegation_to_someone_away_goes_to_their_deputy_and_comes_back(api: Api, sessions: Any) -> None:
    away, deputy = await away_with_deputy(sessions)
    process_id = (await api.submit()).json()["process_id"]
    task = await api.task_for("marketing_reviewer", process_id)
    handed = await api.post(f"{P}/tasks/{task['task_id']}/delegate", "marketing_reviewer", json={"to": away})
    assert handed.status_code == 200, handed.text
    assert handed.json()["holders"] == [deputy] and deputy in handed.json()["note"]
    row = await task_row(sessions, task["task_id"])
    assert (row.assignee, row.on_behalf_of, row.delegated_by) == (deputy, away, "marketing_reviewer")
    advice = await api.decide(deputy, process_id, "approve", "建议通过")
    assert advice.status_code == 200 and advice.json()["holders"] == ["marketing_reviewer"]
    back = await task_row(sessions, task["task_id"])
    assert (back.assignee, back.on_behalf_of, back.delegated_by) == ("marketing_reviewer", None, None)
    final = await api.decide("marketing_reviewer", process_id, "approve", "同意")
    assert final.status_code == 200 and final.json()["current_step"] == "finance_recheck"


async def test_a_deputy_who_is_the_applicant_is_refused_and_nothing_moves(api: Api, sessions: Any) -> None:
    away = await away_now(sessions, "sales_clerk")
    process_id = (await api.submit()).json()["process_id"]
    task = await api.task_for("marketing_reviewer", process_id)
    refused = await api.post(f"{P}/tasks/{task['task_id']}/transfer", "marketing_reviewer", json={"to": away})
    assert refused.status_code == 403 and "deputy sales_clerk is the applicant" in refused.json()["detail"]
    row = await task_row(sessions, task["task_id"])
    assert (row.assignee, row.on_behalf_of) == (None, None)
