"""The managers' dashboard (issue 23 "Managers"): the service's figures over known rows, and
`GET /api/v1/dashboard` as the right users and the wrong ones — on SQLite and PostgreSQL. A depot
manager counts their depot and the station below it, never the other depot; the auditor counts both;
a clerk is refused with 403 naming the article."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.services.dashboard import dashboard
from api.visibility import viewer_for
from domain.models import Actor
from domain.roles import Role
from tests.dashboard_support import World, build_world
from tests.inbox_support import Rows, api_without_temporal
from tests.support import Api

pytestmark = pytest.mark.asyncio(loop_scope="session")

URL = "/api/v1/dashboard"


@pytest_asyncio.fixture(loop_scope="session")
async def web(sessions: async_sessionmaker[AsyncSession], database_url: str) -> AsyncIterator[Api]:
    async with api_without_temporal(sessions, database_url) as api:
        yield api


@pytest_asyncio.fixture(loop_scope="session")
async def world(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[World]:
    rows = Rows(sessions)
    yield await build_world(sessions, rows)
    await rows.close_all()


def mine(figures: dict[str, Any], world: World) -> dict[str, Any]:
    """The figures of the test's own rows: its process type, its units."""
    units = {world.unit_a, world.station_a1, world.unit_b}
    return {
        "open": {
            row["process_type"]: row["count"] for row in figures["open_cases"] if row["process_type"] == world.kind
        },
        "overdue": {
            (row["unit_code"], row["step"]): row["count"]
            for row in figures["overdue_tasks"]
            if row["process_type"] == world.kind and row["unit_code"] in units
        },
        "times": [
            (row["step"], row["decided"], row["average_hours"])
            for row in figures["decision_times"]
            if row["process_type"] == world.kind
        ],
    }


async def test_a_depot_manager_counts_their_depot_and_the_station_below_it(web: Api, world: World) -> None:
    response = await web.get(URL, world.manager_a)
    assert response.status_code == 200, response.text
    figures = response.json()
    assert figures["month"] == world.month and figures["company_wide"] is False
    assert figures["as_of"].endswith("+08:00")
    ours = mine(figures, world)
    assert ours["open"] == {world.kind: 3}  # two running in A, one returned in A1; the approved one is closed
    assert ours["overdue"] == {(world.unit_a, "review"): 2}  # B's is not theirs
    assert ours["times"] == [("review", 3, 20.0)]  # 10 h, 20 h, 30 h this month; last month's left out
    # Only their own units' rows exist for them: nothing of B, nothing of other tests' units.
    assert {row["unit_code"] for row in figures["overdue_tasks"]} == {world.unit_a}
    assert figures["complaints"] == {
        "month": world.month,
        "received": 3,
        "closed": 2,
        "closed_on_time": 1,
        "on_time_rate": 0.5,
    }
    assert figures["customers_by_grade"] == [{"key": "A", "count": 1}, {"key": "C", "count": 2}]
    assert figures["customers_by_risk"] == [
        {"key": "low", "count": 1},
        {"key": "high", "count": 1},
        {"key": "none", "count": 1},
    ]


async def test_the_other_depots_manager_never_sees_the_first_depots_counts(web: Api, world: World) -> None:
    figures = (await web.get(URL, world.manager_b)).json()
    ours = mine(figures, world)
    assert ours["open"] == {world.kind: 1}
    assert ours["overdue"] == {(world.unit_b, "review"): 1}
    assert ours["times"] == []
    assert (figures["complaints"]["received"], figures["complaints"]["on_time_rate"]) == (1, 1.0)
    assert figures["customers_by_grade"] == [{"key": "A", "count": 1}]
    assert figures["customers_by_risk"] == [{"key": "low", "count": 1}]


async def test_the_auditor_counts_every_unit(web: Api, world: World) -> None:
    figures = (await web.get(URL, world.auditor)).json()
    assert figures["company_wide"] is True
    ours = mine(figures, world)
    assert ours["open"] == {world.kind: 4}
    assert ours["overdue"] == {(world.unit_a, "review"): 2, (world.unit_b, "review"): 1}
    assert ours["times"] == [("review", 3, 20.0)]
    assert figures["complaints"]["received"] >= 4 and figures["complaints"]["closed_on_time"] >= 2


@pytest.mark.parametrize("who", ["clerk_a", "sales_clerk", "finance_reviewer", "admin", "legal_reviewer"])
async def test_a_user_who_is_no_manager_leader_or_auditor_is_refused(web: Api, world: World, who: str) -> None:
    username = getattr(world, who, who)
    response = await web.get(URL, username)
    assert response.status_code == 403, response.text
    assert "000 §5" in response.text and "total" not in response.text


@pytest.mark.parametrize("role", [Role.marketing_manager, Role.business_vp, Role.general_manager, Role.auditor])
async def test_head_office_managers_and_leaders_see_the_whole_company(
    sessions: async_sessionmaker[AsyncSession], world: World, role: Role
) -> None:
    async with sessions() as session:
        viewer = await viewer_for(session, Actor(username=f"someone_{role.value}", roles=[role], unit="MKT"))
        figures = await dashboard(session, viewer)
    assert figures.company_wide
    assert [row.count for row in figures.open_cases if row.process_type == world.kind] == [4]


async def test_a_station_manager_sees_their_station_not_the_depot_above_it(
    sessions: async_sessionmaker[AsyncSession], world: World
) -> None:
    """000 §5: the units below, never the one above."""
    async with sessions() as session:
        viewer = await viewer_for(
            session, Actor(username="someone", roles=[Role.station_manager], unit=world.station_a1)
        )
        figures = await dashboard(session, viewer)
    assert [row.count for row in figures.open_cases if row.process_type == world.kind] == [1]
    assert figures.overdue_tasks == [] and figures.decision_times == []
    assert (figures.complaints.received, figures.complaints.closed_on_time, figures.complaints.on_time_rate) == (
        1,
        0,
        0.0,
    )
    assert [(row.key, row.count) for row in figures.customers_by_risk] == [("none", 1)]
