"""Step deadlines as a versioned rule (issue 21 §3, 新老划断; domain/step_deadlines.py): a change names
a declared chain and its steps, is approved like every rule change (business VP, general manager),
and times the processes started from its effective day on; a process started before keeps the
deadline it started with, and each history names the version it runs under (or none).

The research notes (000 §15) are the process type changed here: no later test of the session's
database files one, so the new version reaches no other test.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from activities.calendar import load_calendar
from activities.rule_store import pinned_version, step_deadlines_in_force
from api.what_if_reads import reach
from db.models import Process, StepDeadlineVersion, Task
from domain.china_time import china_day, china_iso
from domain.rule_change import PROCESS_TYPE, RuleKind, StepDeadlinesChange
from domain.step_deadlines import StepDeadlinesIn, StepTiming
from settings import Settings
from tests.api.test_credit_application_api import approve_all
from tests.support import Api, record_history
from workflows.grading import CHINA

pytestmark = pytest.mark.asyncio(loop_scope="session")
P = "/api/v1"
TYPE = "research_note"
STEP = "manager_approval"
DECLARED_DAYS = Settings.model_fields["research_note_working_days"].default  # the chain as configured


def today() -> date:
    return datetime.now(CHINA).date()


def change(steps: dict[str, Any], process_type: str = TYPE, effective_from: date | None = None) -> dict[str, Any]:
    payload = {
        "process_type": process_type,
        "steps": steps,
        "effective_from": (effective_from or today()).isoformat(),
        "reason": "调研审阅时限调整",
    }
    return {"rule": "step_deadlines", "payload": payload}


async def file_note(api: Api) -> dict[str, Any]:
    body = {
        "month": today().strftime("%Y-%m"),
        "area": "郑州东区",
        "findings": "物流客户用油增加",
        "customers_contacted": 3,
    }
    filed = await api.post(f"{P}/research-notes", "sales_clerk", json=body)
    assert filed.status_code == 201, filed.text
    note: dict[str, Any] = filed.json()
    assert note["current_step"] == STEP
    return note


async def open_task(sessions: async_sessionmaker[AsyncSession], process_id: str) -> Task:
    async with sessions() as session:
        task = await session.scalar(select(Task).where(Task.process_id == process_id, Task.status == "open"))
    assert task is not None and task.due_at is not None
    return task


async def due_day(sessions: async_sessionmaker[AsyncSession], task: Task, working_days: int) -> date:
    """The day a step opened with `task` falls due in `working_days`, on the workflows' calendar."""
    async with sessions() as session:
        calendar = await load_calendar(session)
    opened = task.created_at if task.created_at.tzinfo else task.created_at.replace(tzinfo=UTC)
    return china_day(calendar.add_working_days(opened, working_days).deadline)


async def applied(api: Api, process_id: str) -> list[str]:
    response = await api.get(f"{P}/processes/{process_id}/history", "auditor")
    assert response.status_code == 200, response.text
    return [e["outcome"] for e in response.json() if e["action"] == "rule_applied"]


async def count(sessions: async_sessionmaker[AsyncSession], *where: Any) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Process).where(*where)) or 0)


async def versions(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(StepDeadlineVersion)) or 0)


@pytest.mark.parametrize(
    ("body", "named"),
    [
        (change({STEP: {"due_working_days": 2}}, "no_such_process"), ["no_such_process", "000 §16"]),
        (change({"ghost_step": {"due_working_days": 2}}), ["ghost_step", STEP, "000 §16"]),
        (change({STEP: {"due_working_days": 0}}), ["due_working_days"]),
        (change({STEP: {"due_working_days": 131}}), ["due_working_days"]),
        (change({STEP: {"due_working_days": 2, "remind_before_hours": -1}}), ["remind_before_hours"]),
        (change({}), ["steps"]),
        (change({STEP: {"due_working_days": 2}}, "x" * 41), ["process_type"]),
        (change({STEP: {"due_working_days": 2}}, effective_from=today() - timedelta(days=1)), ["000 §16"]),
    ],
)
async def test_a_step_deadlines_change_names_a_declared_chain_and_its_steps(
    api: Api, sessions: async_sessionmaker[AsyncSession], body: dict[str, Any], named: list[str]
) -> None:
    """422 naming the unknown process type or step, a figure out of bounds or a past date; no
    rule-change process starts and no version is written."""
    drafts, written = await count(sessions, Process.process_type == PROCESS_TYPE), await versions(sessions)
    response = await api.post(f"{P}/rule-changes", "marketing_manager", json=body)
    assert response.status_code == 422, response.text
    assert all(word in response.text for word in named), response.text
    assert await count(sessions, Process.process_type == PROCESS_TYPE) == drafts
    assert await versions(sessions) == written


async def test_a_note_filed_before_a_deadline_change_keeps_its_deadline(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """新老划断: the note filed before the change stays due on the configured days; the one filed
    after the approval is due on the new version's days; each history names its version (or none)."""
    async with sessions() as session:
        before = await step_deadlines_in_force(session, TYPE, today())
    old = await file_note(api)
    old_task = await open_task(sessions, old["process_id"])
    before_days = before.steps[STEP].due_working_days if before else DECLARED_DAYS
    assert china_day(old_task.due_at) == await due_day(sessions, old_task, before_days)  # type: ignore[arg-type]

    new_days = before_days + 8
    timing = {STEP: {"due_working_days": new_days, "remind_before_hours": 6}}
    drafted = await api.post(f"{P}/rule-changes", "marketing_manager", json=change(timing))
    assert drafted.status_code == 201, drafted.text
    done = await approve_all(api, drafted.json()["process_id"], "business_vp", "general_manager")
    assert done["status"] == "approved"
    async with sessions() as session:
        version = await session.scalar(
            select(StepDeadlineVersion).where(StepDeadlineVersion.process_id == drafted.json()["process_id"])
        )
    assert version is not None and (version.process_type, version.effective_from) == (TYPE, today())
    assert version.steps == {STEP: {"due_working_days": new_days, "remind_before_hours": 6.0}}
    [listed] = (await api.get(f"{P}/rule-changes", "auditor", params={"rule": "step_deadlines", "limit": 1})).json()
    assert (listed["status"], listed["version"]) == ("effective", version.version)
    read = (await api.get(f"{P}/step-deadlines/{TYPE}", "sales_clerk")).json()  # everyone reads the rules
    assert (read["version"], read["effective_from"], read["steps"]) == (
        version.version,
        today().isoformat(),
        {STEP: {"due_working_days": new_days, "remind_before_hours": 6.0}},
    )
    yesterday = await api.get(f"{P}/step-deadlines/{TYPE}", "auditor", params={"on": str(today() - timedelta(1))})
    assert yesterday.status_code == 200 and yesterday.json()["version"] != version.version  # not before its day
    unknown = await api.get(f"{P}/step-deadlines/no_such_process", "auditor")
    assert unknown.status_code == 404 and "000 §16" in unknown.text, unknown.text

    new = await file_note(api)
    new_task = await open_task(sessions, new["process_id"])
    assert china_day(new_task.due_at) == await due_day(sessions, new_task, new_days)  # type: ignore[arg-type]
    assert (await open_task(sessions, old["process_id"])).due_at == old_task.due_at  # never moved

    assert await applied(api, old["process_id"]) == ([f"step_deadlines v{before.version}"] if before else [])
    assert await applied(api, new["process_id"]) == [f"step_deadlines v{version.version}"]
    async with sessions() as session:
        assert await pinned_version(session, new["process_id"], RuleKind.step_deadlines) == version.version

    for note in (old, new):  # both end under the deadline they started with
        decided = await api.decide("marketing_manager", note["process_id"], "approve")
        assert decided.status_code == 200 and decided.json()["status"] == "approved", decided.text
    assert await applied(api, new["process_id"]) == [f"step_deadlines v{version.version}"]
    process = (await api.get(f"{P}/processes/{new['process_id']}", "auditor")).json()
    handle = api.worker.client.get_workflow_handle(process["workflow_id"], run_id=new["process_id"])
    record_history("research_note_step_deadlines_pinned", await handle.fetch_history())


async def test_what_if_lists_the_open_notes_already_overdue_under_a_candidate(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """The candidate's reach: every open note, and which would already be past the candidate's
    deadline (the step named, with its new due date); nothing is written or moved."""
    stale, fresh = await file_note(api), await file_note(api)
    opened = datetime.now(UTC) - timedelta(days=40)
    async with sessions.begin() as session:  # the stale note's step opened forty days ago
        await session.execute(update(Task).where(Task.process_id == stale["process_id"]).values(created_at=opened))
    stale_task = await open_task(sessions, stale["process_id"])
    due_before = (stale_task.due_at, (await open_task(sessions, fresh["process_id"])).due_at)
    drafts, written = await count(sessions, Process.process_type == PROCESS_TYPE), await versions(sessions)

    def candidate(days: int) -> StepDeadlinesChange:
        steps = {STEP: StepTiming(due_working_days=days)}
        return StepDeadlinesChange(
            payload=StepDeadlinesIn(effective_from=today(), process_type=TYPE, steps=steps, reason="what if")
        )

    async with sessions() as session:
        tight = await reach(session, candidate(5))
        generous = await reach(session, candidate(130))
        calendar = await load_calendar(session)
    reached = {p.process_id: p for p in tight.processes}
    assert {stale["process_id"], fresh["process_id"]} <= set(reached)
    assert {p.process_type for p in tight.processes} == {TYPE}
    assert all(p.status in ("running", "returned") for p in tight.processes)
    due = calendar.add_working_days(opened, 5).deadline
    assert reached[stale["process_id"]].would_fail == [
        f"step {STEP} would be overdue: due {china_iso(due)} under 5 working days (000 §16)"
    ]
    assert reached[fresh["process_id"]].would_fail == []
    assert [p.would_fail for p in generous.processes if p.process_id == stale["process_id"]] == [[]]
    assert tight.rule == "step_deadlines" and tight.effective_from == today()

    assert (await count(sessions, Process.process_type == PROCESS_TYPE), await versions(sessions)) == (drafts, written)
    assert (
        (await open_task(sessions, stale["process_id"])).due_at,
        (await open_task(sessions, fresh["process_id"])).due_at,
    ) == due_before
    for note in (stale, fresh):
        decided = await api.decide("marketing_manager", note["process_id"], "approve")
        assert decided.status_code == 200, decided.text
