"""Which tasks are mine (000 §5 分级实施): named for me, claimed by me, or an unclaimed role task for
a role I hold in my unit — or in a unit below mine when the step lets the units above act."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_

from api.visibility.viewer import Viewer, Who, actor_of, unindexed, units_below
from db.models import Task


def _role_branches(who: Who, task: Any) -> list[ColumnElement[bool]]:
    actor = actor_of(who)
    branches: list[ColumnElement[bool]] = []
    below = units_below(who) if actor.unit is not None else []
    for role in actor.roles:
        unclaimed = and_(task.assignee.is_(None), task.claimed_by.is_(None), task.role == role.value)
        branches.append(and_(unclaimed, task.unit_code.is_(None)))
        if actor.unit is not None:
            branches.append(and_(unclaimed, task.unit_code == actor.unit))
        if not isinstance(below, list) or below:
            branches.append(
                and_(
                    unindexed(task.assignee).is_(None),
                    unindexed(task.claimed_by).is_(None),
                    task.role == role.value,
                    task.unit_parents.is_(True),
                    task.unit_code.in_(below),
                )
            )
    return branches


def mine_branches(who: Who, task: Any = Task) -> list[ColumnElement[bool]]:
    """ "Mine" as disjoint conditions, each one an index can serve in due order: named for me;
    claimed by me; and per role I hold, the unclaimed tasks of no unit, of my unit, and of the units
    below mine that let the units above act. Their union is exactly `task_is_mine`."""
    me = actor_of(who).username
    return [
        task.assignee == me,
        and_(task.claimed_by == me, or_(task.assignee.is_(None), task.assignee != me)),
        *_role_branches(who, task),
    ]


def role_task_for(who: Who, task: Any = Task) -> ColumnElement[bool]:
    """An unclaimed, unnamed task for a role I hold, in my unit (or below it when the step allows)."""
    branches = _role_branches(who, task)
    return or_(*branches) if branches else false()


def task_is_mine(who: Who, task: Any = Task) -> ColumnElement[bool]:
    """Named for me, claimed by me, or an open-to-my-role task of my unit. Status not included."""
    return or_(*mine_branches(who, task))


def holds_task(who: Who, task: Task) -> bool:
    """`task_is_mine` judged on a loaded row, for the decision path: True only where the SQL rule
    says mine too (named for me, claimed by me, unclaimed for my role with no unit or my unit or —
    for a Viewer — a unit below mine that lets the units above act). False means "ask the SQL
    rule" (`can_read_task`), never "not readable": the rule itself stays the SQL above."""
    actor = actor_of(who)
    if task.assignee == actor.username or task.claimed_by == actor.username:
        return True
    if task.assignee is not None or task.claimed_by is not None:
        return False
    if task.role is None or not any(role.value == task.role for role in actor.roles):
        return False
    if task.unit_code is None or (actor.unit is not None and task.unit_code == actor.unit):
        return True
    return bool(task.unit_parents) and isinstance(who, Viewer) and task.unit_code in who.units_below
