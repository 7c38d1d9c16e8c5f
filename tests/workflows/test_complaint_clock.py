"""The clock acts with nobody clicking: deadlines, reminders and escalations (000 §16, 001)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from api.history import build_history
from db.models import Notification, Task
from domain.complaint_models import ComplaintInput, ComplaintView
from domain.complaints import ComplaintRecord, InvestigationReport
from domain.models import Actor
from tests.support import WorkerControl, record_history

pytestmark = pytest.mark.asyncio(loop_scope="session")
CHINA = ZoneInfo("Asia/Shanghai")


def actor(role: str, username: str | None = None) -> Actor:
    return Actor(username=username or role, roles=[role])  # type: ignore[list-item]


async def start(
    env: WorkflowEnvironment, worker: WorkerControl, severity: str, received_at: datetime, category: str = "delivery"
) -> WorkflowHandle[Any, Any]:
    record = ComplaintRecord(
        customer_name="郑州华豫石化",
        channel="phone",
        category=category,
        severity=severity,  # type: ignore[arg-type]
        description="配送延误两天",
        received_at=received_at,
    )
    handle = await env.client.start_workflow(
        "Complaint",
        ComplaintInput(record=record, registered_by=actor("sales_clerk")),
        id=f"complaint-{uuid.uuid4()}",
        task_queue=worker.task_queue,
    )
    await view(handle)
    return handle


async def view(handle: WorkflowHandle[Any, Any]) -> ComplaintView:
    return await handle.execute_update("current", result_type=ComplaintView)


async def notes(
    sessions: async_sessionmaker[AsyncSession], handle: WorkflowHandle[Any, Any], kind: str
) -> list[Notification]:
    async with sessions() as session:
        rows = await session.scalars(
            select(Notification)
            .where(Notification.process_id == handle.result_run_id, Notification.kind == kind)
            .order_by(Notification.id)
        )
        return list(rows)


REPORT = InvestigationReport(
    cause="承运车辆故障",
    course="车辆在途抛锚",
    responsible_person="物流调度 李明",
    conclusion="物流原因",
    countermeasure="改派车辆, 次日送达",
    prevention="增加备用车辆",
)


async def close_promptly(handle: WorkflowHandle[Any, Any], product_cause: bool = False) -> ComplaintView:
    from domain.complaint_models import InvestigateRequest, ReplyRequest

    report = REPORT.model_copy(update={"product_cause": product_cause})
    await handle.execute_update(
        "investigate", InvestigateRequest(actor=actor("marketing_reviewer"), report=report), result_type=ComplaintView
    )
    return await handle.execute_update(
        "reply",
        ReplyRequest(
            actor=actor("marketing_reviewer"),
            resolution="已改派车辆送达",
            method="phone",
            reply="电话告知客户处理结果, 客户认可",
        ),
        result_type=ComplaintView,
    )


async def now_in_china(env: WorkflowEnvironment) -> datetime:
    return (await env.get_current_time()).astimezone(CHINA)


@pytest.mark.rule("000-16-ordinary-one-working-day", "000-16-major-three-working-days")
async def test_deadlines_across_national_day(time_env: WorkflowEnvironment, clock_worker: WorkerControl) -> None:
    """000 §16 on the 2026 calendar: ordinary 1 and major 3 working days from 2026-09-30 10:00."""
    received = datetime(2026, 9, 30, 10, tzinfo=CHINA)
    ordinary = await view(await start(time_env, clock_worker, "ordinary", received))
    major = await view(await start(time_env, clock_worker, "major", received))
    assert ordinary.due_at == datetime(2026, 10, 8, 10, tzinfo=CHINA)
    assert major.due_at == datetime(2026, 10, 10, 10, tzinfo=CHINA)  # the make-up Saturday
    assert not ordinary.due_provisional and not major.due_provisional


async def test_closed_in_time_never_escalates(
    time_env: WorkflowEnvironment, clock_worker: WorkerControl, sessions: async_sessionmaker[AsyncSession]
) -> None:
    handle = await start(time_env, clock_worker, "ordinary", await now_in_china(time_env))
    closed = await close_promptly(handle)
    assert closed.status == "closed" and not closed.overdue
    await time_env.sleep(timedelta(days=10))
    final = ComplaintView.model_validate(await handle.result())
    assert final.escalation_level == 0 and not final.overdue
    assert await notes(sessions, handle, "escalation") == []


@pytest.mark.rule("000-16-no-shirking")
async def test_overdue_climbs_the_ladder_once_per_level(
    time_env: WorkflowEnvironment, clock_worker: WorkerControl, sessions: async_sessionmaker[AsyncSession]
) -> None:
    handle = await start(time_env, clock_worker, "ordinary", await now_in_china(time_env))
    due = (await view(handle)).due_at
    assert due is not None
    await time_env.sleep(due - await time_env.get_current_time() - timedelta(hours=1))
    assert len(await notes(sessions, handle, "reminder")) == 1
    assert await notes(sessions, handle, "escalation") == []
    await time_env.sleep(timedelta(hours=2))
    state = handle.query("view", result_type=ComplaintView)
    first = await notes(sessions, handle, "escalation")
    assert [n.recipient_role for n in first] == ["marketing_manager"]
    assert (await state).overdue
    await time_env.sleep(timedelta(days=10))
    escalations = await notes(sessions, handle, "escalation")
    assert [n.recipient_role for n in escalations] == ["marketing_manager", "business_vp", "general_manager"]
    current = await handle.query("view", result_type=ComplaintView)
    assert current.escalation_level == 3 and current.escalated_to == "general_manager"
    async with sessions() as session:
        supervision = list(
            await session.scalars(
                select(Task).where(Task.process_id == handle.result_run_id, Task.step == "supervise_complaint")
            )
        )
    assert sorted(t.role for t in supervision) == ["business_vp", "general_manager", "marketing_manager"]
    history = await handle.fetch_history()
    from api.history import build_history

    entries = build_history(history.events)
    escalated = [e for e in entries if e.action == "escalation"]
    assert len(escalated) == 3 and all(e.actor == "system" for e in escalated)
    from temporalio.worker import Replayer

    from temporal_client import DATA_CONVERTER
    from workflows.registry import WORKFLOWS

    replay = await Replayer(workflows=WORKFLOWS, data_converter=DATA_CONVERTER).replay_workflow(history)
    assert replay.replay_failure is None  # timers, escalations and updates replay deterministically
    record_history("complaint_escalated_three_levels", history)


@pytest.mark.rule("001-complaint-serious-to-vp")
async def test_escalation_fires_once_across_a_worker_restart(
    time_env: WorkflowEnvironment, sessions: async_sessionmaker[AsyncSession]
) -> None:
    # No workflow cache: no sticky queue tied to a stopped worker, and every task replays in full.
    worker = WorkerControl(time_env.client, f"restart-{uuid.uuid4()}", sessions, cache=False)
    await worker.start()
    handle = await start(time_env, worker, "major", await now_in_china(time_env))
    due = (await view(handle)).due_at
    assert due is not None
    await time_env.sleep(due - await time_env.get_current_time() - timedelta(minutes=30))  # reminder sent
    # A new worker process just before the deadline and another just after it: each replays the
    # history from scratch (no cached state), and the escalation must still happen exactly once.
    await worker.stop()
    await worker.start()
    await time_env.sleep(timedelta(minutes=31))
    await worker.stop()
    await worker.start()
    await time_env.sleep(timedelta(hours=1))
    escalations = await notes(sessions, handle, "escalation")
    assert [n.recipient_role for n in escalations] == ["marketing_manager"]
    assert len(await notes(sessions, handle, "reported_to_vp")) == 1  # 001: major goes to the VP at once
    await worker.stop()


async def test_year_without_schedule_gives_provisional_deadline(
    time_env: WorkflowEnvironment, clock_worker: WorkerControl
) -> None:
    handle = await start(time_env, clock_worker, "ordinary", datetime(2026, 12, 31, 10, tzinfo=CHINA))
    state = await view(handle)
    assert state.due_at == datetime(2027, 1, 1, 10, tzinfo=CHINA)  # weekends only: Friday counts
    assert state.due_provisional and state.unknown_years == [2027]
    from api.history import build_history

    entries = build_history((await handle.fetch_history()).events)
    assert any("provisional" in (e.comment or "") for e in entries if e.action == "deadline_computed")


@pytest.mark.rule(
    "001-complaint-product-cause-to-technical",
    "001-complaint-verdict-one-working-day",
    "001-complaint-remedy-one-working-day",
    "001-complaint-rush-production",
    "000-16-handler-named",
)
async def test_product_cause_verdict_and_remedy_each_within_a_working_day(
    time_env: WorkflowEnvironment, clock_worker: WorkerControl, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """001: technical verdict within 1 working day, escalated the same way when it slips."""
    from domain.complaint_models import InvestigateRequest, RemedyRequest, ReplyRequest, VerdictRequest

    handle = await start(time_env, clock_worker, "major", await now_in_china(time_env), category="product_quality")
    report = REPORT.model_copy(update={"product_cause": True, "cause": "油品闪点不合格"})
    state = await handle.execute_update(
        "investigate",
        InvestigateRequest(actor=actor("marketing_reviewer", "li_handler"), report=report),
        result_type=ComplaintView,
    )
    assert state.stage == "technical_verdict" and state.handler == "li_handler"
    async with sessions() as session:
        task = await session.scalar(
            select(Task).where(Task.process_id == handle.result_run_id, Task.step == "technical_verdict")
        )
    assert task is not None and task.role == "technical_dept" and task.due_at is not None
    # The wrong department cannot give the verdict.
    from temporalio.client import WorkflowUpdateFailedError

    with pytest.raises(WorkflowUpdateFailedError):
        await handle.execute_update(
            "verdict",
            VerdictRequest(actor=actor("finance_reviewer"), remedy="compensation", verdict="x"),
            result_type=ComplaintView,
        )
    await time_env.sleep(task.due_at - await time_env.get_current_time() + timedelta(minutes=1))
    slipped = [n for n in await notes(sessions, handle, "escalation") if "technical_verdict" in n.subject]
    assert [n.recipient_role for n in slipped] == ["marketing_manager"]
    state = await handle.execute_update(
        "verdict",
        VerdictRequest(actor=actor("technical_dept"), remedy="reproduction", verdict="批次 B-17 不合格, 退货重产"),
        result_type=ComplaintView,
    )
    assert state.stage == "remedy"
    # 001: marketing orders the re-production within 1 working day of the verdict.
    async with sessions() as session:
        ordering = await session.scalar(
            select(Task).where(Task.process_id == handle.result_run_id, Task.step == "remedy")
        )
    from domain.calendar import WorkingCalendar

    assert ordering is not None and (ordering.role, ordering.assignee) == ("marketing_reviewer", "li_handler")
    due = WorkingCalendar().add_working_days(ordering.created_at, 1).deadline  # counted from the task's opening
    assert ordering.due_at is not None and abs(ordering.due_at - due) < timedelta(seconds=1)
    state = await handle.execute_update(
        "remedy",
        RemedyRequest(actor=actor("marketing_reviewer", "li_handler"), note="已下达加急重产订单 R-2026-118"),
        result_type=ComplaintView,
    )
    # 001: production runs the re-production order as a rush order — its own task, due in 1 working day.
    assert state.stage == "rush_production"
    async with sessions() as session:
        rush = await session.scalar(
            select(Task).where(Task.process_id == handle.result_run_id, Task.step == "rush_production")
        )
    assert rush is not None and rush.role == "production_dept" and rush.status == "open" and rush.due_at is not None
    with pytest.raises(WorkflowUpdateFailedError):  # marketing orders it; only production reports it done
        await handle.execute_update(
            "rush_production",
            RemedyRequest(actor=actor("marketing_reviewer", "li_handler"), note="x"),
            result_type=ComplaintView,
        )
    await time_env.sleep(rush.due_at - await time_env.get_current_time() + timedelta(minutes=1))
    slipped = [n for n in await notes(sessions, handle, "escalation") if "rush_production" in n.subject]
    assert [n.recipient_role for n in slipped] == ["marketing_manager"]
    state = await handle.execute_update(
        "rush_production",
        RemedyRequest(actor=actor("production_dept"), note="批次 R-2026-118 加急生产完成, 已发货"),
        result_type=ComplaintView,
    )
    assert state.stage == "reply"
    state = await handle.execute_update(
        "reply",
        ReplyRequest(
            actor=actor("marketing_reviewer", "li_handler"),
            resolution="退货并加急重产",
            method="written",
            reply="书面函告客户",
        ),
        result_type=ComplaintView,
    )
    assert state.status == "closed"
    await time_env.sleep(timedelta(days=10))
    slipped = [n for n in await notes(sessions, handle, "escalation") if "technical_verdict" in n.subject]
    assert len(slipped) == 1  # the verdict came: its clock stopped
    history = await handle.fetch_history()
    steps = [(e.actor, e.action) for e in build_history(history.events) if e.step == "rush_production"]
    assert ("production_dept", "rush_production_done") in steps
    record_history("complaint_rush_production_escalated_then_done", history)


@pytest.mark.rule("000-16-special-seven-days-by-leaders")
async def test_special_case_extended_to_seven_days_by_leaders_level_by_level(
    time_env: WorkflowEnvironment, clock_worker: WorkerControl, sessions: async_sessionmaker[AsyncSession]
) -> None:
    from domain.complaint_models import ExtensionRequest
    from domain.models import DecisionRequest

    received = await now_in_china(time_env)
    handle = await start(time_env, clock_worker, "special", received)
    base = (await view(handle)).due_at
    state = await handle.execute_update(
        "request_extension",
        ExtensionRequest(actor=actor("marketing_reviewer"), reason="需第三方检测机构出具报告"),
        result_type=ComplaintView,
    )
    assert state.extension == "pending"

    async def open_task(step: str) -> Task:
        async with sessions() as session:
            row = await session.scalar(
                select(Task).where(Task.process_id == handle.result_run_id, Task.step == step, Task.status == "open")
            )
        assert row is not None, step
        return row

    manager_task = await open_task("manager_extension")
    assert manager_task.role == "marketing_manager"
    await handle.execute_update(
        "decide",
        DecisionRequest(
            task_id=manager_task.task_id, step=manager_task.step, outcome="approve", actor=actor("marketing_manager")
        ),
        result_type=ComplaintView,
    )
    vp_task = await open_task("vp_extension")
    state = await handle.execute_update(
        "decide",
        DecisionRequest(task_id=vp_task.task_id, step=vp_task.step, outcome="approve", actor=actor("business_vp")),
        result_type=ComplaintView,
    )
    assert state.extension == "approved"
    from domain.calendar import WorkingCalendar

    assert state.due_at == WorkingCalendar().add_working_days(received, 7).deadline
    assert base is not None and state.due_at is not None and state.due_at > base
    await time_env.sleep(base - await time_env.get_current_time() + timedelta(hours=1))
    assert await notes(sessions, handle, "escalation") == []  # the old deadline no longer counts
    await time_env.sleep(state.due_at - await time_env.get_current_time() + timedelta(minutes=1))
    assert [n.recipient_role for n in await notes(sessions, handle, "escalation")] == ["marketing_manager"]
