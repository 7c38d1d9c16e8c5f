"""The inbox (`GET /tasks`), who may read a task or a process, and the actions on tasks.

The first tests write task rows straight into the database (as the engine's projection would)
and drive the real API over ASGI without Temporal; the last ones run real onboardings through
the API and the worker (the `api` fixture). Every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import Task
from tests.inbox_support import Rows, add_unit, add_user, api_without_temporal, uid
from tests.support import Api

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest_asyncio.fixture(loop_scope="session")
async def web(sessions: async_sessionmaker[AsyncSession], database_url: str) -> AsyncIterator[Api]:
    async with api_without_temporal(sessions, database_url) as api:
        yield api


@pytest_asyncio.fixture(loop_scope="session")
async def rows(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[Rows]:
    written = Rows(sessions)
    yield written
    await written.close_all()


async def inbox(api: Api, user: str, **params: Any) -> dict[str, Any]:
    response = await api.get("/api/v1/tasks", user, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def walk(api: Api, user: str, **params: Any) -> tuple[list[str], list[dict[str, int]]]:
    """Follow next_cursor to the end: every task id in page order, and the counts of each page."""
    ids: list[str] = []
    counts: list[dict[str, int]] = []
    cursor = None
    for _ in range(100):
        page = await inbox(api, user, **params, **({"cursor": cursor} if cursor else {}))
        assert len(page["items"]) <= params.get("limit", 50)
        ids += [t["task_id"] for t in page["items"]]
        counts.append(page["counts"])
        cursor = page["next_cursor"]
        if cursor is None:
            return ids, counts
    raise AssertionError("the cursor never ended")


async def _seed_inbox(sessions: async_sessionmaker[AsyncSession], rows: Rows) -> tuple[str, list[Task], list[Task]]:
    """A fresh production_dept holder in a fresh unit: 23 tasks that are theirs (ties in due_at and
    created_at, some without a deadline, named, claimed) and 6 that are not."""
    unit = await add_unit(sessions)
    other_unit = await add_unit(sessions)
    me = await add_user(sessions, "production_dept", unit=unit)
    colleague = await add_user(sessions, "production_dept", unit=unit)
    same_due = NOW + timedelta(days=2)
    mine: list[Task] = []
    for i in range(20):
        mine.append(
            await rows.task(
                role="production_dept",
                unit_code=unit if i % 3 else None,
                process_type=("onboarding", "complaint", "approval")[i % 3],
                step=("marketing_review", "investigation")[i % 2],
                due_at=None if i % 5 == 0 else (same_due if i % 4 == 0 else NOW + timedelta(hours=i * 7 - 40)),
                created_at=NOW - timedelta(hours=(i // 2)),  # pairs created at the same moment
                subject=f"客户 {i} ACME_{i}%",
                overdue=i == 7,
            )
        )
    mine.append(await rows.task(role="finance_reviewer", assignee=me, unit_code=unit, due_at=NOW + timedelta(days=9)))
    mine.append(await rows.task(role="production_dept", claimed_by=me, unit_code=unit, process_type="complaint"))
    mine.append(await rows.task(role="business_vp", assignee=me, created_at=NOW - timedelta(days=30)))
    not_mine = [
        await rows.task(role="production_dept", unit_code=other_unit),
        await rows.task(role="production_dept", unit_code=unit, claimed_by=colleague),
        await rows.task(role="production_dept", unit_code=unit, assignee=colleague),
        await rows.task(role="finance_reviewer", unit_code=unit),
        await rows.task(role="production_dept", unit_code=unit, status="done", decided_by=colleague),
        await rows.task(role="production_dept", unit_code=unit, status="cancelled"),
    ]
    return me, mine, not_mine


def _expected(tasks: list[Task], sort: str) -> list[str]:
    if sort == "due":
        far = datetime.max.replace(tzinfo=UTC)
        ordered = sorted(tasks, key=lambda t: (t.due_at is None, t.due_at or far, t.task_id))
    elif sort == "age":
        ordered = sorted(tasks, key=lambda t: (t.created_at, t.task_id))
    else:
        ordered = sorted(tasks, key=lambda t: (t.created_at, t.task_id), reverse=True)
    return [t.task_id for t in ordered]


@pytest.mark.parametrize("sort", ["due", "age", "-age"])
async def test_cursor_walks_every_page_once_in_order(
    web: Api, sessions: async_sessionmaker[AsyncSession], rows: Rows, sort: str
) -> None:
    me, mine, not_mine = await _seed_inbox(sessions, rows)
    ids, counts = await walk(web, me, limit=4, sort=sort)
    assert len(ids) == len(set(ids)) == len(mine)
    assert ids == _expected(mine, sort)
    assert not set(ids) & {t.task_id for t in not_mine}
    # The counts cover the whole filtered set, on every page of the walk.
    assert counts[0] == {"onboarding": 9, "complaint": 8, "approval": 6}
    assert all(c == counts[0] for c in counts)
    everything = await inbox(web, me, limit=200, sort=sort)
    assert [t["task_id"] for t in everything["items"]] == ids and everything["next_cursor"] is None


async def test_filters_and_counts(web: Api, sessions: async_sessionmaker[AsyncSession], rows: Rows) -> None:
    me, mine, _ = await _seed_inbox(sessions, rows)

    async def ids(**params: Any) -> set[str]:
        found, counts = await walk(web, me, limit=3, **params)
        assert sum(counts[0].values()) == len(found)
        return set(found)

    assert await ids(process_type="complaint") == {t.task_id for t in mine if t.process_type == "complaint"}
    assert await ids(step="investigation") == {t.task_id for t in mine if t.step == "investigation"}
    overdue = {t.task_id for t in mine if t.overdue or (t.due_at is not None and t.due_at < datetime.now(UTC))}
    assert overdue and await ids(overdue="true") == overdue
    assert await ids(overdue="false") == {t.task_id for t in mine} - overdue
    limit = NOW + timedelta(days=1)
    assert await ids(due_before=limit.isoformat()) == {t.task_id for t in mine if t.due_at and t.due_at < limit}
    assert await ids(unit=mine[1].unit_code) == {t.task_id for t in mine if t.unit_code == mine[1].unit_code}
    # `q`: part of the subject, case-insensitive, % and _ taken literally.
    assert await ids(q="acme_1") == {t.task_id for t in mine if "ACME_1" in t.subject}
    assert await ids(q="1%") == {t.task_id for t in mine if "1%" in t.subject}
    assert await ids(q="ACME%1") == set()
    both = await inbox(web, me, process_type="onboarding", step="marketing_review")
    assert both["counts"] == {"onboarding": len(both["items"])}
    assert {t["task_id"] for t in both["items"]} == {
        t.task_id for t in mine if t.process_type == "onboarding" and t.step == "marketing_review"
    }


async def test_page_fields_limits_and_bad_cursors(
    web: Api, sessions: async_sessionmaker[AsyncSession], rows: Rows
) -> None:
    me, mine, _ = await _seed_inbox(sessions, rows)
    page = await inbox(web, me, limit=2)
    task = page["items"][0]
    for field in (
        "unit_parents",
        "on_behalf_of",
        "delegated_by",
        "claimed_by",
        "due_provisional",
        "overdue",
        "escalation_level",
    ):
        assert field in task
    assert (await inbox(web, me))["next_cursor"] is None  # 23 tasks fit in the default page of 50
    for params in ({"limit": 0}, {"limit": 201}, {"sort": "soonest"}, {"cursor": "not-a-cursor"}):
        assert (await web.get("/api/v1/tasks", me, params=params)).status_code == 422, params
    other_sort = await web.get("/api/v1/tasks", me, params={"cursor": page["next_cursor"], "sort": "age"})
    assert other_sort.status_code == 422 and "sort" in other_sort.json()["detail"]
    other_filter = await web.get("/api/v1/tasks", me, params={"cursor": page["next_cursor"], "step": "investigation"})
    assert other_filter.status_code == 422 and "filters" in other_filter.json()["detail"]
    assert (await web.get("/api/v1/tasks", me, params={"cursor": page["next_cursor"], "limit": 7})).status_code == 200
    assert (await inbox(web, me, limit=200))["items"][-1]["task_id"] == _expected(mine, "due")[-1]


async def test_unit_scoping_in_the_inbox(web: Api, sessions: async_sessionmaker[AsyncSession], rows: Rows) -> None:
    """000 §5: a depot manager sees the tasks of their depot only; a step that lets the units above
    act shows the task to the depot manager of the parent unit too."""
    marker = uid("scoped-")
    task = await rows.task(role="depot_manager", unit_code="DEPOT-ZZ", process_type=marker)
    assert [t["task_id"] for t in (await inbox(web, "depot_manager", process_type=marker))["items"]] == [task.task_id]
    assert (await inbox(web, "depot_manager_b", process_type=marker))["items"] == []
    assert (await web.get(f"/api/v1/tasks/{task.task_id}", "depot_manager_b")).status_code == 404
    assert (await web.get(f"/api/v1/tasks/{task.task_id}", "depot_manager")).status_code == 200

    parent = await add_unit(sessions)
    child = await add_unit(sessions, parent=parent, kind="station")
    above = await add_user(sessions, "depot_manager", unit=parent)
    inside = await add_user(sessions, "depot_manager", unit=child)
    open_up = await rows.task(role="depot_manager", unit_code=child, unit_parents=True, process_type=marker)
    own_only = await rows.task(role="depot_manager", unit_code=child, process_type=marker)
    seen_above = {t["task_id"] for t in (await inbox(web, above, process_type=marker))["items"]}
    seen_inside = {t["task_id"] for t in (await inbox(web, inside, process_type=marker))["items"]}
    assert seen_above == {open_up.task_id}
    assert seen_inside == {open_up.task_id, own_only.task_id}


async def test_a_claimed_task_leaves_the_colleagues_inbox(
    web: Api, sessions: async_sessionmaker[AsyncSession], rows: Rows
) -> None:
    marker = uid("claim-")
    first = await add_user(sessions, "marketing_reviewer", unit="MKT")
    second = await add_user(sessions, "marketing_reviewer", unit="MKT")
    free = await rows.task(role="marketing_reviewer", process_type=marker)
    taken = await rows.task(role="marketing_reviewer", process_type=marker, claimed_by=first)
    assert {t["task_id"] for t in (await inbox(web, first, process_type=marker))["items"]} == {
        free.task_id,
        taken.task_id,
    }
    assert {t["task_id"] for t in (await inbox(web, second, process_type=marker))["items"]} == {free.task_id}


async def test_who_may_read_a_task_and_its_process(
    web: Api, sessions: async_sessionmaker[AsyncSession], rows: Rows
) -> None:
    process = await rows.process(applicant="sales_clerk", unit_code="DEPOT-ZZ")
    task = await rows.task(process_id=process.process_id, role="finance_reviewer")
    earlier = await rows.task(
        process_id=process.process_id, role="marketing_reviewer", status="done", decided_by="marketing_reviewer"
    )
    stranger = await add_user(sessions, "legal_reviewer", unit="LEGAL")
    copied = await add_user(sessions, "legal_reviewer", unit="LEGAL")
    await rows.watcher(process.process_id, username=copied)
    await rows.watcher(process.process_id, role="technical_dept")
    task_url, process_url = f"/api/v1/tasks/{task.task_id}", f"/api/v1/processes/{process.process_id}"
    for user, expected in (
        ("finance_reviewer", 200),  # the open role task is theirs
        ("marketing_reviewer", 200),  # decided an earlier step
        ("sales_clerk", 200),  # the applicant
        ("auditor", 200),  # oversight reads everything (003 §7)
        (copied, 200),  # copied by name (抄送)
        ("technical_dept", 200),  # copied by role (知会)
        ("depot_manager", 200),  # the process acts for their depot
        ("depot_manager_b", 404),  # another depot
        (stranger, 404),
        ("business_vp", 404),
    ):
        assert (await web.get(task_url, user)).status_code == expected, user
        assert (await web.get(process_url, user)).status_code == expected, user
    assert (await web.get(f"/api/v1/tasks/{earlier.task_id}", "marketing_reviewer")).json()["status"] == "done"
    assert (await web.get("/api/v1/tasks/no-such-task", "auditor")).status_code == 404
    listed = await web.get("/api/v1/processes", stranger, params={"limit": 500})
    assert process.process_id not in {p["process_id"] for p in listed.json()}


async def test_my_applications_name_holders_and_due(
    web: Api, sessions: async_sessionmaker[AsyncSession], rows: Rows
) -> None:
    clerk = await add_user(sessions, "sales_clerk", unit="MKT")
    first = await rows.process(applicant=clerk, started_at=NOW - timedelta(days=2))
    second = await rows.process(applicant=clerk, started_at=NOW - timedelta(days=1))
    others = await rows.process(applicant="sales_clerk")
    soon, later = NOW + timedelta(days=1), NOW + timedelta(days=3)
    await rows.task(process_id=first.process_id, role="marketing_reviewer", due_at=later)
    await rows.task(process_id=first.process_id, role="depot_manager", unit_code="DEPOT-ZZ", due_at=soon)
    await rows.task(process_id=first.process_id, role="finance_reviewer", claimed_by="finance_reviewer")
    await rows.task(process_id=second.process_id, role="business_vp", assignee="business_vp")
    await rows.task(process_id=second.process_id, role="general_manager", status="done", decided_by="general_manager")
    response = await web.get("/api/v1/processes", clerk, params={"mine": "true"})
    assert response.status_code == 200, response.text
    listed = response.json()
    assert [p["process_id"] for p in listed] == [second.process_id, first.process_id]
    assert others.process_id not in {p["process_id"] for p in listed}
    assert listed[0]["holders"] == ["business_vp"] and listed[0]["due_at"] is None
    assert sorted(listed[1]["holders"]) == ["depot_manager@DEPOT-ZZ", "finance_reviewer", "marketing_reviewer"]
    assert datetime.fromisoformat(listed[1]["due_at"]) == soon


async def test_decisions_refused_before_any_workflow(
    web: Api, sessions: async_sessionmaker[AsyncSession], rows: Rows
) -> None:
    """Validation, unknown and closed tasks are answered by the API itself (no workflow is asked)."""
    done = await rows.task(role="marketing_reviewer", status="done", decided_by="marketing_reviewer")
    single = await web.post(f"/api/v1/tasks/{done.task_id}/decision", "marketing_reviewer", json={"outcome": "approve"})
    assert single.status_code == 409 and "marketing_reviewer" in single.json()["detail"]
    stranger = await add_user(sessions, "legal_reviewer", unit="LEGAL")
    hidden = await web.post(f"/api/v1/tasks/{done.task_id}/decision", stranger, json={"outcome": "approve"})
    assert hidden.status_code == 409 and "marketing_reviewer" not in hidden.json()["detail"]
    assert (await web.post("/api/v1/tasks/nope/decision", stranger, json={"outcome": "approve"})).status_code == 404

    too_many = {"decisions": [{"task_id": f"t{i}", "outcome": "approve"} for i in range(101)]}
    assert (await web.post("/api/v1/tasks/decisions", "marketing_reviewer", json=too_many)).status_code == 422
    assert (await web.post("/api/v1/tasks/decisions", "marketing_reviewer", json={"decisions": []})).status_code == 422
    bad = {"decisions": [{"task_id": "x", "outcome": "maybe"}]}
    assert (await web.post("/api/v1/tasks/decisions", "marketing_reviewer", json=bad)).status_code == 422
    body = {"decisions": [{"task_id": "nope", "outcome": "approve"}, {"task_id": done.task_id, "outcome": "approve"}]}
    response = await web.post("/api/v1/tasks/decisions", "marketing_reviewer", json=body)
    assert response.status_code == 200, response.text
    assert [(r["task_id"], r["status"]) for r in response.json()["results"]] == [("nope", 404), (done.task_id, 409)]

    for action, payload in (
        ("delegate", {"to": "marketing_manager"}),
        ("transfer", {"to": "marketing_manager"}),
        ("add-signer", {"signer": "marketing_manager", "position": "before", "reason": "金额大"}),
        ("claim", None),
        ("unclaim", None),
    ):
        response = await web.post(f"/api/v1/tasks/{done.task_id}/{action}", "marketing_reviewer", json=payload)
        assert response.status_code == 409, (action, response.text)
    open_task = await rows.task(role="marketing_reviewer")
    for to in ("nobody_" + uid(), await add_user(sessions, "marketing_reviewer", unit="MKT", active=False)):
        unknown = await web.post(f"/api/v1/tasks/{open_task.task_id}/delegate", "marketing_reviewer", json={"to": to})
        assert unknown.status_code == 422 and f"unknown or inactive user {to}" in unknown.json()["detail"]
    no_reason = {"signer": "marketing_manager", "position": "after", "reason": ""}
    response = await web.post(f"/api/v1/tasks/{open_task.task_id}/add-signer", "marketing_reviewer", json=no_reason)
    assert response.status_code == 422


# --- with the engine: real onboardings through the API and the worker -----------------------------


async def _reviewer(sessions: async_sessionmaker[AsyncSession]) -> str:
    return await add_user(sessions, "marketing_reviewer", unit="MKT")


async def _history_decisions(api: Api, process_id: str) -> list[dict[str, Any]]:
    history = (await api.get(f"/api/v1/processes/{process_id}/history", "auditor")).json()
    return [e for e in history if e["action"] == "decision"]


async def test_bulk_decides_fifty_each_once(api: Api, sessions: async_sessionmaker[AsyncSession]) -> None:
    """50 decisions in one call, one task already decided by a colleague: 49 applied, 1 refused
    with 409; the same call again applies nothing twice."""
    submitted = await asyncio.gather(*(api.submit() for _ in range(50)))
    process_ids = [r.json()["process_id"] for r in submitted]
    tasks = [await api.task_for("marketing_reviewer", p) for p in process_ids]
    colleague = await _reviewer(sessions)
    first = await api.post(
        f"/api/v1/tasks/{tasks[7]['task_id']}/decision", colleague, json={"outcome": "approve", "comment": "ok"}
    )
    assert first.status_code == 200, first.text
    body = {"decisions": [{"task_id": t["task_id"], "outcome": "approve", "comment": "批量同意"} for t in tasks]}
    response = await api.post("/api/v1/tasks/decisions", "marketing_reviewer", json=body)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["task_id"] for r in results] == [t["task_id"] for t in tasks]
    assert [r["status"] for r in results].count(200) == 49
    assert results[7]["status"] == 409 and results[7]["process"] is None
    assert all(r["process"]["current_step"] == "finance_recheck" for i, r in enumerate(results) if i != 7)

    again = await api.post("/api/v1/tasks/decisions", "marketing_reviewer", json=body)
    assert again.status_code == 200
    assert all(r["status"] in (200, 409) for r in again.json()["results"])
    for process_id in process_ids:
        decisions = await _history_decisions(api, process_id)
        assert len(decisions) == 1, process_id
    assert (await _history_decisions(api, process_ids[7]))[0]["actor"] == colleague


async def test_claim_and_unclaim(api: Api, sessions: async_sessionmaker[AsyncSession]) -> None:
    process_id = (await api.submit()).json()["process_id"]
    task = await api.task_for("marketing_reviewer", process_id)
    colleague = await _reviewer(sessions)
    claim_url = f"/api/v1/tasks/{task['task_id']}/claim"
    headers = {**await api.headers("marketing_reviewer"), "Idempotency-Key": uid("click-")}
    claimed, twice = await asyncio.gather(
        api.client.post(claim_url, headers=headers), api.client.post(claim_url, headers=headers)
    )
    assert twice.status_code == 200 and twice.json() == claimed.json()  # a double click is one claim
    assert claimed.status_code == 200, claimed.text
    assert claimed.json()["process_id"] == process_id
    mine = await api.task_for("marketing_reviewer", process_id)
    assert mine["claimed_by"] == "marketing_reviewer"
    assert (await inbox(api, colleague, process_id=process_id))["items"] == []
    refused = await api.post(
        f"/api/v1/tasks/{task['task_id']}/decision", colleague, json={"outcome": "approve", "comment": "x"}
    )
    assert refused.status_code == 409, refused.text
    assert (await api.post(claim_url, colleague)).status_code == 409
    released = await api.post(f"/api/v1/tasks/{task['task_id']}/unclaim", "marketing_reviewer")
    assert released.status_code == 200, released.text
    assert (await api.task_for(colleague, process_id))["claimed_by"] is None


async def test_delegate_comes_back_and_transfer_does_not(api: Api, sessions: async_sessionmaker[AsyncSession]) -> None:
    colleague = await _reviewer(sessions)
    process_id = (await api.submit()).json()["process_id"]
    task = await api.task_for("marketing_reviewer", process_id)
    url = f"/api/v1/tasks/{task['task_id']}"
    assert (await api.post(f"{url}/delegate", "marketing_reviewer", json={"to": "finance_reviewer"})).status_code == 403
    delegated = await api.post(f"{url}/delegate", "marketing_reviewer", json={"to": colleague, "comment": "请先看"})
    assert delegated.status_code == 200, delegated.text
    held = await api.task_for(colleague, process_id)
    assert held["assignee"] == colleague and held["delegated_by"] == "marketing_reviewer"
    advice = await api.post(f"{url}/decision", colleague, json={"outcome": "approve", "comment": "资料齐全"})
    assert advice.status_code == 200, advice.text
    back = await api.task_for("marketing_reviewer", process_id)
    assert back["assignee"] == "marketing_reviewer" and back["delegated_by"] is None
    final = await api.post(f"{url}/decision", "marketing_reviewer", json={"outcome": "approve", "comment": "同意"})
    assert final.status_code == 200 and final.json()["current_step"] == "finance_recheck"

    process_id = (await api.submit()).json()["process_id"]
    task = await api.task_for("marketing_reviewer", process_id)
    url = f"/api/v1/tasks/{task['task_id']}"
    moved = await api.post(f"{url}/transfer", "marketing_reviewer", json={"to": colleague})
    assert moved.status_code == 200, moved.text
    assert (await inbox(api, "marketing_reviewer", process_id=process_id))["items"] == []
    decided = await api.post(f"{url}/decision", colleague, json={"outcome": "approve", "comment": "同意"})
    assert decided.status_code == 200 and decided.json()["current_step"] == "finance_recheck"


async def test_urge_once_per_interval(api: Api) -> None:
    process_id = (await api.submit()).json()["process_id"]
    url = f"/api/v1/processes/{process_id}/urge"
    assert (await api.post(url, "marketing_reviewer", json={})).status_code == 403
    urged = await api.post(url, "sales_clerk", json={"comment": "客户等着提货"})
    assert urged.status_code == 200, urged.text
    assert (await api.post(url, "sales_clerk", json={})).status_code == 409
    mine = (await api.get("/api/v1/processes", "sales_clerk", params={"mine": "true", "limit": 500})).json()
    listed = next(p for p in mine if p["process_id"] == process_id)
    assert listed["holders"] == ["marketing_reviewer"]


async def test_calendar_change_is_committed_and_signals_provisional_processes(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """A provisional task whose workflow has already gone is skipped; the year is saved either way."""
    rows = Rows(sessions)
    try:
        await rows.task(role="marketing_reviewer", workflow_id=uid("gone-"), due_provisional=True)
        schedule = {"source": "国办发明电〔2096〕1号", "holidays": ["2097-01-01"], "workdays": []}
        response = await api.client.put(
            "/api/v1/calendar/years/2097", json=schedule, headers=await api.headers("admin")
        )
        assert response.status_code == 200, response.text
        assert int(response.headers["X-Processes-Notified"]) >= 0  # other tests' processes may be running
        async with sessions() as session:
            assert await session.scalar(select(Task.task_id).where(Task.task_id == rows.task_ids[0]))
        days = await api.get("/api/v1/calendar/days", "admin", params={"year": 2097})
        assert {"day": "2097-01-01", "is_working_day": False} in [
            {k: d[k] for k in ("day", "is_working_day")} for d in days.json()
        ]
    finally:
        await rows.close_all()


async def test_the_rule_without_a_viewer_agrees(sessions: async_sessionmaker[AsyncSession], rows: Rows) -> None:
    """Callers holding only an Actor (the trade routes) get the units below from a recursive query;
    it must say what the per-request Viewer says."""
    from sqlalchemy import select as sql_select

    from api.visibility import task_is_mine, viewer_for, visible_processes
    from db.models import Process
    from domain.models import Actor
    from domain.roles import Role

    parent = await add_unit(sessions)
    child = await add_unit(sessions, parent=parent, kind="depot")
    grandchild = await add_unit(sessions, parent=child, kind="station")
    marker = uid("rule-")
    actor = Actor(username=uid("nobody_"), roles=[Role.station_manager], unit=parent)
    far = await rows.task(role="station_manager", unit_code=grandchild, unit_parents=True, process_type=marker)
    await rows.task(role="station_manager", unit_code=grandchild, process_type=marker)
    seen = await rows.process(unit_code=grandchild, process_type=marker)
    await rows.process(unit_code=await add_unit(sessions), process_type=marker)
    async with sessions() as session:
        viewer = await viewer_for(session, actor)
        assert set(viewer.units_below) == {child, grandchild}
        for who in (actor, viewer):
            tasks = await session.scalars(
                sql_select(Task.task_id).where(Task.process_type == marker, task_is_mine(who))
            )
            assert list(tasks) == [far.task_id]
            processes = await session.scalars(
                visible_processes(who, sql_select(Process.process_id).where(Process.process_type == marker))
            )
            assert list(processes) == [seen.process_id]
