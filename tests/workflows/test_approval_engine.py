"""The approval engine (workflows/approval.py): every step action, declared, on real Temporal
(time-skipping server) and a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from db.models import Notification, OutOfOffice, ProcessWatcher
from domain import errors
from domain.approvals import LeaderGap, Resubmission, SignMode, UnitScope
from domain.models import (
    AddSignerRequest,
    ClaimRequest,
    HandOverKind,
    HandOverRequest,
    SignerPosition,
    UrgeRequest,
)
from domain.roles import Role
from tests.engine_support import Engine, chain, person, step
from tests.support import WorkerControl, record_history

pytestmark = pytest.mark.asyncio(loop_scope="session")
CHINA = ZoneInfo("Asia/Shanghai")

FOUR = chain(
    step("one", role=Role.marketing_reviewer),
    step("two", role=Role.finance_reviewer),
    step("three", role=Role.business_vp),
    step("four", role=Role.general_manager),
)


@pytest_asyncio.fixture(loop_scope="session")
async def engine(
    time_env: WorkflowEnvironment, clock_worker: WorkerControl, sessions: async_sessionmaker[AsyncSession]
) -> AsyncIterator[Engine]:
    yield Engine(time_env.client, clock_worker.task_queue, sessions)


# --- sign modes ----------------------------------------------------------------------------------


async def test_countersign_two_approve_one_rejects(engine: Engine) -> None:
    signers = ["marketing_manager", "chief_accountant", "legal_reviewer"]
    spec = chain(step("leaders", named=True, mode=SignMode.all))
    started = await engine.start(spec, signers={"leaders": signers})
    assert sorted(started.holders) == sorted(signers) and len(started.open_task_ids) == 3  # in parallel

    after_one = await engine.decide("leaders", "marketing_manager")
    assert after_one.status == "running" and sorted(after_one.holders) == ["chief_accountant", "legal_reviewer"]
    await engine.decide("leaders", "chief_accountant", comment="同意")
    final = await engine.decide("leaders", "legal_reviewer", "reject", "合同条款风险过大")
    assert final.status == "rejected"

    decisions = [e for e in await engine.history() if e.action == "decision"]
    assert [(e.actor, e.outcome) for e in decisions] == [
        ("marketing_manager", "approve"),
        ("chief_accountant", "approve"),
        ("legal_reviewer", "reject"),
    ]


async def test_countersign_all_approve(engine: Engine) -> None:
    spec = chain(step("leaders", named=True, mode=SignMode.all))
    await engine.start(spec, signers={"leaders": ["marketing_manager", "chief_accountant"]})
    await engine.decide("leaders", "marketing_manager")
    assert (await engine.decide("leaders", "chief_accountant")).status == "approved"


async def test_or_sign_first_approval_wins_and_cancels_the_others(engine: Engine) -> None:
    spec = chain(step("any_leader", named=True, mode=SignMode.any), step("gm", role=Role.general_manager))
    await engine.start(spec, signers={"any_leader": ["marketing_manager", "chief_accountant", "legal_reviewer"]})
    late = await engine.task("any_leader", "legal_reviewer")
    moved_on = await engine.decide("any_leader", "chief_accountant")
    assert moved_on.current_step == "gm"
    assert [t.step for t in await engine.tasks()] == ["gm"]
    cancelled = await engine.tasks("cancelled")
    assert sorted(t.assignee or "" for t in cancelled) == ["legal_reviewer", "marketing_manager"]
    refusal = await engine.refused("decide", engine.decision(late, "legal_reviewer"))
    assert refusal.type == errors.CONFLICT and "cancelled" in str(refusal)


async def test_joint_review_station_and_finance_in_parallel(engine: Engine) -> None:
    """000 §9: a VAT special-invoice customer is reviewed jointly by the station and finance."""
    spec = chain(
        step(
            "joint_review",
            roles=(Role.station_manager, Role.finance_reviewer),
            mode=SignMode.all,
            unit_scope=UnitScope.unit,
        )
    )
    started = await engine.start(spec, "station_manager", unit="STATION-ZZ01")
    assert sorted(started.holders) == ["finance_reviewer", "station_manager@STATION-ZZ01"]
    # The applicant (the station) cannot approve its own application; a second station manager of
    # the same station would. Here finance approves first and the process still waits.
    after_finance = await engine.decide("joint_review", "finance_reviewer")
    assert after_finance.status == "running" and after_finance.holders == ["station_manager@STATION-ZZ01"]
    other_station = await engine.task("joint_review", "station_manager_b")
    refusal = await engine.refused("decide", engine.decision(other_station, "station_manager_b"))
    assert refusal.type == errors.FORBIDDEN and "STATION-ZZ01" in str(refusal)


@pytest.mark.rule("000-9-joint-review")
async def test_joint_review_needs_both(engine: Engine) -> None:
    spec = chain(step("joint_review", roles=(Role.depot_manager, Role.finance_reviewer), mode=SignMode.all))
    await engine.start(spec)
    await engine.decide("joint_review", "depot_manager")
    assert (await engine.update("current")).status == "running"
    assert (await engine.decide("joint_review", "finance_reviewer")).status == "approved"


# --- delegate, transfer, deputy -------------------------------------------------------------------


async def test_delegate_and_transfer(engine: Engine) -> None:
    spec = chain(step("review", role=Role.finance_reviewer), step("consent", role=Role.business_vp))
    await engine.start(spec)
    task = await engine.task("review")
    # Delegate (委托) to someone without the role: refused.
    to_clerk = HandOverRequest(
        task_id=task.task_id, kind=HandOverKind.delegate, actor=person("finance_reviewer"), to=person("technical_dept")
    )
    refusal = await engine.refused("hand_over", to_clerk)
    assert refusal.type == errors.FORBIDDEN
    # The demo data has one finance reviewer: a step either finance role may take gives a colleague.
    spec2 = chain(step("review", roles=(Role.finance_reviewer, Role.chief_accountant), mode=SignMode.any))
    deal = Engine(engine.client, engine.task_queue, engine.sessions)
    await deal.start(spec2)
    own = await deal.task("review", "finance_reviewer")
    view = await deal.update(
        "hand_over",
        HandOverRequest(
            task_id=own.task_id,
            kind=HandOverKind.delegate,
            actor=person("finance_reviewer"),
            to=person("chief_accountant"),
            comment="请总会计师先看",
        ),
    )
    assert "chief_accountant" in view.holders
    delegated = [t for t in await deal.tasks() if t.task_id == own.task_id][0]
    assert delegated.assignee == "chief_accountant" and delegated.delegated_by == "finance_reviewer"
    # The delegate's advice: the task comes back to the delegator, the process does not move.
    advice = await deal.update("decide", deal.decision(delegated, "chief_accountant", comment="可以"))
    assert advice.status == "running"
    back = [t for t in await deal.tasks() if t.task_id == own.task_id][0]
    assert back.assignee == "finance_reviewer" and back.delegated_by is None
    assert (await deal.update("decide", deal.decision(back, "finance_reviewer"))).status == "approved"
    entries = await deal.history()
    opinion = [e for e in entries if e.action == "delegate_opinion"]
    assert opinion and opinion[0].actor == "chief_accountant" and opinion[0].on_behalf_of == "finance_reviewer"
    final = [e for e in entries if e.action == "decision"]
    assert [e.actor for e in final] == ["finance_reviewer"]
    assert deal.handle is not None
    record_history("engine_delegated_then_decided", await deal.handle.fetch_history())

    # Transfer (转办) moves the task for good.
    third = Engine(engine.client, engine.task_queue, engine.sessions)
    await third.start(spec2)
    own = await third.task("review", "finance_reviewer")
    await third.update(
        "hand_over",
        HandOverRequest(
            task_id=own.task_id,
            kind=HandOverKind.transfer,
            actor=person("finance_reviewer"),
            to=person("chief_accountant"),
        ),
    )
    moved = [t for t in await third.tasks() if t.task_id == own.task_id][0]
    assert moved.assignee == "chief_accountant" and moved.delegated_by is None
    stale = await third.refused("decide", third.decision(moved, "finance_reviewer"))
    assert stale.type == errors.FORBIDDEN
    assert (await third.update("decide", third.decision(moved, "chief_accountant"))).status == "approved"
    assert [e.action for e in await third.history() if e.action in {"transfer", "decision"}] == [
        "transfer",
        "decision",
    ]


async def test_deputy_receives_new_tasks_during_out_of_office(engine: Engine) -> None:
    now = datetime.now(UTC)
    async with engine.sessions.begin() as session:
        session.add(
            OutOfOffice(
                username="marketing_manager",
                deputy="business_vp",
                starts_at=now - timedelta(hours=1),
                ends_at=now + timedelta(days=3),
                reason="出差",
                created_at=now,
            )
        )
    try:
        spec = chain(step("head", leader_level=1))  # the head of the applicant's unit (MKT)
        started = await engine.start(spec, "sales_clerk", unit_path=["MKT", "HQ"])
        assert started.holders == ["business_vp"]
        task = await engine.task("head")
        assert task.assignee == "business_vp" and task.on_behalf_of == "marketing_manager"
        assert (await engine.update("decide", engine.decision(task, "business_vp"))).status == "approved"
        decision = [e for e in await engine.history() if e.action == "decision"][0]
        assert decision.actor == "business_vp" and decision.on_behalf_of == "marketing_manager"
    finally:
        async with engine.sessions.begin() as session:
            row = await session.scalar(select(OutOfOffice).where(OutOfOffice.username == "marketing_manager"))
            if row is not None:
                await session.delete(row)


# --- add signer, return to a step -------------------------------------------------------------------


async def test_add_signer_before_and_after(engine: Engine) -> None:
    await engine.start(FOUR)
    task = await engine.task("one")
    before = AddSignerRequest(
        task_id=task.task_id,
        actor=person("marketing_reviewer"),
        signer=person("legal_reviewer"),
        position=SignerPosition.before,
        reason="请法务先看资质文件",
    )
    view = await engine.update("add_signer", before)
    assert view.current_step == "one_added_1" and view.holders == ["legal_reviewer"]
    refusal = await engine.refused("decide", engine.decision(task, "marketing_reviewer"))
    assert refusal.type == errors.CONFLICT  # the adder's task waits for the added signer
    back = await engine.decide("one_added_1", "legal_reviewer", comment="文件齐全")
    assert back.current_step == "one" and back.holders == ["marketing_reviewer"]

    again = await engine.task("one")
    after = AddSignerRequest(
        task_id=again.task_id,
        actor=person("marketing_reviewer"),
        signer=person("chief_accountant"),
        position=SignerPosition.after,
        reason="金额较大, 请总会计师会签",
    )
    await engine.update("add_signer", after)
    assert (await engine.decide("one", "marketing_reviewer")).current_step == "one_added_2"
    assert (await engine.decide("one_added_2", "chief_accountant")).current_step == "two"
    # Never oneself, never the applicant.
    two = await engine.task("two")
    for signer, kind in (("finance_reviewer", errors.INVALID), ("sales_clerk", errors.FORBIDDEN)):
        bad = AddSignerRequest(
            task_id=two.task_id,
            actor=person("finance_reviewer"),
            signer=person(signer),
            position=SignerPosition.after,
            reason="x",
        )
        assert (await engine.refused("add_signer", bad)).type == kind
    actions = [e.action for e in await engine.history()]
    assert "add_signer_before" in actions and "add_signer_after" in actions
    assert engine.handle is not None
    record_history("engine_add_signer_before_after", await engine.handle.fetch_history())


async def test_return_to_step_two_of_four_resumes_there(engine: Engine) -> None:
    await engine.start(FOUR)
    for key, who in (("one", "marketing_reviewer"), ("two", "finance_reviewer"), ("three", "business_vp")):
        await engine.decide(key, who)
    bad = await engine.refused(
        "decide",
        engine.decision(await engine.task("four"), "general_manager", "return", "重新复核", return_to="four"),
    )
    assert bad.type == errors.INVALID
    view = await engine.decide("four", "general_manager", "return", "财务复核数据有误", return_to="two")
    assert view.status == "running" and view.current_step == "two"
    await engine.decide("two", "finance_reviewer", comment="已更正")
    await engine.decide("three", "business_vp")
    assert (await engine.decide("four", "general_manager")).status == "approved"
    returned = [e for e in await engine.history() if e.outcome == "return"]
    assert returned and "returned to two" in (returned[0].comment or "")


async def test_resubmission_resumes_at_the_returning_step_when_declared(
    time_env: WorkflowEnvironment, clock_worker: WorkerControl
) -> None:
    """Declared per chain: onboarding restarts at the first step; a chain may instead resume where
    it was returned from."""
    from domain.approvals import ONBOARDING_CHAIN
    from domain.models import OnboardingApplication, OnboardingInput, ResubmitRequest
    from tests.support import application

    assert ONBOARDING_CHAIN.resubmission is Resubmission.first_step
    resuming = ONBOARDING_CHAIN.model_copy(update={"resubmission": Resubmission.returning_step})
    body = OnboardingApplication.model_validate(application())
    handle = await time_env.client.start_workflow(
        "Onboarding",
        OnboardingInput(application=body, applicant=person("sales_clerk"), chain=resuming),
        id=f"onboarding-{uuid.uuid4()}",
        task_queue=clock_worker.task_queue,
    )
    engine = Engine(time_env.client, clock_worker.task_queue, clock_worker.sessions)
    engine.handle = handle
    await engine.update("current")
    await engine.decide("marketing_review", "marketing_reviewer")
    await engine.decide("finance_recheck", "finance_reviewer")
    returned = await engine.decide("vp_consent", "business_vp", "return", "补充开户许可证")
    assert returned.status == "returned"
    again = await engine.update("resubmit", ResubmitRequest(actor=person("sales_clerk"), application=body))
    assert again.status == "running" and again.current_step == "vp_consent" and again.round == 2


# --- claim, urge, CC, leader chain, unit scope -----------------------------------------------------------


async def test_claim_makes_a_role_task_mine_alone(engine: Engine) -> None:
    spec = chain(step("review", roles=(Role.finance_reviewer,)))
    await engine.start(spec)
    task = await engine.task("review")
    claimed = await engine.update("claim", ClaimRequest(task_id=task.task_id, actor=person("finance_reviewer")))
    assert claimed.holders == ["finance_reviewer"]
    assert (await engine.task("review")).claimed_by == "finance_reviewer"
    release_by_other = ClaimRequest(task_id=task.task_id, actor=person("chief_accountant"), release=True)
    assert (await engine.refused("claim", release_by_other)).type == errors.CONFLICT
    await engine.update("claim", ClaimRequest(task_id=task.task_id, actor=person("finance_reviewer"), release=True))
    assert (await engine.task("review")).claimed_by is None


async def test_urge_once_per_interval(engine: Engine) -> None:
    await engine.start(FOUR)
    await engine.update("urge", UrgeRequest(actor=person("sales_clerk"), comment="客户在等"))
    again = await engine.refused("urge", UrgeRequest(actor=person("sales_clerk")))
    assert again.type == errors.CONFLICT and "next possible" in str(again)
    stranger = await engine.refused("urge", UrgeRequest(actor=person("legal_reviewer")))
    assert stranger.type in {errors.CONFLICT, errors.FORBIDDEN}
    async with engine.sessions() as session:
        notes = list(
            await session.scalars(
                select(Notification).where(Notification.process_id == engine.process_id, Notification.kind == "urge")
            )
        )
    assert len(notes) == 1 and notes[0].recipient_role == "marketing_reviewer"
    assert [e.action for e in await engine.history()].count("urged") == 1


async def test_cc_by_declaration_and_by_decider(engine: Engine) -> None:
    spec = chain(
        step("review", role=Role.marketing_reviewer, cc=(Role.auditor,)), step("consent", role=Role.business_vp)
    )
    await engine.start(spec)
    await engine.decide("review", "marketing_reviewer", cc=["legal_reviewer"])
    async with engine.sessions() as session:
        watchers = list(
            await session.scalars(select(ProcessWatcher).where(ProcessWatcher.process_id == engine.process_id))
        )
        notes = list(
            await session.scalars(
                select(Notification).where(Notification.process_id == engine.process_id, Notification.kind == "cc")
            )
        )
    assert sorted((w.role or "", w.username or "") for w in watchers) == [("", "legal_reviewer"), ("auditor", "")]
    assert len(notes) == 2


async def test_leader_chain_up_the_reporting_line(engine: Engine) -> None:
    spec = chain(step("head", leader_level=1), step("next_head", leader_level=2))
    started = await engine.start(spec, "sales_clerk", unit_path=["MKT", "HQ"])
    assert started.holders == ["marketing_manager"]
    assert (await engine.decide("head", "marketing_manager")).holders == ["general_manager"]
    assert (await engine.decide("next_head", "general_manager")).status == "approved"


async def test_leader_gap_skips_or_goes_to_admin(engine: Engine) -> None:
    spec = chain(step("head", leader_level=1), step("top", leader_level=3))  # HQ has nothing above it
    started = await engine.start(spec, "sales_clerk", unit_path=["MKT", "HQ"])
    assert (await engine.decide("head", "marketing_manager")).status == "approved"
    assert started.current_step == "head"
    notes = [e for e in await engine.history() if e.action == "step_note"]
    assert notes and "skipped" in (notes[0].comment or "")

    to_admin = Engine(engine.client, engine.task_queue, engine.sessions)
    started = await to_admin.start(chain(step("top", leader_level=3), leader_gap=LeaderGap.admin), unit_path=["MKT"])
    assert started.holders == ["admin"]


@pytest.mark.rule("000-4-unified-tiered")
async def test_unit_scope_depot_a_cannot_decide_depot_b(engine: Engine) -> None:
    """000 §5: a depot manager acts only for their depot — in the validator, not only the inbox."""
    spec = chain(step("depot_review", role=Role.depot_manager, unit_scope=UnitScope.unit))
    started = await engine.start(spec, "sales_clerk", unit="DEPOT-KF", unit_path=["DEPOT-KF", "HQ"])
    assert started.holders == ["depot_manager@DEPOT-KF"]
    task = await engine.task("depot_review", "depot_manager")
    refusal = await engine.refused("decide", engine.decision(task, "depot_manager"))
    assert refusal.type == errors.FORBIDDEN and "DEPOT-KF" in str(refusal)
    assert (await engine.update("decide", engine.decision(task, "depot_manager_b"))).status == "approved"


# --- step deadlines: the one clock ----------------------------------------------------------------

LADDER = (Role.marketing_manager, Role.business_vp, Role.general_manager)
TIMED = chain(
    step("review", role=Role.marketing_reviewer, due_working_days=2, escalate_to=LADDER),
    step("consent", role=Role.business_vp),
)


async def test_step_due_two_working_days_skips_the_mid_autumn_holiday(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Opened Thursday 2026-09-24 15:00; Friday 09-25 is the Mid-Autumn holiday: due Tuesday 09-29 15:00."""
    from activities.calendar import CalendarActivities
    from workflows.clock import deadline_query

    answer = await CalendarActivities(sessions).working_day_deadline(
        deadline_query(datetime(2026, 9, 24, 15, tzinfo=CHINA), 2, len(LADDER))
    )
    assert answer.deadline == datetime(2026, 9, 29, 15, tzinfo=CHINA) and not answer.provisional
    assert answer.following[0] > answer.deadline  # the next escalation level, two working days on


async def escalations(engine: Engine) -> list[Notification]:
    async with engine.sessions() as session:
        rows = await session.scalars(
            select(Notification)
            .where(Notification.process_id == engine.process_id, Notification.kind == "escalation")
            .order_by(Notification.id)
        )
        return list(rows)


async def test_overdue_step_escalates_once_per_level_by_the_clock_alone(
    engine: Engine, time_env: WorkflowEnvironment
) -> None:
    started = await engine.start(TIMED)
    assert started.due_at is not None
    task = await engine.task("review")
    assert task.due_at == started.due_at and not task.overdue
    await time_env.sleep(started.due_at - await time_env.get_current_time() + timedelta(minutes=1))
    assert [n.recipient_role for n in await escalations(engine)] == ["marketing_manager"]
    task = await engine.task("review")
    assert task.overdue and task.escalation_level == 1
    supervision = await engine.task("supervise_review")
    assert supervision.role == "marketing_manager"
    await time_env.sleep(timedelta(days=30))  # every further level, each exactly once
    assert [n.recipient_role for n in await escalations(engine)] == [r.value for r in LADDER]
    reminders = [e for e in await engine.history() if e.action == "reminder"]
    assert len(reminders) == 1
    # The supervisor acknowledges from the inbox; deciding the step closes every supervision task.
    acknowledged = await engine.decide("supervise_review", "marketing_manager", comment="已督办")
    # The answer names every task still open: the step's and the other levels' 督办 (issue 20 item 18).
    still_open = await engine.tasks()
    assert sorted(acknowledged.open_task_ids) == sorted(t.task_id for t in still_open)
    assert set(acknowledged.holders) == {"marketing_reviewer", *(r.value for r in LADDER[1:])}
    assert (await engine.decide("review", "marketing_reviewer")).current_step == "consent"
    assert [t.step for t in await engine.tasks()] == ["consent"]
    assert engine.handle is not None
    record_history("engine_step_escalated_three_levels", await engine.handle.fetch_history())


async def test_step_decided_in_time_never_escalates(engine: Engine, time_env: WorkflowEnvironment) -> None:
    await engine.start(TIMED)
    await engine.decide("review", "marketing_reviewer")
    await time_env.sleep(timedelta(days=20))
    assert await escalations(engine) == []


async def test_step_escalation_once_across_a_worker_restart(
    time_env: WorkflowEnvironment, sessions: async_sessionmaker[AsyncSession]
) -> None:
    worker = WorkerControl(time_env.client, f"restart-{uuid.uuid4()}", sessions, cache=False)
    await worker.start()
    engine = Engine(time_env.client, worker.task_queue, sessions)
    try:
        started = await engine.start(TIMED)
        assert started.due_at is not None
        await time_env.sleep(started.due_at - await time_env.get_current_time() - timedelta(minutes=30))
        await worker.stop()
        await worker.start()
        await time_env.sleep(timedelta(minutes=31))
        await worker.stop()
        await worker.start()
        await time_env.sleep(timedelta(hours=1))
        assert [n.recipient_role for n in await escalations(engine)] == ["marketing_manager"]
    finally:
        await worker.stop()


async def test_provisional_deadline_replanned_when_the_year_is_entered(
    engine: Engine, time_env: WorkflowEnvironment
) -> None:
    """A deadline counted into a year with no official schedule is provisional; once the administrator
    enters that year, the calendar change signals the process and the running timer moves."""
    from db.models import CalendarDay, CalendarYear
    from domain.models import CalendarChanged

    spec = chain(step("review", role=Role.marketing_reviewer, due_working_days=40, escalate_to=LADDER))
    started = await engine.start(spec)
    task = await engine.task("review")
    assert started.due_at is not None and started.due_at.year == 2027 and task.due_provisional
    now = datetime.now(UTC)
    holidays = [date(2027, 1, 1), *(date(2027, 2, d) for d in range(8, 13))]  # 元旦, 春节 (entered by the admin)
    async with engine.sessions.begin() as session:
        session.add(CalendarYear(year=2027, source="国办发明电〔2026〕X号", updated_by="admin", updated_at=now))
        for day in holidays:
            session.add(CalendarDay(day=day, is_working_day=False, note="holiday", updated_by="admin", updated_at=now))
    try:
        assert engine.handle is not None
        await engine.handle.signal("calendar_changed", CalendarChanged(years=[2027], changed_by="admin"))
        moved = await engine.update("current")
        assert moved.due_at is not None and moved.due_at > started.due_at
        task = await engine.task("review")
        assert task.due_at == moved.due_at and not task.due_provisional
        entries = await engine.history()
        replans = [e for e in entries if e.action == "deadline_replanned"]
        assert len(replans) == 1 and str(started.due_at.date()) in (replans[0].comment or "")
        assert any(e.action == "calendar_changed" for e in entries)
        # The old moment passes quietly; the new one escalates.
        await time_env.sleep(started.due_at - await time_env.get_current_time() + timedelta(minutes=1))
        assert await escalations(engine) == []
        await time_env.sleep(moved.due_at - await time_env.get_current_time() + timedelta(minutes=1))
        assert [n.recipient_role for n in await escalations(engine)] == ["marketing_manager"]
    finally:
        async with engine.sessions.begin() as session:
            await session.execute(delete(CalendarDay).where(CalendarDay.day.in_(holidays)))
            await session.execute(delete(CalendarYear).where(CalendarYear.year == 2027))
