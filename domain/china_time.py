"""THE time the API answers in: China time, an aware ISO 8601 string ending `+08:00` (issue 20 item 15).

One moment reads the same everywhere — in a task, a history line, a complaint, an action's answer —
whatever the database handed back (SQLite: naive UTC; PostgreSQL: aware UTC). Values keep their
instant; only their rendering in JSON changes, so workflow state and saved histories are untouched.

Adopt it in a response model with one import and one type name:

    from domain.china_time import ChinaTime

    class InvoiceOut(BaseModel):
        issued_at: ChinaTime
        collected_at: ChinaTime | None = None

A free-form document holding times (`dict[str, Any]`: stored JSON, a workflow's details) is
`ChinaTimeDocument`: its aware time strings are answered in China time too. A `datetime` reachable
from any route's response model without `ChinaTime` fails tests/api/test_china_time.py. Dates
(`date`) stay plain: a day has no time zone.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Annotated, Any

from pydantic import PlainSerializer, WithJsonSchema

# Asia/Shanghai has kept UTC+8 without daylight saving since 1991: a fixed offset is exact and
# needs no time-zone database in workflow code.
CHINA = timezone(timedelta(hours=8))
EXAMPLE = "2026-12-07T09:30:00+08:00"


def in_china(value: datetime) -> datetime:
    """The same instant in China time; a naive value is UTC (how SQLite returns stored times)."""
    return (value if value.tzinfo is not None else value.replace(tzinfo=UTC)).astimezone(CHINA)


def china_day(value: datetime) -> date:
    """The calendar day in China at that instant: the day a document's validity and a filing are
    judged by (000 §6), not the UTC day, which lags by eight hours until 08:00."""
    return in_china(value).date()


def china_iso(value: datetime) -> str:
    return in_china(value).isoformat()


CHINA_TIME_SERIALIZER = PlainSerializer(china_iso, return_type=str, when_used="json")
CHINA_TIME_SCHEMA = WithJsonSchema(
    {
        "type": "string",
        "format": "date-time",
        "description": "ISO 8601 date-time; answered in China time (UTC+08:00), e.g. " + EXAMPLE,
        "examples": [EXAMPLE],
    }
)
ChinaTime = Annotated[datetime, CHINA_TIME_SERIALIZER, CHINA_TIME_SCHEMA]


# An aware ISO 8601 date-time as Python and pydantic write it: a date alone or a naive time is left.
_AWARE_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$")


def china_times_in(document: Any) -> Any:
    """A stored JSON document (a complaint's details) with every aware time string in China time:
    documents written before this rule, or by workflow code, keep UTC in the database."""
    if isinstance(document, dict):
        return {key: china_times_in(value) for key, value in document.items()}
    if isinstance(document, list):
        return [china_times_in(value) for value in document]
    if isinstance(document, str) and _AWARE_ISO.match(document):
        return china_iso(datetime.fromisoformat(document))
    return document


# A free-form document (stored JSON, a workflow's details) answered as it is, its times in China time.
CHINA_DOCUMENT_SERIALIZER = PlainSerializer(china_times_in, when_used="json")
ChinaTimeDocument = Annotated[dict[str, Any], CHINA_DOCUMENT_SERIALIZER]
