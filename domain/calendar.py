"""The Chinese working-day calendar every deadline uses (000 §16: 1, 3 and 7 working days).

Working days follow China's official schedule: weekends off, statutory holidays off, make-up
working days (调休) on. 2004-2026 come from the `chinesecalendar` package; later years and company
closures come from administrator-maintained overrides. A day in a year nobody maintains is judged
by weekends only, and any deadline counting such a day is flagged *provisional*.

"N working days from a moment": the moment is taken in the office time zone (a naive datetime is
refused). On a non-working day, or at/after closing time, counting starts at the next working
day's opening time; before opening on a working day, at that day's opening time. The deadline is
the same clock time (of that normalised start) on the N-th following working day; N = 0 gives
the normalised start.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar  # type: ignore[import-untyped]

OFFICIAL_FIRST_YEAR = 2004


def official_last_year() -> int:
    """The last year the installed `chinesecalendar` knows."""
    return max(day.year for day in chinese_calendar.holidays)


@dataclass(frozen=True)
class OfficeHours:
    """Configuration: the office time zone and opening hours that anchor working-day counting."""

    timezone: str = "Asia/Shanghai"
    opens: time = time(9, 0)
    closes: time = time(17, 30)


@dataclass(frozen=True)
class Deadline:
    deadline: datetime
    provisional: bool
    unknown_years: tuple[int, ...] = ()


@dataclass
class WorkingCalendar:
    overrides: Mapping[date, bool] = field(default_factory=dict)
    maintained_years: Iterable[int] = ()
    hours: OfficeHours = field(default_factory=OfficeHours)

    def __post_init__(self) -> None:
        self._maintained = frozenset(self.maintained_years)
        self._last_official = official_last_year()
        self._zone = ZoneInfo(self.hours.timezone)

    def is_known_year(self, year: int) -> bool:
        return OFFICIAL_FIRST_YEAR <= year <= self._last_official or year in self._maintained

    def is_working_day(self, day: date) -> bool:
        if day in self.overrides:
            return bool(self.overrides[day])
        if OFFICIAL_FIRST_YEAR <= day.year <= self._last_official:
            return bool(chinese_calendar.is_workday(day))
        return day.weekday() < 5

    def next_working_day(self, day: date) -> date:
        day += timedelta(days=1)
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def _normalise(self, start: datetime) -> datetime:
        if start.tzinfo is None:
            raise ValueError("a naive datetime is ambiguous: give a time zone")
        local = start.astimezone(self._zone)
        day = local.date()
        if self.is_working_day(day) and local.time() < self.hours.opens:
            return datetime.combine(day, self.hours.opens, self._zone)
        if not self.is_working_day(day) or local.time() >= self.hours.closes:
            return datetime.combine(self.next_working_day(day), self.hours.opens, self._zone)
        return local

    def add_working_days(self, start: datetime, working_days: int) -> Deadline:
        if working_days < 0:
            raise ValueError("working_days must be zero or more")
        begin = self._normalise(start)
        unknown: set[int] = set()
        day = begin.date()
        for _ in range(working_days):
            day = self.next_working_day(day)
        probe = begin.date()
        while probe <= day:
            if not self.is_known_year(probe.year):
                unknown.add(probe.year)
            probe += timedelta(days=1)
        deadline = datetime.combine(day, begin.timetz().replace(tzinfo=None), self._zone)
        return Deadline(deadline=deadline, provisional=bool(unknown), unknown_years=tuple(sorted(unknown)))

    def working_days_left(self, now: datetime, due: datetime) -> int:
        """The countdown an inbox shows ("还剩 2 个工作日"): the working days after today, up to and
        including the due day, both in office time; 0 when it is due today or has passed (whether
        it is overdue is the task's own flag, set by the step clock)."""
        today, due_day = now.astimezone(self._zone).date(), due.astimezone(self._zone).date()
        left = 0
        while today < due_day:
            today += timedelta(days=1)
            left += self.is_working_day(today)
        return left
