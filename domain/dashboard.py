"""The managers' dashboard's arithmetic (issue 23 "Managers"): which month "this month" is, and in
what unit a step's decision time is told. Pure: the queries are api/services/dashboard.py's.

Readings chosen:
- "This month" is the calendar month in China time (Asia/Shanghai, UTC+8), like the monthly
  complaint statistics (002 rule 2 §27): a task decided at 2026-12-01 07:00 China time is December's
  even though it is still 30 November in UTC.
- A step's decision time runs from the task's creation (`created_at`: the step reached the seat)
  to its decision (`decided_at`), in calendar hours: working days are the deadlines' unit, not the
  dashboard's, and a manager reading "average 30 h" reads elapsed time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.china_time import in_china


def month_window(now: datetime) -> tuple[str, datetime, datetime]:
    """The China-time month `now` falls in: `YYYY-MM`, and its start and end (exclusive) in UTC."""
    local = in_china(now)
    start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    following = (start + timedelta(days=32)).replace(day=1)
    return f"{start:%Y-%m}", start.astimezone(UTC), following.astimezone(UTC)


def in_hours(seconds: float) -> float:
    """A span given in seconds, in hours to one decimal."""
    return round(seconds / 3600, 1)
