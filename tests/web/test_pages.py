"""The web workbench (issue 23, first slice) over the real app, a real worker and the Temporal dev
server, on SQLite and PostgreSQL: sign-in and sign-out by cookie, CSRF, the four tabs and their
counts, a task's page as the right and the wrong user, a decision through the page, the language
remembered per user."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import LoginAttempt, Process, Task, User
from tests.inbox_support import add_user
from tests.support import Api
from tests.web.pages_support import Browser, count_of, open_browser

pytestmark = pytest.mark.asyncio(loop_scope="session")
P = "/api/v1"


async def submitted(api: Api) -> str:
    response = await api.submit()
    assert response.status_code == 201, response.text
    pid: str = response.json()["process_id"]
    return pid


async def task_row(sessions: async_sessionmaker[AsyncSession], process_id: str) -> Task:
    async with sessions() as session:
        task = await session.scalar(select(Task).where(Task.process_id == process_id, Task.status == "open"))
        assert task is not None
        return task


async def reviewing_a_new_onboarding(
    api: Api, browsers: list[Browser], sessions: async_sessionmaker[AsyncSession]
) -> tuple[str, Task, Browser]:
    """A fresh onboarding waiting for the marketing reviewer, who is signed in in a browser of their own."""
    pid = await submitted(api)
    task = await task_row(sessions, pid)
    reviewer = open_browser(api, browsers)
    await reviewer.sign_in("marketing_reviewer")
    return pid, task, reviewer


async def test_sign_in_by_cookie_and_out(api: Api, browsers: list[Browser]) -> None:
    browser = open_browser(api, browsers)
    first = await browser.http.get("/")
    assert first.status_code == 303 and first.headers["location"] == "/login"
    page = await browser.get("/login")
    assert page.status_code == 200 and "登录" in page.text and browser.csrf

    wrong = await browser.post("/login", {"username": "marketing_reviewer", "password": "nope"})
    assert wrong.status_code == 401 and "用户名或密码错误" in wrong.text
    assert "cw_session" not in browser.http.cookies

    signed = await browser.sign_in("marketing_reviewer")
    cookie = signed.headers["set-cookie"].lower()
    assert "cw_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie.split("cw_session=", 1)[1].split(",")[0]  # web_cookie_secure is off here
    workbench = await browser.get("/")
    assert workbench.status_code == 200 and "待办" in workbench.text

    # The cookie opens pages only: the API still wants its bearer token.
    assert (await browser.http.get(f"{P}/tasks")).status_code == 401

    copied = browser.http.cookies["cw_session"]
    out = await browser.post("/logout", {})
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert (await browser.http.get("/")).status_code == 303
    # the cookie copied before sign-out, sent again: the session ended server-side
    replayed = await browser.http.get("/", cookies={"cw_session": copied})
    assert replayed.status_code == 303 and replayed.headers["location"] == "/login"


async def test_a_secure_cookie_when_settings_say_so(
    temporal_env: object, sessions: async_sessionmaker[AsyncSession], database_url: str, task_queue: str
) -> None:
    from tests.support import running_api

    client = temporal_env.client  # type: ignore[attr-defined]
    async with running_api(client, sessions, task_queue, database_url, web_cookie_secure=True) as secured:
        browser = Browser(secured, "https://test")  # a Secure cookie goes back over HTTPS only
        try:
            await browser.get("/login")
            response = await browser.post("/login", {"username": "marketing_reviewer", "password": "demo"})
            assert response.status_code == 303
            # a Secure cookie is named `__Host-…` (issue 23 review): Path=/, no Domain, this host only
            cookies = response.headers.get_list("set-cookie")
            session_cookie = [c for c in cookies if c.startswith("__Host-cw_session=")]
            assert session_cookie and "secure" in session_cookie[0].lower()
            assert "path=/" in session_cookie[0].lower() and "domain" not in session_cookie[0].lower()
            assert not [c for c in cookies if c.startswith(("cw_session=", "cw_csrf="))]
            assert (await browser.get("/")).status_code == 200  # the prefixed cookies open the pages
        finally:
            await browser.close()


async def test_sign_in_uses_the_api_throttle(
    api: Api, browsers: list[Browser], sessions: async_sessionmaker[AsyncSession]
) -> None:
    """The page's wrong password counts as the API's does (api/services/sign_in.py): one failure row per try."""
    username = await add_user(sessions, "sales_clerk")
    browser = open_browser(api, browsers)
    await browser.get("/login")
    assert (await browser.post("/login", {"username": username, "password": "x"})).status_code == 401
    async with sessions() as session:
        failures = await session.scalar(select(func.count()).where(LoginAttempt.username == username))
    assert failures == 1


async def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(
    api: Api, browsers: list[Browser], sessions: async_sessionmaker[AsyncSession]
) -> None:
    pid, task, browser = await reviewing_a_new_onboarding(api, browsers, sessions)
    refused = await browser.post(f"/tasks/{task.task_id}/decision", {"outcome": "approve"}, csrf=False)
    assert refused.status_code == 403 and "表单已失效" in refused.text
    forged_form = {"outcome": "approve", "csrf_token": "0" * 64}
    forged = await browser.post(f"/tasks/{task.task_id}/decision", forged_form, csrf=False)
    assert forged.status_code == 403
    assert (await task_row(sessions, pid)).status == "open"
    process = (await api.get(f"{P}/processes/{pid}", "auditor")).json()
    assert process["current_step"] == "marketing_review"
    history = (await api.get(f"{P}/processes/{pid}/history", "auditor")).json()
    assert not [e for e in history if e["action"] == "decision"]

    # Nor does a language switch without it; nor does a sign-in.
    assert (await browser.post("/locale", {"locale": "en"}, csrf=False)).status_code == 403
    async with sessions() as session:
        assert await session.scalar(select(User.locale).where(User.username == "marketing_reviewer")) is None
    stranger = open_browser(api, browsers)
    no_token = await stranger.post("/login", {"username": "marketing_reviewer", "password": "demo"}, csrf=False)
    assert no_token.status_code == 403 and "cw_session" not in stranger.http.cookies


async def test_the_tabs_and_their_counts(
    api: Api, browsers: list[Browser], sessions: async_sessionmaker[AsyncSession]
) -> None:
    pid = await submitted(api)
    reviewer = open_browser(api, browsers)
    await reviewer.sign_in("marketing_reviewer")
    todo = await reviewer.get("/")
    inbox = (await api.get(f"{P}/tasks", "marketing_reviewer")).json()
    assert count_of(todo.text, "todo") == sum(inbox["counts"].values()) >= 1
    task = await task_row(sessions, pid)
    # on this page, or a later one the page itself offers (it pages by 20, the API by its own limit)
    assert f'href="/tasks/{task.task_id}"' in todo.text or "下一页" in todo.text
    assert "配置客户资信审批" in todo.text and "营销业务部资质审核" in todo.text
    assert "个工作日" in todo.text or "今日到期" in todo.text or "已超期" in todo.text

    clerk = open_browser(api, browsers)
    await clerk.sign_in("sales_clerk")
    mine = await clerk.get("/?tab=mine")
    async with sessions() as session:
        applied = await session.scalar(select(func.count()).where(Process.applicant == "sales_clerk"))
    assert count_of(mine.text, "mine") == applied
    assert "郑州华豫石化贸易有限公司" in mine.text and "审批中" in mine.text

    # 已办 and 抄送我的 move with a decision that copies the legal reviewer.
    done_before = count_of(todo.text, "done")
    legal = open_browser(api, browsers)
    await legal.sign_in("legal_reviewer")
    cc_before = count_of((await legal.get("/?tab=cc")).text, "cc")
    copied = {"outcome": "approve", "cc": ["legal_reviewer"]}
    answer = await api.post(f"{P}/tasks/{task.task_id}/decision", "marketing_reviewer", json=copied)
    assert answer.status_code == 200, answer.text
    done = await reviewer.get("/?tab=done")
    assert count_of(done.text, "done") == done_before + 1 and "同意" in done.text
    cc = await legal.get("/?tab=cc")
    assert count_of(cc.text, "cc") == cc_before + 1 and "郑州华豫石化贸易有限公司" in cc.text

    # htmx asks for the tabs and the list alone.
    fragment = await reviewer.get("/?tab=done", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.text and 'id="tab-done"' in fragment.text

    # 已办 counts the reviewer's own decisions only.
    async with sessions() as session:
        decided = await session.scalar(select(func.count()).where(Task.decided_by == "marketing_reviewer"))
    assert count_of(done.text, "done") == decided

    # The wrong users: another unit's manager, and a colleague of the reviewer's role who decided
    # nothing — neither sees a count nor a row of these lists.
    for username in (
        await add_user(sessions, "depot_manager", unit="DEPOT-KF"),
        await add_user(sessions, "marketing_reviewer"),
    ):
        stranger = open_browser(api, browsers)
        await stranger.sign_in(username)
        for tab in ("done", "mine", "cc"):
            listed = await stranger.get(f"/?tab={tab}")
            assert count_of(listed.text, tab) == 0, (username, tab)
            assert "郑州华豫石化贸易有限公司" not in listed.text and 'class="empty"' in listed.text


async def test_the_workbench_pages_its_lists(api: Api, browsers: list[Browser]) -> None:
    """A keyset page of 20; the next link carries the cursor and shows the following rows."""
    for _ in range(21):
        await submitted(api)
    clerk = open_browser(api, browsers)
    await clerk.sign_in("sales_clerk")
    first = await clerk.get("/?tab=mine")
    assert first.text.count("<tr>") == 21  # the header row and 20
    cursor = first.text.split("cursor=", 1)[1].split('"', 1)[0]
    second = await clerk.get(f"/?tab=mine&cursor={cursor}")
    assert second.status_code == 200 and second.text.count("<tr>") >= 2


async def test_the_task_page_for_the_right_and_the_wrong_user(
    api: Api, browsers: list[Browser], sessions: async_sessionmaker[AsyncSession]
) -> None:
    pid, task, reviewer = await reviewing_a_new_onboarding(api, browsers, sessions)
    page = await reviewer.get(f"/tasks/{task.task_id}")
    assert page.status_code == 200
    assert "郑州华豫石化贸易有限公司" in page.text and "提交申请" in page.text  # the timeline starts at the filing
    assert "财务资产部复核" in page.text and "总经理审批" in page.text  # the chain ahead
    assert 'name="outcome" value="reject"' in page.text

    # Another unit's manager: the API's own answer (404), as a page, not JSON.
    other = open_browser(api, browsers)
    await other.sign_in("depot_manager_b")
    assert (await api.get(f"{P}/tasks/{task.task_id}", "depot_manager_b")).status_code == 404
    hidden = await other.get(f"/tasks/{task.task_id}")
    assert hidden.status_code == 404 and "找不到该记录" in hidden.text and "郑州华豫" not in hidden.text
    assert hidden.headers["content-type"].startswith("text/html")
    acting = await other.post(f"/tasks/{task.task_id}/decision", {"outcome": "approve"})
    assert acting.status_code == 404
    assert (await task_row(sessions, pid)).status == "open"


async def test_a_decision_through_the_page_reaches_the_workflow(
    api: Api, browsers: list[Browser], sessions: async_sessionmaker[AsyncSession]
) -> None:
    pid, task, reviewer = await reviewing_a_new_onboarding(api, browsers, sessions)
    await reviewer.get(f"/tasks/{task.task_id}")

    # The API refuses a reject without a reason (422): the words appear beside the form.
    refused = await reviewer.post(f"/tasks/{task.task_id}/decision", {"outcome": "reject", "comment": ""})
    assert refused.status_code == 422 and 'id="decision-error"' in refused.text and "请检查填写内容" in refused.text
    assert "Traceback" not in refused.text and '{"error"' not in refused.text
    assert (await task_row(sessions, pid)).status == "open"

    decided = await reviewer.post(f"/tasks/{task.task_id}/decision", {"outcome": "approve", "comment": "资质齐全"})
    assert decided.status_code == 303
    following = decided.headers["location"]
    assert following.startswith(("/tasks/", "/?")) and f"after={pid}" in following
    process = (await api.get(f"{P}/processes/{pid}", "auditor")).json()
    assert process["current_step"] == "finance_recheck"
    history = (await api.get(f"{P}/processes/{pid}/history", "auditor")).json()
    [decision] = [e for e in history if e["action"] == "decision"]
    said = (decision["actor"], decision["outcome"], decision["comment"])
    assert said == ("marketing_reviewer", "approve", "资质齐全")
    after = await reviewer.get(following)
    assert "已提交" in after.text and "财务资产部复核" in after.text

    # A second submission of the same form: the task is closed, said in words (409).
    htmx = {"HX-Request": "true"}
    again = await reviewer.post(f"/tasks/{task.task_id}/decision", {"outcome": "approve"}, headers=htmx)
    assert again.status_code == 409 and "当前状态不允许此操作" in again.text and "<html" not in again.text


async def test_htmx_decision_opens_the_next_task(
    api: Api, browsers: list[Browser], sessions: async_sessionmaker[AsyncSession]
) -> None:
    first, second = await submitted(api), await submitted(api)
    reviewer = open_browser(api, browsers)
    await reviewer.sign_in("marketing_reviewer")
    task = await task_row(sessions, first)
    await reviewer.get(f"/tasks/{task.task_id}")
    response = await reviewer.post(
        f"/tasks/{task.task_id}/decision", {"outcome": "approve"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert response.headers["HX-Redirect"].startswith("/tasks/")  # `second` at least is still waiting
    assert (await task_row(sessions, second)).status == "open"
    # the NEXT task opens — one still open and the reviewer's — not the one just decided
    opened = response.headers["HX-Redirect"].removeprefix("/tasks/").split("?", 1)[0]
    assert opened != task.task_id and f"after={first}" in response.headers["HX-Redirect"]
    async with sessions() as session:
        assert await session.scalar(select(Task.status).where(Task.task_id == task.task_id)) == "done"
        assert await session.scalar(select(Task.status).where(Task.task_id == opened)) == "open"
    page = await reviewer.get(f"/tasks/{opened}")
    assert page.status_code == 200 and 'name="outcome" value="approve"' in page.text


async def test_the_language_is_remembered_per_user(
    api: Api, browsers: list[Browser], sessions: async_sessionmaker[AsyncSession]
) -> None:
    username = await add_user(sessions, "marketing_reviewer")
    browser = open_browser(api, browsers)
    await browser.sign_in(username)
    assert "待办" in (await browser.get("/")).text
    switched = await browser.post("/locale", {"locale": "en", "next": "/?tab=done"})
    assert switched.status_code == 303 and switched.headers["location"] == "/?tab=done"
    english = await browser.get("/")
    assert "To do" in english.text and "Sign out" in english.text
    assert "待办" not in english.text and 'lang="en"' in english.text
    async with sessions() as session:
        assert await session.scalar(select(User.locale).where(User.username == username)) == "en"

    # Another sign-in, another browser: still English; the other users keep Chinese.
    again = open_browser(api, browsers)
    await again.sign_in(username)
    assert "To do" in (await again.get("/")).text
    other = open_browser(api, browsers)
    await other.sign_in("sales_clerk")
    assert "待办" in (await other.get("/")).text

    assert (await browser.post("/locale", {"locale": "fr"})).status_code == 422
    assert (await browser.post("/locale", {"locale": "zh", "next": "//elsewhere.example"})).status_code == 422


async def test_a_return_with_its_reason_through_the_page(
    api: Api, browsers: list[Browser], sessions: async_sessionmaker[AsyncSession]
) -> None:
    pid, task, reviewer = await reviewing_a_new_onboarding(api, browsers, sessions)
    await reviewer.get(f"/tasks/{task.task_id}")
    form = {"outcome": "return", "comment": "营业执照复印件不清晰"}
    assert (await reviewer.post(f"/tasks/{task.task_id}/decision", form)).status_code == 303
    process = (await api.get(f"{P}/processes/{pid}", "sales_clerk")).json()
    assert process["status"] == "returned"
    history = (await api.get(f"{P}/processes/{pid}/history", "sales_clerk")).json()
    [returned] = [e for e in history if e["action"] == "decision"]
    assert returned["outcome"] == "return" and returned["comment"].startswith("营业执照复印件不清晰")


async def test_markup_in_a_subject_is_shown_as_text(
    api: Api, browsers: list[Browser], sessions: async_sessionmaker[AsyncSession]
) -> None:
    from tests.support import application

    marked = "<script>alert(1)</script>华豫<b>石化</b>"
    response = await api.submit(body=application(name=marked))
    assert response.status_code == 201, response.text
    task = await task_row(sessions, response.json()["process_id"])
    reviewer = open_browser(api, browsers)
    await reviewer.sign_in("marketing_reviewer")
    page = await reviewer.get(f"/tasks/{task.task_id}")
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in page.text and "<b>石化</b>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    clerk = open_browser(api, browsers)
    await clerk.sign_in("sales_clerk")
    mine = await clerk.get("/?tab=mine")
    assert "<script>alert(1)</script>" not in mine.text and "&lt;script&gt;" in mine.text
