"""An application whose data the database refuses: the submitter hears so, the process shows
`failed`, an administrator repairs it over `POST /processes/{id}/repair` (issue 10 §2).

The refusal comes from the database itself on both engines: a trigger, standing in for a
constraint a DBA added, refuses the process row of one customer name (only while the row is
not marked failed). Dropping it is the fix a `resume` retries after; a clean re-application of
the same customer is what an `abandon` must let through.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import Notification, Process
from tests.api.test_onboarding import CHAIN
from tests.support import Api, application, random_credit_code

pytestmark = pytest.mark.asyncio(loop_scope="session")


@asynccontextmanager
async def refusing(
    sessions: async_sessionmaker[AsyncSession], name: str, *, table: str = "processes", column: str = "subject"
) -> AsyncIterator[str]:
    """While inside, the database refuses a row of `table` whose `column` is `name` (a process row
    only while it is not marked failed)."""
    tag = f"refuse_{uuid.uuid4().hex[:10]}"
    unless_failed = " AND NEW.status <> 'failed'" if table == "processes" else ""
    async with sessions.begin() as session:
        if session.get_bind().dialect.name == "postgresql":
            await session.execute(
                text(
                    f"CREATE FUNCTION {tag}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                    f"RAISE EXCEPTION 'refused by {tag}' USING ERRCODE = 'check_violation'; END $$"
                )
            )
            await session.execute(
                text(
                    f"CREATE TRIGGER {tag} BEFORE INSERT OR UPDATE ON {table} FOR EACH ROW "
                    f"WHEN (NEW.{column} = '{name}'{unless_failed}) EXECUTE FUNCTION {tag}()"
                )
            )
        else:
            for event in ("INSERT", "UPDATE"):
                await session.execute(
                    text(
                        f"CREATE TRIGGER {tag}_{event.lower()} BEFORE {event} ON {table} "
                        f"WHEN NEW.{column} = '{name}'{unless_failed} "
                        f"BEGIN SELECT RAISE(ABORT, 'refused by {tag}'); END"
                    )
                )
    try:
        yield tag
    finally:
        await lift(sessions, tag, table)


async def lift(sessions: async_sessionmaker[AsyncSession], tag: str, table: str = "processes") -> None:
    """The administrator's fix: the constraint is gone (dropping twice is harmless)."""
    async with sessions.begin() as session:
        if session.get_bind().dialect.name == "postgresql":
            await session.execute(text(f"DROP TRIGGER IF EXISTS {tag} ON {table}"))
            await session.execute(text(f"DROP FUNCTION IF EXISTS {tag}()"))
        else:
            for event in ("insert", "update"):
                await session.execute(text(f"DROP TRIGGER IF EXISTS {tag}_{event}"))


async def failed_process(sessions: async_sessionmaker[AsyncSession], name: str) -> Process:
    async with sessions() as session:
        process = await session.scalar(select(Process).where(Process.subject == name))
    assert process is not None
    return process


def poisoned_name() -> str:
    return f"郑州拒收测试{uuid.uuid4().hex[:8]}有限公司"


async def test_refused_application_fails_visibly_and_abandon_frees_the_customer(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    name, code = poisoned_name(), random_credit_code()
    async with refusing(sessions, name):
        submitted = await api.submit(body=application(code, name=name))
        assert submitted.status_code == 409, submitted.text
        assert "administrator" in submitted.json()["detail"]
        process = await failed_process(sessions, name)
        process_id = process.process_id

        shown = (await api.get(f"/api/v1/processes/{process_id}", "admin")).json()
        assert shown["status"] == "failed"
        assert shown["failure_reason"].startswith("IntegrityError") and shown["failed_at"]
        task = await api.task_for("admin", process_id)  # the repair task is in the admin's inbox
        assert task["step"] == "repair_store"
        async with sessions() as session:
            kinds = list(await session.scalars(select(Notification.kind).where(Notification.process_id == process_id)))
        assert kinds == ["store_failed"]

        again = await api.submit(body=application(code))
        assert again.status_code == 409, again.text  # the failed process still holds the customer
        by_clerk = await api.post(
            f"/api/v1/processes/{process_id}/repair", "sales_clerk", json={"action": "abandon", "reason": "x"}
        )
        assert by_clerk.status_code in (403, 404), by_clerk.text

        abandoned = await api.post(
            f"/api/v1/processes/{process_id}/repair",
            "admin",
            json={"action": "abandon", "reason": "name carries a refused marker; clerk re-files"},
        )
        assert abandoned.status_code == 200, abandoned.text
        assert abandoned.json()["status"] == "failed"
        history = (await api.get(f"/api/v1/processes/{process_id}/history", "admin")).json()
        actions = {entry["action"]: entry for entry in history}
        assert actions["store_failed"]["comment"].startswith("IntegrityError")
        decision = actions["repair_abandon"]
        assert decision["actor"] == "admin" and decision["comment"].startswith("name carries")

    refiled = await api.submit(body=application(code))
    assert refiled.status_code == 201, refiled.text
    assert ((await failed_process(sessions, name)).failure_reason or "").startswith("abandoned by admin")


async def test_resume_after_the_fix_carries_the_application_on(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    name = poisoned_name()
    async with refusing(sessions, name) as tag:
        submitted = await api.submit(body=application(name=name))
        assert submitted.status_code == 409, submitted.text
        process_id = (await failed_process(sessions, name)).process_id
        early = await api.post(
            f"/api/v1/processes/{process_id}/repair", "admin", json={"action": "resume", "reason": "try again"}
        )
        assert early.status_code == 200, early.text
        assert early.json()["status"] == "failed"  # refused again: a new repair task waits

        await lift(sessions, tag)
        resumed = await api.post(
            f"/api/v1/processes/{process_id}/repair", "admin", json={"action": "resume", "reason": "constraint fixed"}
        )
        assert resumed.status_code == 200, resumed.text
        assert resumed.json()["status"] == "running"

    shown = (await api.get(f"/api/v1/processes/{process_id}", "admin")).json()
    assert (shown["status"], shown["current_step"], shown["failure_reason"]) == ("running", "marketing_review", None)
    assert (await api.task_for("marketing_reviewer", process_id))["step"] == "marketing_review"
    decided = await api.decide("marketing_reviewer", process_id, "approve", "ok")
    assert decided.status_code == 200, decided.text


async def test_a_refused_customer_creation_waits_for_repair_then_completes(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """The last step's regular store activity takes the same path: the GM approves, the database
    refuses the customer row, the admin lifts the refusal and resumes. (A credit code taken
    meanwhile is no refusal: creation links to the existing customer.)"""
    code = random_credit_code()
    submitted = await api.submit(body=application(code))
    assert submitted.status_code == 201, submitted.text
    process_id = submitted.json()["process_id"]
    for user, step in CHAIN[:-1]:
        decided = await api.decide(user, process_id, "approve", f"{step} ok")
        assert decided.status_code == 200, decided.text
    async with refusing(sessions, code, table="customers", column="credit_code") as tag:
        final = await api.decide(CHAIN[-1][0], process_id, "approve", "gm ok")
        assert final.status_code == 409, final.text
        shown = (await api.get(f"/api/v1/processes/{process_id}", "admin")).json()
        assert shown["status"] == "failed" and f"refused by {tag}" in shown["failure_reason"]
        await lift(sessions, tag, "customers")
        resumed = await api.post(
            f"/api/v1/processes/{process_id}/repair", "admin", json={"action": "resume", "reason": "constraint lifted"}
        )
    assert resumed.status_code == 200, resumed.text
    assert resumed.json()["status"] == "running"
    shown = (await api.get(f"/api/v1/processes/{process_id}", "admin")).json()
    assert shown["status"] == "approved" and shown["customer_id"] is not None
