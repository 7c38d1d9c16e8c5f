"""What the database can store, declared once for every input model.

PostgreSQL refuses the NUL character in text, and a lone surrogate ("\\ud800", legal in JSON, not
in UTF-8) cannot be encoded at all: accepted by the API, either fails the store activity later,
where nobody sees it. So every stored text field is a `StoredText`, every stored integer an
`Int32`, every stored moment a `Moment`, and a value the code derives (a subject from a name) is
cut with `fit`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, Field

INT32_MAX = 2**31 - 1  # SQLAlchemy `Integer`: PostgreSQL's integer
INT64_MAX = 2**63 - 1  # SQLite's integer, PostgreSQL's bigint (offsets, counts)


def text_problem(value: str) -> str | None:
    """Why the database could not store `value`; None when it can."""
    if "\x00" in value:
        return "must not contain the NUL character (\\u0000)"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "must be valid Unicode text (a lone surrogate such as \\ud800 is not)"
    return None


def _storable(value: str) -> str:
    problem = text_problem(value)
    if problem:
        raise ValueError(problem)
    return value


StoredText = Annotated[str, AfterValidator(_storable)]
"""A string the database can store; the length limit stays with each field (`max_length` = VARCHAR)."""

Int32 = Annotated[int, Field(ge=-(2**31), le=INT32_MAX)]
"""An integer stored in an `Integer` column (ids, numbers, rounds)."""

Username = Annotated[StoredText, Field(min_length=1, max_length=80)]
"""A username as the `users.username` column holds it."""

FIRST_YEAR, LAST_YEAR = 1970, 2999


def _storable_moment(value: datetime) -> datetime:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"must lie between the years {FIRST_YEAR} and {LAST_YEAR}")
    return value


InCalendar = AfterValidator(_storable_moment)
"""Years a stored moment may have: `Annotated[datetime, InCalendar]` where a route checks the zone itself."""

Moment = Annotated[AwareDatetime, InCalendar]
"""A stored moment with its zone, in years a UTC column and a Temporal timer can hold (year 9999
in a far-west zone is past the end of the calendar once converted to UTC)."""


def fit(value: str, length: int) -> str:
    """A derived value (a subject, a title) cut to its column: never a reason to fail a store."""
    return value if len(value) <= length else value[: length - 1] + "…"


def Fitted(length: int) -> AfterValidator:  # noqa: N802 - reads as a type: Annotated[str, Fitted(200)]
    """A derived text field of a boundary model cut to its column wherever the model is built."""
    return AfterValidator(lambda value: fit(value, length))
