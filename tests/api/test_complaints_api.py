"""Complaints and the working-day calendar through the real API (dev server, both databases)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from tests.support import Api, running_api

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest_asyncio.fixture(loop_scope="session")
async def api(
    temporal_env: WorkflowEnvironment, sessions: async_sessionmaker[AsyncSession], database_url: str, task_queue: str
) -> AsyncIterator[Api]:
    """These tests register complaints received on fixed dates in 2026 (known deadlines, a month's
    statistics): a backdating window wide enough for them (tests/api/test_complaint_backdating.py
    tests the real one)."""
    async with running_api(
        temporal_env.client, sessions, task_queue, database_url, complaint_backdate_working_days=1000
    ) as running:
        yield running


COMPLAINT = {
    "customer_name": "新乡宏达物流",
    "channel": "phone",
    "category": "delivery",
    "severity": "ordinary",
    "description": "约定 9 月 30 日送达的柴油延误",
    "received_at": "2026-09-30T10:00:00+08:00",
}
REPORT = {
    "cause": "调度失误",
    "course": "车辆未按计划出发",
    "responsible_person": "调度 王五",
    "conclusion": "内部调度原因",
    "countermeasure": "当日补送",
    "prevention": "调度复核制度",
}
REPLY = {"resolution": "已补送并致歉", "method": "phone", "reply": "电话回复客户"}


async def test_calendar_deadlines_on_known_dates(api: Api) -> None:
    cases = {1: "2026-10-08T10:00:00+08:00", 3: "2026-10-10T10:00:00+08:00", 7: "2026-10-15T10:00:00+08:00"}
    for days, expected in cases.items():
        response = await api.client.get(
            "/api/v1/calendar/deadline", params={"start": "2026-09-30T10:00:00+08:00", "working_days": days}
        )
        assert response.status_code == 200, response.text
        assert response.json()["deadline"] == expected and response.json()["provisional"] is False
    by_severity = await api.client.get(
        "/api/v1/calendar/deadline", params={"start": "2026-09-30T10:00:00", "severity": "major"}
    )
    assert by_severity.json()["deadline"] == "2026-10-10T10:00:00+08:00"


async def test_calendar_bad_input_is_422(api: Api) -> None:
    bad = [
        {"start": "2026-09-30T10:00:00+08:00", "working_days": -1},
        {"start": "2026-13-45T10:00", "working_days": 1},
        {"start": "not a date", "working_days": 1},
        {"start": "2026-09-30T10:00:00+08:00", "severity": "catastrophic"},
        {"start": "2026-09-30T10:00:00+08:00"},
    ]
    for params in bad:
        response = await api.client.get("/api/v1/calendar/deadline", params=params)
        assert response.status_code == 422, (params, response.text)


async def test_later_years_are_provisional_until_an_admin_enters_them(api: Api) -> None:
    params = {"start": "2030-09-30T10:00:00+08:00", "working_days": 1}
    before = (await api.client.get("/api/v1/calendar/deadline", params=params)).json()
    assert before["provisional"] is True and before["unknown_years"] == [2030]
    assert "2030" in before["message"]
    schedule = {
        "source": "国办发明电〔2026〕X号 (test)",
        "holidays": [f"2030-10-0{d}" for d in range(1, 8)],
        "workdays": ["2030-09-29", "2030-10-12"],
    }
    assert (await api.client.put("/api/v1/calendar/years/2030", json=schedule)).status_code == 401
    forbidden = await api.client.put("/api/v1/calendar/years/2030", json=schedule, headers=await api.headers("auditor"))
    assert forbidden.status_code == 403
    saved = await api.client.put("/api/v1/calendar/years/2030", json=schedule, headers=await api.headers("admin"))
    assert saved.status_code == 200, saved.text
    after = (await api.client.get("/api/v1/calendar/deadline", params=params)).json()
    assert after["provisional"] is False and after["deadline"] == "2030-10-08T10:00:00+08:00"
    changes = (await api.get("/api/v1/calendar/changes", "auditor")).json()
    assert any(c["action"] == "maintain_year" and c["by"] == "admin" for c in changes)
    wrong_year = await api.client.put(
        "/api/v1/calendar/years/2031", json={**schedule, "holidays": ["2030-01-01"]}, headers=await api.headers("admin")
    )
    assert wrong_year.status_code == 422


@pytest.mark.rule(
    "000-16-marketing-owns-complaints",
    "000-16-handler-named",
    "000-16-ordinary-one-working-day",
    "001-complaint-non-product-in-marketing",
    "001-complaint-reply-to-customer",
)
async def test_register_a_complaint_and_close_it(api: Api) -> None:
    created = await api.post("/api/v1/complaints", "sales_clerk", json=COMPLAINT)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["due_at"] == "2026-10-08T10:00:00+08:00" and body["due_provisional"] is False
    process_id = body["process_id"]
    task = await api.task_for("marketing_reviewer", process_id)
    assert task["step"] == "investigation"
    report = REPORT
    # Issue 10: a user who may not read the complaint gets 404; its registrar reads it but holds no step: 403.
    wrong = await api.post(f"/api/v1/complaints/{process_id}/investigation", "finance_reviewer", json=report)
    assert wrong.status_code == 404
    registrar = await api.post(f"/api/v1/complaints/{process_id}/investigation", "sales_clerk", json=report)
    assert registrar.status_code == 403
    done = await api.post(f"/api/v1/complaints/{process_id}/investigation", "marketing_reviewer", json=report)
    assert done.status_code == 200, done.text
    assert done.json()["stage"] == "reply" and done.json()["handler"] == "marketing_reviewer"
    early = await api.post(f"/api/v1/complaints/{process_id}/remedy", "marketing_reviewer", json={"note": "x"})
    assert early.status_code == 409
    replied = await api.post(
        f"/api/v1/complaints/{process_id}/reply",
        "marketing_reviewer",
        json={"resolution": "已补送并致歉", "method": "phone", "reply": "电话回复客户"},
    )
    assert replied.status_code == 200 and replied.json()["status"] == "closed"
    detail = (await api.get(f"/api/v1/complaints/{process_id}", "auditor")).json()
    assert detail["status"] == "closed" and detail["details"]["investigation"]["cause"] == "调度失误"
    actions = [e["action"] for e in detail["history"]]
    assert "investigated" in actions and "replied" in actions
    # Received 2026-09-30 and closed now: it was overdue and escalated, with nobody clicking.
    assert detail["overdue"] is True and detail["closed_on_time"] is False
    listed = (await api.get("/api/v1/complaints", "auditor", params={"month": "2026-09", "overdue": True})).json()
    assert process_id in [c["process_id"] for c in listed]
    mine = (await api.get("/api/v1/notifications", "marketing_manager", params={"process_id": process_id})).json()
    assert any(n["kind"] == "escalation" for n in mine)


@pytest.mark.rule("002-2-15-complaint-record")
async def test_complaint_bad_input(api: Api) -> None:
    for change in (
        {"severity": "catastrophic"},
        {"received_at": "yesterday"},
        {"channel": "pigeon"},
        {"received_at": "2099-01-01T00:00:00+08:00"},
        {"description": ""},
    ):
        response = await api.post("/api/v1/complaints", "sales_clerk", json={**COMPLAINT, **change})
        assert response.status_code == 422, (change, response.text)
    assert (await api.post("/api/v1/complaints", "auditor", json=COMPLAINT)).status_code == 403
    unknown = await api.post("/api/v1/complaints", "sales_clerk", json={**COMPLAINT, "customer_id": 999999})
    assert unknown.status_code == 404


@pytest.mark.rule("003-3-periodic-analysis")
async def test_monthly_statistics(api: Api) -> None:
    created = await api.post(
        "/api/v1/complaints",
        "sales_clerk",
        json={**COMPLAINT, "received_at": "2026-08-15T10:00:00+08:00", "severity": "major"},
    )
    assert created.status_code == 201
    produced = await api.post("/api/v1/complaints/stats/2026-08", "marketing_manager")
    assert produced.status_code == 200, produced.text
    stats = (await api.get("/api/v1/complaints/stats/2026-08", "auditor")).json()
    assert stats["total"] >= 1 and stats["by_severity"]["major"] >= 1
    assert any(o["process_id"] == created.json()["process_id"] for o in stats["overdue"])
    assert (await api.get("/api/v1/complaints/stats/1999-01", "auditor")).status_code == 404
    # company-wide figures: the complaint desk, leaders and oversight, not every station
    assert (await api.get("/api/v1/complaints/stats/2026-08", "business_vp")).status_code == 200
    assert (await api.get("/api/v1/complaints/stats/2026-08", "station_manager")).status_code == 403


@pytest.mark.rule("002-2-27-monthly-statistics")
async def test_monthly_schedule_produces_last_months_statistics(api: Api, sessions) -> None:  # type: ignore[no-untyped-def]
    """The Temporal Schedule (1st of the month, 08:00 China time) runs the same stats workflow."""
    from datetime import UTC, datetime

    from activities.complaint_store import previous_month
    from db.models import ComplaintStats
    from schedules import COMPLAINT_STATS_SCHEDULE, ensure_schedules

    client = api.worker.client
    await ensure_schedules(client, api.worker.task_queue)
    await ensure_schedules(client, api.worker.task_queue)  # idempotent
    handle = client.get_schedule_handle(COMPLAINT_STATS_SCHEDULE)
    try:
        description = await handle.describe()
        assert description.schedule.spec.time_zone_name == "Asia/Shanghai"
        from zoneinfo import ZoneInfo

        upcoming = description.info.next_action_times[0].astimezone(ZoneInfo("Asia/Shanghai"))
        assert (upcoming.day, upcoming.hour, upcoming.minute) == (1, 8, 0)
        await handle.trigger()
        for _ in range(100):
            description = await handle.describe()
            if description.info.recent_actions:
                break
        action = description.info.recent_actions[-1].action
        run = client.get_workflow_handle(action.workflow_id, run_id=action.first_execution_run_id)  # type: ignore[union-attr]
        result = await run.result()
        month = previous_month(datetime.now(UTC))
        assert result["month"] == month
        async with sessions() as session:
            assert await session.get(ComplaintStats, month) is not None
    finally:
        await handle.delete()


@pytest.mark.rule(
    "001-complaint-product-cause-to-technical", "001-complaint-rush-production", "001-complaint-remedy-one-working-day"
)
async def test_production_runs_the_rush_re_production_after_a_product_cause_return(api: Api) -> None:
    """001: technical verdict → return report → marketing's re-production order → production runs it
    as a rush order: production_dept's own inbox task, due in 1 working day (issue 20 item 12)."""
    body = {**COMPLAINT, "category": "product_quality", "description": "柴油闪点不合格"}
    process_id = (await api.post("/api/v1/complaints", "sales_clerk", json=body)).json()["process_id"]
    report = {
        "cause": "油品闪点不合格",
        "course": "客户抽检不合格",
        "responsible_person": "质检 赵六",
        "conclusion": "产品原因",
        "countermeasure": "退货重产",
        "prevention": "出厂复检",
        "product_cause": True,
    }
    url = f"/api/v1/complaints/{process_id}"
    assert (await api.post(f"{url}/investigation", "marketing_reviewer", json=report)).status_code == 200
    verdict = {"remedy": "reproduction", "verdict": "批次 B-17 不合格, 退货重产"}
    assert (await api.post(f"{url}/verdict", "technical_dept", json=verdict)).status_code == 200
    early = await api.post(f"{url}/rush-production", "production_dept", json={"note": "x"})
    assert early.status_code == 404  # not yet a step of production's: it does not read the complaint
    ordered = await api.post(f"{url}/remedy", "marketing_reviewer", json={"note": "已下达加急重产订单 R-118"})
    assert ordered.status_code == 200 and ordered.json()["stage"] == "rush_production", ordered.text
    task = await api.task_for("production_dept", process_id)
    assert task["step"] == "rush_production" and task["due_at"] is not None
    marketing = await api.post(f"{url}/rush-production", "marketing_reviewer", json={"note": "x"})
    assert marketing.status_code == 403  # marketing orders the rush; production reports it done
    done = await api.post(f"{url}/rush-production", "production_dept", json={"note": "R-118 加急生产完成, 已发货"})
    assert done.status_code == 200 and done.json()["stage"] == "reply", done.text
    detail = (await api.get(url, "auditor")).json()
    assert detail["details"]["rush_production"]["by"] == "production_dept"
    assert ("production_dept", "rush_production_done") in [(e["actor"], e["action"]) for e in detail["history"]]


@pytest.mark.rule("000-16-cause-and-solution", "002-2-17-investigation-report")
async def test_an_investigation_lacking_a_part_of_the_report_is_refused_and_changes_nothing(api: Api) -> None:
    """002 rule 2 §17 (000 §16 (二)): the report states cause, course, responsible person, conclusion,
    countermeasure and prevention; without one of them the complaint stays at its investigation."""
    process_id = (await api.post("/api/v1/complaints", "sales_clerk", json=COMPLAINT)).json()["process_id"]
    url = f"/api/v1/complaints/{process_id}"
    for part in REPORT:
        for report in ({k: v for k, v in REPORT.items() if k != part}, {**REPORT, part: ""}):
            refused = await api.post(f"{url}/investigation", "marketing_reviewer", json=report)
            assert refused.status_code == 422 and part in refused.text, (part, refused.text)
    detail = (await api.get(url, "auditor")).json()
    assert (detail["stage"], detail["handler"]) == ("investigation", None) and "investigation" not in detail["details"]
    assert "investigated" not in [e["action"] for e in detail["history"]]
    task = await api.task_for("marketing_reviewer", process_id)
    assert task["step"] == "investigation"


@pytest.mark.rule("000-16-special-seven-days-by-leaders")
async def test_only_a_special_complaint_is_extended_and_a_refusal_opens_nothing(api: Api) -> None:
    """000 §16 (三): only a special case may go to the leaders for up to 7 working days; an ordinary
    or major complaint's request is refused (422 naming the article) and no leader gets a task."""
    for severity in ("ordinary", "major"):
        body = {**COMPLAINT, "severity": severity, "received_at": None}
        process_id = (await api.post("/api/v1/complaints", "sales_clerk", json=body)).json()["process_id"]
        url = f"/api/v1/complaints/{process_id}"
        refused = await api.post(f"{url}/extension", "marketing_reviewer", json={"reason": "需第三方检测"})
        assert refused.status_code == 422 and "000 §16" in refused.text, refused.text
        detail = (await api.get(url, "auditor")).json()
        assert detail["extended"] is False and not any("extension" in e["action"] for e in detail["history"])
        for leader in ("marketing_manager", "business_vp"):
            tasks = (await api.get("/api/v1/tasks", leader, params={"process_id": process_id})).json()["items"]
            assert tasks == [], (leader, tasks)


async def _closed(api: Api, received_at: str | None) -> str:
    """A non-product complaint, investigated and replied to at once; its process id."""
    created = await api.post("/api/v1/complaints", "sales_clerk", json={**COMPLAINT, "received_at": received_at})
    assert created.status_code == 201, created.text
    url = f"/api/v1/complaints/{created.json()['process_id']}"
    assert (await api.post(f"{url}/investigation", "marketing_reviewer", json=REPORT)).status_code == 200
    assert (await api.post(f"{url}/reply", "marketing_reviewer", json=REPLY)).json()["status"] == "closed"
    return str(created.json()["process_id"])


@pytest.mark.rule("003-4-timeliness-kpi")
async def test_monthly_statistics_give_the_complaint_handling_timeliness(api: Api) -> None:
    """003 §4 (三)2: the on-time rate of complaint handling is a performance indicator. A complaint
    closed within its day counts as on time; one received in July 2026 and closed now does not."""
    from activities.complaint_store import month_of

    on_time = await _closed(api, None)
    late = await _closed(api, "2026-07-15T10:00:00+08:00")
    listed = {c["process_id"]: c for c in (await api.get("/api/v1/complaints", "auditor")).json()}
    assert listed[on_time]["closed_on_time"] is True and listed[late]["closed_on_time"] is False
    current = month_of(datetime.now(UTC))
    for month in (current, "2026-07"):
        assert (await api.post(f"/api/v1/complaints/stats/{month}", "marketing_manager")).status_code == 200
    now = (await api.get(f"/api/v1/complaints/stats/{current}", "auditor")).json()
    assert now["closed_on_time"] >= 1 and now["on_time_rate"] == round(now["closed_on_time"] / now["closed"], 4)
    july = (await api.get("/api/v1/complaints/stats/2026-07", "auditor")).json()
    assert (july["closed_on_time"], july["on_time_rate"]) == (0, 0.0) and july["closed"] >= 1
