"""Who opens the managers' dashboard, and whose figures it counts (issue 23 "Managers"; 000 §5
分级实施, 003 §7)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, false, or_, true

from api.visibility.viewer import Who, actor_of, of_my_units, oversees
from domain.roles import DASHBOARD_COMPANY_WIDE, DASHBOARD_READERS


def reads_dashboard(who: Who) -> bool:
    """Managers, leaders and auditors (`domain.roles.DASHBOARD_READERS`)."""
    return any(actor_of(who).has(role) for role in DASHBOARD_READERS)


def sees_whole_company(who: Who) -> bool:
    """Oversight, the head-office managers and the leaders count every unit's records."""
    return oversees(who) or any(actor_of(who).has(role) for role in DASHBOARD_COMPANY_WIDE)


def dashboard_scope(who: Who, unit_column: Any) -> ColumnElement[bool]:
    """The records the dashboard counts for `who`, by the unit a record belongs to (`unit_column`):
    all of them for `sees_whole_company`; for a depot or station manager, those of their unit and
    the units below it, as they read processes (000 §5). Reading chosen: a record of no unit
    (head-office work) is no unit's, so a unit manager does not count it."""
    if sees_whole_company(who):
        return true()
    units = of_my_units(who, unit_column)
    return or_(*units) if units else false()
