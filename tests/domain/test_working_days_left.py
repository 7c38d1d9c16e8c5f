"""The inbox countdown ("还剩 2 个工作日", issue 23) counts working days by the product's calendar."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from domain.calendar import WorkingCalendar

CHINA = ZoneInfo("Asia/Shanghai")
CALENDAR = WorkingCalendar()


def at(day: str, clock: str = "10:00") -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=CHINA)


def test_a_plain_week() -> None:
    assert CALENDAR.working_days_left(at("2025-06-09"), at("2025-06-13", "17:00")) == 4  # Monday to Friday


def test_national_day_does_not_count() -> None:
    """1-8 October 2025 are holidays: from 30 September, 9 October is the next working day."""
    assert CALENDAR.working_days_left(at("2025-09-30"), at("2025-10-09")) == 1


def test_due_today_or_past_is_zero() -> None:
    assert CALENDAR.working_days_left(at("2025-06-09", "08:00"), at("2025-06-09", "17:00")) == 0
    assert CALENDAR.working_days_left(at("2025-06-12"), at("2025-06-09")) == 0


def test_the_day_is_taken_in_office_time() -> None:
    """23:30 UTC on Sunday is Monday in China: a task due Monday evening is due today, not tomorrow."""
    sunday_night_utc = datetime(2025, 6, 8, 23, 30, tzinfo=UTC)
    assert CALENDAR.working_days_left(sunday_night_utc, at("2025-06-09", "17:00")) == 0


@given(st.integers(min_value=0, max_value=3000), st.integers(min_value=0, max_value=15))
def test_a_deadline_of_n_working_days_shows_n(offset: int, n: int) -> None:
    """What add_working_days set, the countdown reads back, started on a working day at 10:00."""
    start = at("2020-01-02") + timedelta(days=offset)
    if not CALENDAR.is_working_day(start.date()):
        return
    due = CALENDAR.add_working_days(start, n).deadline
    assert CALENDAR.working_days_left(start, due) == n
