"""The complaint rules declared in domain/complaints.py (000 §16, 001): pure, no Temporal."""

from __future__ import annotations

import pytest

from domain.complaints import Remedy, Severity, deadline_working_days, needs_rush_production, remedy_role
from domain.roles import Role


@pytest.mark.rule("000-16-ordinary-one-working-day", "000-16-major-three-working-days")
def test_the_working_days_a_complaint_has_by_severity() -> None:
    """000 §16 (三): 1 for an ordinary complaint, 3 for a larger incident; a special case starts at 3
    and only the leaders' approval extends it (to 7)."""
    assert [deadline_working_days(s) for s in Severity] == [1, 3, 3]


@pytest.mark.rule("001-complaint-remedy-one-working-day", "001-complaint-rush-production")
def test_marketing_orders_the_re_production_and_finance_pays_the_compensation() -> None:
    """001: a return report goes to marketing (re-production order, run by production as a rush
    order); a compensation notice goes to finance, and nothing goes to production."""
    assert remedy_role(Remedy.reproduction) is Role.marketing_reviewer
    assert remedy_role(Remedy.compensation) is Role.finance_reviewer
    assert [needs_rush_production(r) for r in Remedy] == [True, False, False]
