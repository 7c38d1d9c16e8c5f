"""Every action the engine offers on a task, through the task page (issue 23 "Approvers"): claim and
release, delegate and transfer, add a signer — through the API's own services, each refusal in
words beside its field and changing nothing, the wrong user answered with the 404 page. Both
databases, the real worker on the Temporal dev server."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import ProcessWatcher
from tests.inbox_support import add_user
from tests.support import Api
from tests.web.approver_support import filed, open_task
from tests.web.pages_support import Browser, signed_in

pytestmark = pytest.mark.asyncio(loop_scope="session")
P = "/api/v1"
HTMX = {"HX-Request": "true"}


async def history_actions(api: Api, process_id: str) -> list[str]:
    history = (await api.get(f"{P}/processes/{process_id}/history", "auditor")).json()
    return [entry["action"] for entry in history]


async def test_claim_and_release_a_role_task_through_the_page(
    api: Api, browsers: list[Browser], sessions: async_sessionmaker[AsyncSession]
) -> None:
    pid = await filed(api)
    task = await open_task(sessions, pid)
    colleague_name = await add_user(sessions, "marketing_reviewer", unit="MKT")
    reviewer = await signed_in(api, browsers, "marketing_reviewer")
    page = await reviewer.get(f"/tasks/{task.task_id}")
    assert 'id="claim-task"' in page.text and 'id="task-actions"' in page.text

    # the wrong user: the 404 page, nothing claimed
    stranger = await signed_in(api, browsers, "depot_manager_b")
    await stranger.get("/")
    hidden = await stranger.post(f"/tasks/{task.task_id}/claim", {})
    assert hidden.status_code == 404 and "找不到该记录" in hidden.text
    assert (await open_task(sessions, pid)).claimed_by is None

    claimed = await reviewer.post(f"/tasks/{task.task_id}/claim", {})
    assert claimed.status_code == 303 and claimed.headers["location"] == f"/tasks/{task.task_id}"
    assert (await open_task(sessions, pid)).claimed_by == "marketing_reviewer"
    mine = await reviewer.get(f"/tasks/{task.task_id}")
    assert 'id="unclaim-task"' in mine.text and 'id="claim-task"' not in mine.text

    # a colleague comes second: the task left their sight, the refusal (409) is said in words, the claim kept
    colleague = await signed_in(api, browsers, colleague_name)
    late = await colleague.post(f"/tasks/{task.task_id}/claim", {}, headers=HTMX)
    assert late.status_code == 409 and "当前状态不允许此操作" in late.text and "<html" not in late.text
    assert late.headers["HX-Retarget"] == "#form-error"
    assert (await open_task(sessions, pid)).claimed_by == "marketing_reviewer"

    released = await reviewer.post(f"/tasks/{task.task_id}/unclaim", {})
    assert released.status_code == 303
    assert (await open_task(sessions, pid)).claimed_by is None


async def test_transfer_and_delegate_through_the_page_with_refusals_beside_the_field(
    api: Api, browsers: list[Browser], sessions: async_sessionmaker[AsyncSession]
) -> None:
    colleague = await add_user(sessions, "marketing_reviewer", unit="MKT")
    pid = await filed(api)
    task = await open_task(sessions, pid)
    reviewer = await signed_in(api, browsers, "marketing_reviewer")
    await reviewer.get(f"/tasks/{task.task_id}")
    before = await history_actions(api, pid)

    # no one named: the API's own model requires `to`, said beside the field
    empty = await reviewer.post(f"/tasks/{task.task_id}/transfer", {"to": "", "comment": "x"})
    assert empty.status_code == 422 and 'id="hand_over-to-error"' in empty.text and "必填" in empty.text
    # someone without the step's role: the workflow's 403, in words beside the field, the comment kept
    wrong = await reviewer.post(f"/tasks/{task.task_id}/transfer", {"to": "finance_reviewer", "comment": "请看"})
    assert wrong.status_code == 403 and 'id="hand_over-to-error"' in wrong.text and "无权执行此操作" in wrong.text
    assert 'value="finance_reviewer"' in wrong.text and "请看</textarea>" in wrong.text
    unchanged = await open_task(sessions, pid)
    assert unchanged.assignee is None and await history_actions(api, pid) == before

    # the wrong user: 404, nothing moves
    stranger = await signed_in(api, browsers, "station_manager_b")
    await stranger.get("/")
    assert (await stranger.post(f"/tasks/{task.task_id}/transfer", {"to": colleague})).status_code == 404
    assert (await open_task(sessions, pid)).assignee is None

    moved = await reviewer.post(f"/tasks/{task.task_id}/transfer", {"to": colleague, "comment": "请代办"})
    assert moved.status_code == 303 and moved.headers["location"] == f"/?after={pid}"
    assert (await open_task(sessions, pid)).assignee == colleague

    second = await filed(api)
    task = await open_task(sessions, second)
    await reviewer.get(f"/tasks/{task.task_id}")
    delegated = await reviewer.post(f"/tasks/{task.task_id}/delegate", {"to": colleague}, headers=HTMX)
    assert delegated.status_code == 200 and delegated.headers["HX-Redirect"] == f"/?after={second}"
    held = await open_task(sessions, second)
    assert held.assignee == colleague and held.delegated_by == "marketing_reviewer"


async def test_add_a_signer_through_the_page_a_reason_required(
    api: Api, browsers: list[Browser], sessions: async_sessionmaker[AsyncSession]
) -> None:
    pid = await filed(api)
    task = await open_task(sessions, pid)
    reviewer = await signed_in(api, browsers, "marketing_reviewer")
    await reviewer.get(f"/tasks/{task.task_id}")
    before = await history_actions(api, pid)

    form = {"signer": "marketing_manager", "position": "after", "reason": ""}
    refused = await reviewer.post(f"/tasks/{task.task_id}/add-signer", form, headers=HTMX)
    assert refused.status_code == 422 and 'id="add_signer-reason-error"' in refused.text and "必填" in refused.text
    assert 'value="after" checked' in refused.text and 'id="action-add_signer"' in refused.text
    assert await history_actions(api, pid) == before

    added = await reviewer.post(f"/tasks/{task.task_id}/add-signer", {**form, "reason": "金额较大，请经理复核"})
    assert added.status_code == 303, added.text
    history = (await api.get(f"{P}/processes/{pid}/history", "auditor")).json()
    assert any("金额较大，请经理复核" in (entry.get("comment") or "") for entry in history), history


async def test_return_to_a_chosen_earlier_step_and_copy_someone_through_the_page(
    api: Api, browsers: list[Browser], sessions: async_sessionmaker[AsyncSession]
) -> None:
    pid = await filed(api)
    assert (await api.decide("marketing_reviewer", pid, "approve", "资质齐全")).status_code == 200
    task = await open_task(sessions, pid)
    finance = await signed_in(api, browsers, "finance_reviewer")
    page = await finance.get(f"/tasks/{task.task_id}")
    assert '<option value="marketing_review">' in page.text  # the earlier step offered, not the later ones
    assert 'value="gm_approval"' not in page.text.split('id="return-to"', 1)[1].split("</select>", 1)[0]

    form = {"outcome": "return", "comment": "请资质审核复核开户许可证", "return_to": "marketing_review"}
    sent = await finance.post(f"/tasks/{task.task_id}/decision", {**form, "cc": "marketing_manager, business_vp"})
    assert sent.status_code == 303, sent.text
    process = (await api.get(f"{P}/processes/{pid}", "auditor")).json()
    assert process["current_step"] == "marketing_review" and process["status"] == "running"
    async with sessions() as session:
        copied = await session.scalars(select(ProcessWatcher.username).where(ProcessWatcher.process_id == pid))
        assert {"marketing_manager", "business_vp"} <= set(copied)
