"""The dashboard and the auditors' search read indexes, not every row (issue 23 "Speed", migration
0031, 0034): with 100,000 open tasks the dashboard's late-task counts read each open task's row and
its case's, a month of decisions was found by skipping through the 已办 index, and the search sorted every
readable process to cut its first page (benchmarks/pages.py). SQLite's own plan of the statements the
real services send says which index each reads."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from api.services.dashboard import dashboard
from api.services.processes import ProcessFilters, search_processes
from api.visibility.viewer import Viewer
from db.migrate import upgrade
from db.session import make_engine, make_sessionmaker
from domain.models import Actor
from domain.roles import Role

pytestmark = pytest.mark.asyncio(loop_scope="session")

AUDITOR = Viewer(Actor(username="auditor", roles=[Role.auditor], unit="AUDIT"))
DEPOT_MANAGER = Viewer(Actor(username="depot_manager", roles=[Role.depot_manager], unit="DEPOT-ZZ"))


@pytest_asyncio.fixture(loop_scope="session")
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    url = f"sqlite:///{tmp_path / 'plans.db'}"
    upgrade(url)
    created = make_engine(url)
    yield created
    await created.dispose()


async def plans_of(engine: AsyncEngine, call: Any) -> list[tuple[str, list[str]]]:
    """Each statement `call(session)` sends, with SQLite's plan of it (its own parameters bound)."""
    sent: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        sent.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        async with make_sessionmaker(engine)() as session:
            await call(session)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
    planned = []
    async with engine.connect() as connection:
        for statement, parameters in sent:
            rows = await connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            planned.append((statement, [row[-1] for row in rows]))
    return planned


def plan_of(planned: list[tuple[str, list[str]]], *marks: str) -> list[str]:
    (plan,) = [plan for statement, plan in planned if all(mark in statement for mark in marks)]
    return plan


async def test_the_dashboard_reads_covering_indexes(engine: AsyncEngine) -> None:
    for viewer in (AUDITOR, DEPOT_MANAGER):
        planned = await plans_of(engine, lambda session, v=viewer: dashboard(session, v))
        late = plan_of(planned, "UNION ALL", "tasks.overdue")
        # each branch (flagged; not flagged and past due) a range of the covering index, no table scan
        assert sum("COVERING INDEX ix_tasks_late (status=? AND overdue=?" in step for step in late) == 2, late
        assert any("overdue=? AND due_at<?" in step for step in late), late
        assert not [step for step in late if step.startswith("SCAN tasks")], late
        decided = plan_of(planned, "julianday")
        assert any("COVERING INDEX ix_tasks_decided_at" in step for step in decided), decided
        # a head-office seat's task counts under its case's unit, copied onto it: no case is read
        assert not [step for step in late + decided if "processes" in step], (late, decided)
    unit_planned = await plans_of(engine, lambda session: dashboard(session, DEPOT_MANAGER))
    unit_cases = plan_of(unit_planned, "GROUP BY processes")
    assert any("ix_processes_unit_status" in step for step in unit_cases), unit_cases


async def test_the_search_reads_its_order_from_the_index(engine: AsyncEngine) -> None:
    first_page = ProcessFilters(limit=51)
    for viewer in (AUDITOR, DEPOT_MANAGER):
        planned = await plans_of(engine, lambda session, v=viewer: search_processes(session, v, first_page))
        search = plan_of(planned, "ORDER BY processes.started_at DESC, processes.process_id DESC")
        assert any("ix_processes_started_at" in step for step in search), search
        assert not [step for step in search if "TEMP B-TREE" in step and "ORDER BY" in step], search
