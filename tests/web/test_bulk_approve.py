"""Bulk approve from the 待办 list (issue 23 "Approvers"): the ticked tasks approved through the
API's own bulk decision, each answered on its own (approved / refused with why); the wrong user's
ticks approve nothing. Both databases, the real worker on the Temporal dev server."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import Task
from tests.support import Api
from tests.web.approver_support import filed, open_task
from tests.web.pages_support import Browser, signed_in

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def status_of(sessions: async_sessionmaker[AsyncSession], task_id: str) -> str | None:
    async with sessions() as session:
        return await session.scalar(select(Task.status).where(Task.task_id == task_id))


def result_of(page: str, task_id: str) -> str:
    found = re.search(rf'<li class="(\w+)" data-task="{task_id}">(.*?)</li>', page, re.S)
    assert found, f"no line for {task_id}"
    return f"{found[1]}: {' '.join(found[2].split())}"


async def todo_page_listing(browser: Browser, task_id: str) -> str:
    """The 待办 page that lists the task: the list is paged by due date, and the tasks other tests of
    this database left open may fill the first pages."""
    address = "/?tab=todo"
    for _ in range(100):
        page = (await browser.get(address)).text
        if f'value="{task_id}"' in page:
            return page
        more = re.search(r'<a class="more" href="([^"]+)"', page)
        assert more, f"{task_id} is on no page of the 待办 tab"
        address = html.unescape(more[1])
    raise AssertionError(f"{task_id} not within 100 pages")


async def test_bulk_approve_from_the_list_each_answered_on_its_own(
    api: Api, browsers: list[Browser], sessions: async_sessionmaker[AsyncSession]
) -> None:
    first, second = await filed(api), await filed(api)
    mine = [(await open_task(sessions, pid)).task_id for pid in (first, second)]
    # a task past the reviewer's step: not theirs to decide
    later = await filed(api)
    assert (await api.decide("marketing_reviewer", later, "approve")).status_code == 200
    not_mine = (await open_task(sessions, later)).task_id

    reviewer = await signed_in(api, browsers, "marketing_reviewer")
    listing = await todo_page_listing(reviewer, mine[0])
    assert 'id="bulk-approve"' in listing and f'value="{mine[0]}" form="bulk-approve"' in listing

    # the wrong user ticks the reviewer's tasks: each refused, nothing decided
    stranger = await signed_in(api, browsers, "depot_manager_b")
    refused = await stranger.post("/tasks/approve-selected", {"task_id": mine[0]})
    assert refused.status_code == 200 and "refused: " in result_of(refused.text, mine[0])
    assert "找不到该记录" in result_of(refused.text, mine[0]) and "郑州华豫" not in refused.text
    assert await status_of(sessions, mine[0]) == "open"

    # nothing ticked: said in words, nothing sent
    assert (await reviewer.post("/tasks/approve-selected", {})).status_code == 422

    sent = await reviewer.http.post(
        "/tasks/approve-selected",
        data={"task_id": [*mine, not_mine], "comment": "批量同意", "csrf_token": reviewer.csrf},
    )
    assert sent.status_code == 200, sent.text
    for task_id in mine:
        assert result_of(sent.text, task_id).startswith("approved: ")
        assert await status_of(sessions, task_id) == "done"
    assert result_of(sent.text, not_mine).startswith("refused: ")
    assert await status_of(sessions, not_mine) == "open"
    for pid in (first, second):
        process = (await api.get(f"/api/v1/processes/{pid}", "auditor")).json()
        assert process["current_step"] == "finance_recheck"
