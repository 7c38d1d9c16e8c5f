"""Who leads the filer: the reporting line the API freezes into a chain with a leader step (002
rule 1 borrowing, 004 §4 (一) survey)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from activities.process_store import unit_path
from db.models import OrgUnit
from domain.approvals import leader_level_above
from domain.models import Actor


async def reporting_line(session: AsyncSession, actor: Actor) -> tuple[list[str], int]:
    """The actor's unit and those above it (nearest first), and the level of the first head who is
    not the actor: their department leader."""
    path = await unit_path(session, actor.unit)
    rows = await session.execute(select(OrgUnit.code, OrgUnit.head).where(OrgUnit.code.in_(path)))
    heads = {code: head for code, head in rows.all()}
    return path, leader_level_above(actor.username, [heads.get(unit) for unit in path])
