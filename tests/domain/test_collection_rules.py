"""Month-end collection rules (000 §13), free of I/O: the last working day of a month, the amount
still unpaid, and the schedule's assumption that a month's last working day is never before the 20th."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from activities.collection_store import month_end
from domain.calendar import OFFICIAL_FIRST_YEAR, WorkingCalendar, official_last_year
from domain.collection import ROUND_CRON, collection_chain, remaining


def test_last_working_day_of_september_2026_is_the_30th() -> None:
    calendar = WorkingCalendar()
    assert month_end(calendar, date(2026, 9, 30)).is_last
    assert not month_end(calendar, date(2026, 9, 29)).is_last
    assert month_end(calendar, date(2026, 9, 29)).last_working_day == date(2026, 9, 30)
    assert not month_end(calendar, date(2026, 10, 31)).is_last  # a Saturday
    assert month_end(calendar, date(2026, 10, 30)).is_last


def test_a_make_up_working_day_can_be_the_last_working_day() -> None:
    # 2026-02-28 is a Saturday made a working day (调休) after the Spring Festival holiday.
    assert month_end(WorkingCalendar(), date(2026, 2, 28)).is_last
    assert not month_end(WorkingCalendar(), date(2026, 2, 27)).is_last


def test_the_schedule_fires_on_every_official_last_working_day() -> None:
    """The cron fires on the 20th-31st: every month of the official schedule ends its working days there."""
    first_day = int(ROUND_CRON.split()[2].split("-")[0])
    calendar = WorkingCalendar()
    for year in range(OFFICIAL_FIRST_YEAR, official_last_year() + 1):
        for month in range(1, 13):
            end = month_end(calendar, date(year, month, 1))
            assert end.last_working_day.day >= first_day, end
            assert not end.provisional


def test_an_unmaintained_year_is_provisional_and_counts_weekends_only() -> None:
    end = month_end(WorkingCalendar(), date(2031, 1, 31))
    assert (end.is_last, end.provisional) == (True, True)
    maintained = WorkingCalendar(overrides={date(2031, 1, 31): False}, maintained_years=[2031])
    end = month_end(maintained, date(2031, 1, 30))
    assert (end.is_last, end.provisional) == (True, False)


def test_remaining_is_never_negative() -> None:
    assert remaining(Decimal("100.00"), Decimal("30.00")) == Decimal("70.00")
    assert remaining(Decimal("100.00"), Decimal("130.00")) == Decimal(0)


def test_the_chain_escalates_to_the_marketing_manager_then_the_business_vp() -> None:
    [step] = collection_chain(3).steps
    assert step.due_working_days == 3 and [r.value for r in step.escalate_to] == ["marketing_manager", "business_vp"]
    assert step.named and step.role is not None and step.role.value == "marketing_manager"
