"""When a complaint may say it was received (000 §16).

000 §16 runs a complaint's clock (1, 3 or, extended, 7 working days) from its receipt. A complaint
taken by phone on a busy day may be registered a little later with its true receipt time, but not
so much later that its clock starts already spent, and never with a receipt in the future: the
declared window is counted in working days on the same calendar as the deadlines.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from domain.calendar import WorkingCalendar
from domain.china_time import china_iso
from domain.rulebook import enforces


def earliest_receipt(now: datetime, calendar: WorkingCalendar, window_working_days: int) -> datetime:
    """The start (office time zone) of the working day `window_working_days` working days before
    today: 0 allows today only; 3 on a Monday allows back to the previous Wednesday."""
    zone = ZoneInfo(calendar.hours.timezone)
    day = now.astimezone(zone).date()
    for _ in range(window_working_days):
        day -= timedelta(days=1)
        while not calendar.is_working_day(day):
            day -= timedelta(days=1)
    return datetime.combine(day, time(0), zone)


@enforces("000-16-clock-from-receipt")
def receipt_problem(
    received_at: datetime, now: datetime, calendar: WorkingCalendar, window_working_days: int
) -> str | None:
    """Why `received_at` cannot be a complaint's receipt time (None: it can), 000 §16."""
    if received_at.tzinfo is None:
        return "received_at needs a time zone, e.g. 2026-09-30T10:00:00+08:00"
    if received_at > now:
        return "received_at lies in the future"
    earliest = earliest_receipt(now, calendar, window_working_days)
    if received_at < earliest:
        return (
            f"received_at may be backdated by at most {window_working_days} working days: "
            f"the earliest accepted now is {china_iso(earliest)} (000 §16: the deadline runs from receipt)"
        )
    return None
