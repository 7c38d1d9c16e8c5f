"""The decision path's shortcut (`holds_task`, a loaded row) says exactly what the inbox rule
(`task_is_mine`, SQL) says, for every combination of who holds, who claimed, which role and which
unit — so deciding one's own task skips the readability query without widening who may act."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.visibility import Viewer, holds_task, task_is_mine
from db.models import Task
from domain.models import Actor
from domain.roles import Role
from tests.inbox_support import Rows, add_unit

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest_asyncio.fixture(loop_scope="session")
async def rows(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[Rows]:
    written = Rows(sessions)
    yield written
    await written.close_all()


async def test_holds_task_agrees_with_the_sql_rule(sessions: async_sessionmaker[AsyncSession], rows: Rows) -> None:
    depot = await add_unit(sessions)
    station = await add_unit(sessions, parent=depot, kind="station")
    other = await add_unit(sessions)
    me = Actor(username="holder_me", roles=[Role.depot_manager, Role.finance_reviewer], unit=depot)
    viewers = [
        Viewer(me, units_below=(station,)),
        Viewer(me.model_copy(update={"unit": None})),
        Viewer(Actor(username="holder_other", roles=[Role.station_manager], unit=station)),
    ]
    people = (None, "holder_me", "holder_other")
    roles = [r.value for r in (Role.depot_manager, Role.finance_reviewer, Role.station_manager, Role.legal_reviewer)]
    tasks = []
    for assignee, claimed, role, unit, parents in itertools.product(
        people, people, roles, (None, depot, station, other), (False, True)
    ):
        tasks.append(
            await rows.task(assignee=assignee, claimed_by=claimed, role=role, unit_code=unit, unit_parents=parents)
        )
    ids = [t.task_id for t in tasks]
    async with sessions() as session:
        for viewer in viewers:
            mine = set(await session.scalars(select(Task.task_id).where(Task.task_id.in_(ids), task_is_mine(viewer))))
            disagree = [t.task_id for t in tasks if holds_task(viewer, t) != (t.task_id in mine)]
            assert not disagree, (viewer.actor.username, viewer.actor.unit, disagree[:5])
            assert mine  # the combinations do reach the rule's every branch for somebody
