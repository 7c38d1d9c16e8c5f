"""Who reads the marketing department's own records: visit plans and visits (000 §12, 002 rule 7),
big-customer meetings (000 §5 (一)6, §15), development plans and research notes (000 §12, §15)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, false, or_, true

from api.visibility.viewer import Who, actor_of, of_my_units
from domain.development import DEVELOPMENT_READERS
from domain.roles import OVERSIGHT_ROLES, UNIT_SCOPED_ROLES
from domain.visits import VISIT_SUPERVISORS

# --- visit plans and visits (000 §12, 002 rule 7; issue 12 §3) -----------------------------------


def visit_plan_readable(who: Who, salesperson: Any) -> ColumnElement[bool]:
    """A salesperson's own plans and visits; the marketing manager and the leaders who approve and
    supervise them; oversight. `salesperson` is the column naming the plan's salesperson."""
    actor = actor_of(who)
    if any(actor.has(role) for role in OVERSIGHT_ROLES | VISIT_SUPERVISORS):
        return true()
    return salesperson == actor.username


# --- market development: meetings, plans, research notes (000 §5 (一)6, §12, §15; issue 12 §3) ------


def meeting_readable(who: Who) -> ColumnElement[bool]:
    """000 §5 (一)6: the marketing department organises the big-customer meetings; the leaders above
    it and oversight read them too. Nobody else (a meeting is head office's, of no unit)."""
    actor = actor_of(who)
    return true() if any(actor.has(role) for role in OVERSIGHT_ROLES | DEVELOPMENT_READERS) else false()


def development_readable(
    who: Who, author: Any, unit_column: Any, also: ColumnElement[bool] | None = None
) -> ColumnElement[bool]:
    """A development plan or research notes (000 §12, §15): the marketing department and the leaders
    who approve them, oversight, the author, the managers of the author's unit (000 §5 分级实施);
    `also` adds a record's own readers (the salespeople a plan sets targets for)."""
    actor = actor_of(who)
    if any(actor.has(role) for role in OVERSIGHT_ROLES | DEVELOPMENT_READERS):
        return true()
    branches: list[ColumnElement[bool]] = [author == actor.username]
    if any(actor.has(role) for role in UNIT_SCOPED_ROLES):
        branches += of_my_units(who, unit_column)
    if also is not None:
        branches.append(also)
    return or_(*branches)
