"""Who is asking: the actor with the units below theirs (000 §5 分级实施), and the SQL pieces every
rule of the package builds on — "my unit or a unit below it", and a column the planner must not
pick an index for."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy import ColumnElement, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.functions import FunctionElement

from api.deps import CurrentActor, SessionDep
from db.models import OrgUnit
from domain.models import Actor
from domain.roles import OVERSIGHT_ROLES


@dataclass(frozen=True)
class Viewer:
    """The actor and the units strictly below theirs (from org_units.parent_code)."""

    actor: Actor
    units_below: tuple[str, ...] = ()

    @property
    def username(self) -> str:
        return self.actor.username

    @property
    def oversees(self) -> bool:
        return any(self.actor.has(role) for role in OVERSIGHT_ROLES)


Who = Actor | Viewer


def actor_of(who: Who) -> Actor:
    return who.actor if isinstance(who, Viewer) else who


def oversees(who: Who) -> bool:
    """An oversight role reads everything (003 §7)."""
    return any(actor_of(who).has(role) for role in OVERSIGHT_ROLES)


def descendants(parents: dict[str, str | None], unit: str) -> tuple[str, ...]:
    """Every unit below `unit`, nearest first (breadth first), `unit` itself excluded."""
    children: dict[str, list[str]] = defaultdict(list)
    for code, parent in parents.items():
        if parent is not None:
            children[parent].append(code)
    found: list[str] = []
    seen = {unit}
    frontier = [unit]
    while frontier:
        nxt: list[str] = []
        for code in frontier:
            for child in sorted(children.get(code, ())):
                if child not in seen:  # a cycle in bad data must not loop forever
                    seen.add(child)
                    found.append(child)
                    nxt.append(child)
        frontier = nxt
    return tuple(found)


async def viewer_for(session: AsyncSession, actor: Actor) -> Viewer:
    """One small query over org_units per request."""
    if actor.unit is None:
        return Viewer(actor)
    rows = (await session.execute(select(OrgUnit.code, OrgUnit.parent_code))).all()
    return Viewer(actor, descendants({code: parent for code, parent in rows}, actor.unit))


async def get_viewer(actor: CurrentActor, session: SessionDep) -> Viewer:
    return await viewer_for(session, actor)


CurrentViewer = Annotated[Viewer, Depends(get_viewer)]  # FastAPI resolves it once per request


def units_below(who: Who) -> Any:
    """The units below the actor's: a literal list for a Viewer, a recursive query for an Actor."""
    if isinstance(who, Viewer):
        return list(who.units_below)
    # Anonymous: one statement may hold several of these (the inbox rule inside the process rule).
    below = select(OrgUnit.code).where(OrgUnit.parent_code == who.unit).cte(recursive=True)
    found, child = below.alias(), aliased(OrgUnit)
    below = below.union_all(select(child.code).where(child.parent_code == found.c.code))
    return select(below.c.code)


def of_my_units(who: Who, unit_column: Any) -> list[ColumnElement[bool]]:
    """The record's unit is mine or below mine (000 §5 分级实施)."""
    actor = actor_of(who)
    if actor.unit is None:
        return []
    below = units_below(who)
    conditions: list[ColumnElement[bool]] = [unit_column == actor.unit]
    if not isinstance(below, list) or below:
        conditions.append(unit_column.in_(below))
    return conditions


class unindexed(FunctionElement[str]):
    """A column the query planner must not pick an index for. SQLite's planner, asked for the
    open tasks of a role in any of 100 units ordered by due date, prefers walking the whole
    `assignee IS NULL` part of the assignee index in due order over probing the role index
    100 times and sorting a handful of rows; a unary `+` (SQLite's documented way) stops that.
    Other databases get the plain column."""

    type = String()
    inherit_cache = True
    name = "unindexed"


@compiles(unindexed)
def _plain(element: unindexed, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.clauses, **kw))


@compiles(unindexed, "sqlite")
def _unary_plus(element: unindexed, compiler: Any, **kw: Any) -> str:
    return "+" + str(compiler.process(element.clauses, **kw))
