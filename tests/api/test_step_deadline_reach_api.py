"""Step-deadline versions only where they truly apply (issue 21 §3, 000 §16; domain/step_deadlines.py):
a change for a process type no start pins, or for a step whose due the process sets itself, is
refused naming it and changes nothing; such a type has no version "in force"; and a version that
could not apply (one approved before these were refused) is never named in a history."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import Process, StepDeadlineVersion
from domain.rule_change import PROCESS_TYPE
from tests.api.test_step_deadline_versions import P, applied, change, count, open_task, today, versions
from tests.api.test_visits_api import this_month
from tests.support import Api
from tests.workflows.test_grading import new_customer

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.mark.parametrize(
    ("process_type", "step", "named"),
    [
        ("credit_review", "assessment", ["credit_review", "carries no chain"]),
        ("complaint_extension", "manager_extension", ["complaint_extension", "workflows/complaint.py"]),
        ("visit_report", "report", ["visit_report", "started by its plan's workflow"]),
        ("big_customer_meeting", "minutes", ["big_customer_meeting", "schedule"]),
        ("grading", "score", ["grading", "grading clock"]),
        ("visit_plan", "manager_approval", ["visit_plan", "manager_approval", "before its month"]),
        ("development_plan", "vp_approval", ["development_plan", "vp_approval", "before its month"]),
    ],
)
async def test_a_version_no_process_could_apply_is_refused_and_changes_nothing(
    api: Api, sessions: async_sessionmaker[AsyncSession], process_type: str, step: str, named: list[str]
) -> None:
    drafts, written = await count(sessions, Process.process_type == PROCESS_TYPE), await versions(sessions)
    body = change({step: {"due_working_days": 3}}, process_type)
    response = await api.post(f"{P}/rule-changes", "marketing_manager", json=body)
    assert response.status_code == 422, response.text
    assert all(word in response.text for word in [*named, "000 §16"]), response.text
    assert await count(sessions, Process.process_type == PROCESS_TYPE) == drafts
    assert await versions(sessions) == written

    in_force = await api.get(f"{P}/step-deadlines/{process_type}", "auditor")  # no version is "in force"
    assert in_force.status_code == 404 and process_type in in_force.text and "000 §16" in in_force.text


async def test_a_type_every_start_of_which_pins_is_still_read_and_changed(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    assert (await api.get(f"{P}/step-deadlines/research_note", "auditor")).status_code == 200
    assert (await api.get(f"{P}/step-deadlines/onboarding", "sales_clerk")).status_code == 200
    body = change({"manager_approval": {"due_working_days": 3}}, "research_note")
    response = await api.post(f"{P}/rule-changes", "marketing_manager", json=body)
    assert response.status_code == 201, response.text
    written = await versions(sessions)
    rejected = await api.decide("business_vp", response.json()["process_id"], "reject", "只验证可起草")
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected", rejected.text
    assert await versions(sessions) == written  # drafted, never approved: nothing takes effect


async def test_a_visit_plan_never_names_a_version_its_month_bound_due_overrides(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """A version for the plan's step, approved before such versions were refused: the plan is due
    before its month as always (000 §12), and its history names no step-deadlines version."""
    async with sessions.begin() as session:
        number = int(await session.scalar(select(func.max(StepDeadlineVersion.version))) or 0) + 1
        session.add(
            StepDeadlineVersion(
                version=number,
                process_type="visit_plan",
                effective_from=today(),
                steps={"manager_approval": {"due_working_days": 40, "remind_before_hours": None}},
                changed_by="general_manager",
                changed_at=datetime.now(UTC),
                reason="approved before versions for a month-bound step were refused",
                process_id=None,
            )
        )
    try:
        customer = await new_customer(sessions, datetime.now(UTC))
        month, day, _ = this_month()
        visit = {"customer_id": customer.id, "planned_on": day.isoformat(), "purpose": "走访"}
        plan = await api.post(f"{P}/visit-plans", "sales_clerk", json={"month": month, "visits": [visit]})
        assert plan.status_code == 201, plan.text
        process_id = plan.json()["process_id"]
        await open_task(sessions, process_id)
        assert await applied(api, process_id) == []
        decided = await api.decide("marketing_manager", process_id, "approve")
        assert decided.status_code == 200, decided.text
        assert await applied(api, process_id) == []
    finally:
        async with sessions.begin() as session:
            await session.execute(delete(StepDeadlineVersion).where(StepDeadlineVersion.version == number))
