"""Market development through the real API (000 §5 (一)6, §12, §15): the quarter's big-customer
meeting closed by its minutes, a development plan approved by the marketing manager (the manager's
own by the business VP) and assessed at month end, research notes approved by the manager; the
wrong users get 404 or 403."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import ScheduleActionStartWorkflow
from temporalio.testing import WorkflowEnvironment

from domain.development import MeetingRound
from domain.models import ProcessView
from schedules import big_customer_meeting_schedule
from tests.support import Api
from tests.workflows.test_grading import new_customer
from workflows.visits import CHINA

pytestmark = pytest.mark.asyncio(loop_scope="session")
P = "/api/v1"


def months_ahead(count: int) -> str:
    first = datetime.now(CHINA).date().replace(day=1)
    for _ in range(count):
        first = (first + timedelta(days=32)).replace(day=1)
    return first.strftime("%Y-%m")


@pytest.mark.rule(
    "000-12-development-targets-per-salesperson", "000-12-development-plan-approved", "000-12-month-end-assessment"
)
async def test_development_plan_approved_by_the_manager_and_the_managers_own_by_the_vp(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    customer = await new_customer(sessions, datetime.now(CHINA))
    month = months_ahead(2)  # its deadline, the last working day before it, lies ahead at any hour
    targets = [
        {"salesperson": "sales_clerk", "customer_id": customer.id, "indicator": "月销量 (吨)", "target": "120"},
        {"salesperson": "sales_clerk", "prospect": "新乡某物流公司", "indicator": "新开发客户", "target": "1"},
    ]
    body = {"month": month, "focus": "新乡、开封两地物流客户", "targets": targets}
    assert (await api.post(f"{P}/development-plans", "sales_clerk", json=body)).status_code == 403
    both = {**body, "targets": [targets[0] | {"prospect": "x"}]}
    assert (await api.post(f"{P}/development-plans", "marketing_reviewer", json=both)).status_code == 422
    nobody = {**body, "targets": [targets[1] | {"salesperson": f"nobody-{uuid.uuid4().hex[:6]}"}]}
    assert (await api.post(f"{P}/development-plans", "marketing_reviewer", json=nobody)).status_code == 422
    past = {**body, "month": "2020-01"}
    assert (await api.post(f"{P}/development-plans", "marketing_reviewer", json=past)).status_code == 422

    filed = await api.post(f"{P}/development-plans", "marketing_reviewer", json=body)
    assert filed.status_code == 201, filed.text
    plan = filed.json()
    assert plan["current_step"] == "manager_approval"  # 000 §12: the marketing manager approves
    url = f"{P}/development-plans/{plan['record_id']}"
    assert (await api.get(url, "sales_clerk")).status_code == 200  # a salesperson it sets targets for
    for outsider in ("technical_dept", "station_manager", "depot_manager_b"):
        assert (await api.get(url, outsider)).status_code == 404
    result = {"results": [{"target_id": 1, "actual": "1"}]}
    assert (await api.post(f"{url}/results", "sales_clerk", json=result)).status_code == 403
    assert (await api.post(f"{url}/results", "technical_dept", json=result)).status_code == 404
    assert (await api.post(f"{url}/results", "marketing_manager", json=result)).status_code == 409  # not approved

    approved = await api.decide("marketing_manager", plan["process_id"], "approve")
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    read = (await api.get(url, "marketing_manager")).json()
    assert (read["status"], read["decided_by"], len(read["targets"])) == ("approved", "marketing_manager", 2)
    assert (await api.post(f"{url}/results", "marketing_manager", json=result)).status_code == 409  # not begun
    listed = (await api.get(f"{P}/development-plans", "business_vp", params={"month": month})).json()
    assert plan["record_id"] in [p["plan_id"] for p in listed]
    others = (await api.get(f"{P}/development-plans", "technical_dept", params={"month": month})).json()
    assert plan["record_id"] not in [p["plan_id"] for p in others]

    # The marketing manager's own plan goes to the business VP: nobody approves their own (000 §12).
    current = {**body, "month": months_ahead(0), "targets": targets[1:]}
    own = await api.post(f"{P}/development-plans", "marketing_manager", json=current)
    assert own.status_code == 201, own.text
    own_plan = own.json()
    assert own_plan["current_step"] == "vp_approval"
    assert (await api.decide("business_vp", own_plan["process_id"], "approve")).json()["status"] == "approved"

    # 月底考核兑现: the month has begun, the marketing department records the actuals.
    own_url = f"{P}/development-plans/{own_plan['record_id']}"
    [target] = (await api.get(own_url, "marketing_reviewer")).json()["targets"]
    wrong = {"results": [{"target_id": 2_000_000_000, "actual": "1"}]}
    assert (await api.post(f"{own_url}/results", "marketing_reviewer", json=wrong)).status_code == 422
    done = {"results": [{"target_id": target["target_id"], "actual": "2"}]}
    assessed = await api.post(f"{own_url}/results", "marketing_reviewer", json=done)
    assert assessed.status_code == 200, assessed.text
    assert assessed.json()["assessed_by"] == "marketing_reviewer"
    assert Decimal(assessed.json()["targets"][0]["actual"]) == 2


@pytest.mark.rule("000-15-monthly-research")
async def test_research_notes_approved_by_the_manager(api: Api) -> None:
    month = months_ahead(0)
    body = {
        "month": month,
        "area": "郑州东区",
        "findings": "物流客户用油增加; 竞品让利 0.1 元",
        "customers_contacted": 6,
        "potential_customers": [{"name": "郑东快运", "note": "月用量约 50 吨"}],
    }
    assert (await api.post(f"{P}/research-notes", "marketing_reviewer", json=body)).status_code == 403
    ahead = {**body, "month": months_ahead(1)}
    assert (await api.post(f"{P}/research-notes", "sales_clerk", json=ahead)).status_code == 422
    filed = await api.post(f"{P}/research-notes", "sales_clerk", json=body)
    assert filed.status_code == 201, filed.text
    note = filed.json()
    assert note["current_step"] == "manager_approval" and note["due_at"] is not None  # assumption 3
    url = f"{P}/research-notes/{note['record_id']}"
    assert (await api.get(url, "technical_dept")).status_code == 404
    assert (await api.get(url, "station_manager")).status_code == 404
    assert (await api.decide("marketing_manager", note["process_id"], "approve")).json()["status"] == "approved"
    read = (await api.get(url, "sales_clerk")).json()
    assert (read["status"], read["decided_by"], read["potential_customers"][0]["name"]) == (
        "approved",
        "marketing_manager",
        "郑东快运",
    )
    listed = (await api.get(f"{P}/research-notes", "auditor", params={"month": month})).json()
    assert note["record_id"] in [n["note_id"] for n in listed]
    others = (await api.get(f"{P}/research-notes", "depot_manager", params={"month": month})).json()
    assert note["record_id"] not in [n["note_id"] for n in others]


@pytest.mark.rule("000-15-quarterly-big-customer-meeting")
async def test_meeting_minutes_close_the_managers_task(
    api: Api, temporal_env: WorkflowEnvironment, sessions: async_sessionmaker[AsyncSession]
) -> None:
    client = temporal_env.client
    customer = await new_customer(sessions, datetime.now(CHINA))
    token = f"-{uuid.uuid4().hex[:8]}"
    meeting_wf = await client.execute_workflow(
        "BigCustomerMeetingRound",
        MeetingRound(quarter="2031Q2", namespace_token=token),
        id=f"round-{uuid.uuid4()}",
        task_queue=api.worker.task_queue,
    )
    view = await client.get_workflow_handle(meeting_wf).execute_update("current", result_type=ProcessView)
    assert view.current_step == "minutes"

    listed = (await api.get(f"{P}/big-customer-meetings", "marketing_reviewer")).json()
    [meeting] = [m for m in listed if m["workflow_id"] == meeting_wf]
    assert (meeting["quarter"], meeting["status"]) == ("2031Q2", "running")
    assert all(
        m["workflow_id"] != meeting_wf for m in (await api.get(f"{P}/big-customer-meetings", "sales_clerk")).json()
    )
    url = f"{P}/big-customer-meetings/{meeting['meeting_id']}"
    assert (await api.get(url, "sales_clerk")).status_code == 404
    detail = await api.get(url, "auditor")
    assert detail.status_code == 200 and isinstance(detail.json()["suggested_invitees"], list)

    minutes = {
        "held_on": date(2031, 6, 20).isoformat(),
        "attendees": [
            {"name": "王经理", "organisation": customer.name, "customer_id": customer.id},
            {"name": "李总", "organisation": "开封运输"},
        ],
        "minutes": "通报季度供应; 客户反映提货排队",
        "follow_ups": "增开夜间提货",
    }
    assert (await api.post(f"{url}/minutes", "sales_clerk", json=minutes)).status_code == 404
    assert (await api.post(f"{url}/minutes", "business_vp", json=minutes)).status_code == 403  # not their task
    unknown = {**minutes, "attendees": [minutes["attendees"][0] | {"customer_id": 2_000_000_000}]}  # type: ignore[operator]
    assert (await api.post(f"{url}/minutes", "marketing_manager", json=unknown)).status_code == 422
    task = await api.task_for("marketing_manager", view.process_id)
    bare = await api.post(f"{P}/tasks/{task['task_id']}/decision", "marketing_manager", json={"outcome": "approve"})
    assert bare.status_code == 409  # the task closes with the minutes
    recorded = await api.post(f"{url}/minutes", "marketing_manager", json=minutes)
    assert recorded.status_code == 200, recorded.text
    assert recorded.json()["status"] == "approved"
    assert (await api.post(f"{url}/minutes", "marketing_manager", json=minutes)).status_code == 409
    read = (await api.get(url, "business_vp")).json()
    assert (read["status"], read["recorded_by"], read["held_on"]) == ("approved", "marketing_manager", "2031-06-20")
    assert [a["customer_id"] for a in read["attendees"]] == [customer.id, None]


@pytest.mark.rule("000-15-quarterly-big-customer-meeting")
async def test_schedule_fires_on_the_first_of_each_quarter(api: Api, temporal_env: WorkflowEnvironment) -> None:
    """000 §15 每季度: 1 January, April, July, October at 09:00 China time (not triggered here: its
    meeting id has no test token, and the test databases share one namespace)."""
    client = temporal_env.client
    handle = await client.create_schedule(
        f"big-customer-meeting-test-{uuid.uuid4()}", big_customer_meeting_schedule(api.worker.task_queue)
    )
    try:
        described = await handle.describe()
        fires = [moment.astimezone(CHINA) for moment in described.info.next_action_times]
        assert fires
        assert all((f.day, f.hour, f.minute) == (1, 9, 0) and f.month in {1, 4, 7, 10} for f in fires)
        action = described.schedule.action
        assert isinstance(action, ScheduleActionStartWorkflow) and action.workflow == "BigCustomerMeetingRound"
    finally:
        await handle.delete()
