"""The grading rule's arithmetic (001 §1): weighted totals, thresholds, the first-year and year-end days."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from pydantic import ValidationError

from domain.grading import (
    DEFAULT_THRESHOLDS,
    DEFAULT_WEIGHTS,
    GradingConfigIn,
    Indicator,
    first_grading_day,
    first_year_problem,
    grade_for,
    grading_period,
    next_year_end_grading_day,
    weighted_total,
)
from domain.treatment import supply_priority


@pytest.mark.rule("001-1-grades-a-b-c")
def test_weighted_total_and_grade_with_the_default_rule() -> None:
    scores = {i: Decimal(90) for i in Indicator} | {Indicator.contract_payment: Decimal(80)}
    total = weighted_total(scores, DEFAULT_WEIGHTS)  # 32 + 18 * 3
    assert total == Decimal("86.00")
    assert grade_for(total, DEFAULT_THRESHOLDS) == "A"
    assert grade_for(Decimal("84.99"), DEFAULT_THRESHOLDS) == "B"
    assert grade_for(Decimal("69.99"), DEFAULT_THRESHOLDS) == "C"


@pytest.mark.rule("001-1-scored-after-trade")
def test_first_year_is_c_until_the_anniversary() -> None:
    assert first_grading_day(date(2026, 1, 5)) == date(2027, 1, 5)
    assert first_grading_day(date(2028, 2, 29)) == date(2029, 3, 1)
    assert grading_period(date(2027, 1, 5)) == "2026"
    assert grading_period(date(2027, 12, 1)) == "2027"


@pytest.mark.rule("001-1-year-end-regrading")
def test_year_end_rounds_follow_the_first() -> None:
    """P6: after the anniversary round, one round at each year end, never within five months."""
    assert next_year_end_grading_day(date(2027, 1, 5)) == date(2027, 12, 1)
    assert next_year_end_grading_day(date(2027, 8, 1)) == date(2028, 12, 1)
    assert next_year_end_grading_day(date(2027, 12, 1)) == date(2028, 12, 1)


def test_a_rule_needs_four_weights_summing_to_100_and_ordered_thresholds() -> None:
    weights = {i.value: "25" for i in Indicator}
    GradingConfigIn.model_validate(
        {"effective_from": "2027-01-01", "weights": weights, "thresholds": {"A": 80, "B": 60}, "reason": "year end"}
    )
    with pytest.raises(ValidationError):
        GradingConfigIn.model_validate(
            {
                "effective_from": "2027-01-01",
                "weights": weights | {"contract_premium": "30"},
                "thresholds": {"A": 80, "B": 60},
                "reason": "x",
            }
        )
    with pytest.raises(ValidationError):
        GradingConfigIn.model_validate(
            {"effective_from": "2027-01-01", "weights": weights, "thresholds": {"A": 60, "B": 80}, "reason": "x"}
        )


@pytest.mark.rule("000-11-shortage-priority")
def test_in_a_shortage_higher_grades_come_first() -> None:
    """000 §11."""
    assert sorted(["C", "A", "?", "B"], key=supply_priority) == ["A", "B", "C", "?"]


@pytest.mark.rule("001-1-new-customer-is-c")
def test_a_customer_is_graded_only_after_a_full_year_of_trade() -> None:
    """001 §1: C for the whole first year, from the start of trading on the record."""
    since = date(2026, 1, 5)
    problem = first_year_problem(since, date(2027, 1, 4))
    assert problem is not None and "001 §1" in problem and "2027-01-05" in problem
    assert first_year_problem(since, date(2027, 1, 5)) is None
    assert first_year_problem(date(2028, 2, 29), date(2029, 2, 28)) is not None  # 29 February: 1 March
    assert first_year_problem(date(2028, 2, 29), date(2029, 3, 1)) is None
