"""The dashboard's month is China's (domain/dashboard.py): its bounds in UTC, across a year's end."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.dashboard import in_hours, month_window


def test_this_month_is_the_china_time_month() -> None:
    # 2026-11-30 16:30 UTC is 2026-12-01 00:30 in China: December's already.
    assert month_window(datetime(2026, 11, 30, 16, 30, tzinfo=UTC)) == (
        "2026-12",
        datetime(2026, 11, 30, 16, 0, tzinfo=UTC),
        datetime(2026, 12, 31, 16, 0, tzinfo=UTC),
    )
    assert month_window(datetime(2026, 11, 30, 15, 59, tzinfo=UTC))[0] == "2026-11"
    assert month_window(datetime(2026, 12, 31, 16, 0))[0] == "2027-01"  # a naive time is UTC


def test_a_span_in_hours_to_one_decimal() -> None:
    assert (in_hours(36_000), in_hours(5_400), in_hours(0)) == (10.0, 1.5, 0.0)
