"""ChinaTime renders any instant as China time; stored documents get the same (issue 20 item 15)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from pydantic import BaseModel

from domain.china_time import ChinaTime, ChinaTimeDocument, china_day, china_times_in


class Answer(BaseModel):
    at: ChinaTime
    document: ChinaTimeDocument = {}


def test_naive_and_aware_utc_read_as_the_same_china_time() -> None:
    aware = Answer(at=datetime(2026, 12, 6, 17, 30, tzinfo=UTC)).model_dump(mode="json")["at"]
    naive = Answer(at=datetime(2026, 12, 6, 17, 30)).model_dump(mode="json")["at"]  # SQLite: naive UTC
    assert aware == naive == "2026-12-07T01:30:00+08:00"
    assert Answer(at=datetime(2026, 12, 6, 17, 30, tzinfo=UTC)).at.tzinfo is UTC  # the value itself is kept


def test_a_documents_aware_times_move_and_nothing_else_does() -> None:
    stored = {
        "record": {"received_at": "2026-12-06T17:30:00Z", "on": "2026-12-06", "note": "2026-12-06T17:30 naive"},
        "steps": [{"at": "2026-12-06T17:30:00.123456+00:00", "by": "marketing_reviewer"}],
    }
    assert china_times_in(stored) == {
        "record": {"received_at": "2026-12-07T01:30:00+08:00", "on": "2026-12-06", "note": "2026-12-06T17:30 naive"},
        "steps": [{"at": "2026-12-07T01:30:00.123456+08:00", "by": "marketing_reviewer"}],
    }
    assert Answer(at=datetime.now(UTC), document=stored).model_dump(mode="json")["document"] == china_times_in(stored)


def test_the_day_a_filing_is_judged_by_is_the_china_day() -> None:
    """000 §6: a licence valid until 2026-03-01 has expired for a filing at 01:30 China time on
    2026-03-02, although the UTC day is still 2026-03-01."""
    assert china_day(datetime(2026, 3, 1, 17, 30, tzinfo=UTC)) == date(2026, 3, 2)
    assert china_day(datetime(2026, 3, 1, 15, 59, tzinfo=UTC)) == date(2026, 3, 1)
    assert china_day(datetime(2026, 3, 1, 17, 30)) == date(2026, 3, 2)  # naive: UTC, as SQLite returns it
