"""The quarterly big-customer meeting on the time-skipping server (000 §15, §5 (一)6): the quarter's
fire opens the marketing manager's task due on the quarter's last working day, escalated to the
business VP when the quarter ends without minutes; the minutes close it; a second fire is harmless."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from activities.calendar import load_calendar
from activities.visit_store import last_working_day_before
from db.models import BigCustomerMeeting, MeetingAttendee
from domain import errors
from domain.development import (
    AttendeeIn,
    MeetingRound,
    MinutesIn,
    MinutesRequest,
    meeting_workflow_id,
    month_after_quarter,
    quarter_of,
)
from domain.models import ProcessView
from tests.engine_support import person
from tests.support import WorkerControl, record_history
from tests.workflows.test_visits import started, tasks_of
from workflows.visits import CHINA

pytestmark = pytest.mark.asyncio(loop_scope="session")


def next_quarter_start(today: date) -> date:
    month = ((today.month - 1) // 3 + 1) * 3 + 1
    return date(today.year + 1, 1, 1) if month > 12 else date(today.year, month, 1)


@pytest.mark.rule("000-15-quarterly-big-customer-meeting")
async def test_quarter_meeting_escalates_without_minutes_then_minutes_close_it(
    time_env: WorkflowEnvironment, clock_worker: WorkerControl, sessions: async_sessionmaker[AsyncSession]
) -> None:
    client = time_env.client
    # The schedule's fire: the 1st of the quarter's first month at 09:00 China time (schedules.py).
    now = await time_env.get_current_time()
    fire = datetime.combine(next_quarter_start(now.astimezone(CHINA).date()), time(9, 0), CHINA)
    await time_env.sleep(fire - now)
    quarter = quarter_of(fire.date())
    token = f"-{uuid.uuid4().hex[:8]}"  # the test databases share one namespace
    round_ = MeetingRound(namespace_token=token)  # the quarter from the fire moment, as the schedule runs it
    meeting_wf = await client.execute_workflow(
        "BigCustomerMeetingRound", round_, id=f"round-{uuid.uuid4()}", task_queue=clock_worker.task_queue
    )
    assert meeting_wf == meeting_workflow_id(quarter, token)
    handle = await started(client, meeting_wf)
    view = await handle.execute_update("current", result_type=ProcessView)
    assert (view.current_step, view.process_type) == ("minutes", "big_customer_meeting")
    async with sessions() as session:
        calendar = await load_calendar(session)
    quarter_end = last_working_day_before(month_after_quarter(quarter), calendar.is_working_day)
    assert view.due_at is not None and view.due_at.astimezone(CHINA).date() == quarter_end  # 000 §15
    [task] = await tasks_of(sessions, meeting_wf)
    assert (task.role, task.overdue) == ("marketing_manager", False)

    # A second fire of the quarter finds the meeting open and opens nothing.
    again = MeetingRound(quarter=quarter, namespace_token=token)
    assert (
        await client.execute_workflow(
            "BigCustomerMeetingRound", again, id=f"round-{uuid.uuid4()}", task_queue=clock_worker.task_queue
        )
        == meeting_wf
    )

    # The quarter ends without minutes: overdue, and the business VP supervises.
    await time_env.sleep(view.due_at - await time_env.get_current_time() + timedelta(minutes=5))
    await handle.execute_update("current", result_type=ProcessView)
    opened = await tasks_of(sessions, meeting_wf)
    assert {(t.role, t.overdue) for t in opened} == {("marketing_manager", True), ("business_vp", True)}

    minutes = MinutesIn(
        held_on=quarter_end,
        attendees=[
            AttendeeIn(name="王经理", organisation="郑州物流"),
            AttendeeIn(name="李总", organisation="开封运输"),
        ],
        minutes="通报季度供应; 客户反映提货排队",
        follow_ups="增开夜间提货",
    )
    refused = MinutesRequest(minutes=minutes, actor=person("sales_clerk"))
    with pytest.raises(WorkflowUpdateFailedError) as wrong_user:
        await handle.execute_update("record_minutes", refused, result_type=ProcessView)
    assert isinstance(wrong_user.value.cause, ApplicationError) and wrong_user.value.cause.type == errors.FORBIDDEN
    done = await handle.execute_update(
        "record_minutes", MinutesRequest(minutes=minutes, actor=person("marketing_manager")), result_type=ProcessView
    )
    assert done.status == "approved"
    assert await tasks_of(sessions, meeting_wf) == []  # the supervision task closes too
    await handle.result()
    record_history("big_customer_meeting_escalated_then_recorded", await handle.fetch_history())

    async with sessions() as session:
        meeting = await session.scalar(select(BigCustomerMeeting).where(BigCustomerMeeting.workflow_id == meeting_wf))
        assert meeting is not None
        assert (meeting.quarter, meeting.status, meeting.recorded_by) == (quarter, "approved", "marketing_manager")
        assert meeting.held_on == quarter_end and meeting.minutes == minutes.minutes
        assert [a.organisation for a in meeting.attendees] == ["郑州物流", "开封运输"]
        count = await session.scalar(
            select(func.count()).select_from(MeetingAttendee).where(MeetingAttendee.meeting_id == meeting.id)
        )
        assert count == 2

    # After the meeting closed, a late fire of the same quarter still opens no second meeting.
    closed_run = (await handle.describe()).run_id
    assert (
        await client.execute_workflow(
            "BigCustomerMeetingRound", again, id=f"round-{uuid.uuid4()}", task_queue=clock_worker.task_queue
        )
        == meeting_wf
    )
    assert (await client.get_workflow_handle(meeting_wf).describe()).run_id == closed_run
