"""Which store failures a retry cannot fix, said once for every store activity.

Temporal retries a store activity until the database answers. That is right while the database is
down or locked, and wrong when the database refuses the data itself (a NUL character on
PostgreSQL, a value too long or too large for its column, a foreign key that points nowhere): the
same write fails every ten seconds for ever, and nobody sees it. Such a refusal becomes a
non-retryable `ApplicationError` of type `DataError`, and the workflow stops for an administrator's
repair instead (workflows/repair.py).
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from sqlalchemy import exc as db
from temporalio.exceptions import ApplicationError

DATA_ERROR = "DataError"
REASON_LENGTH = 300  # the reason is stored (processes.failure_reason) and shown: short, and storable

P = ParamSpec("P")
R = TypeVar("R")

# The database or the connection is unwell: the same write may well succeed a moment later.
_TRANSIENT = (db.OperationalError, db.InterfaceError, db.TimeoutError, db.DisconnectionError, ConnectionError)
# A value the driver cannot encode (a lone surrogate, an integer beyond SQLite's 64 bits).
_UNENCODABLE = (ValueError, OverflowError)


def storable(text: str, limit: int) -> str:
    """`text` made storable in a VARCHAR(limit) on both databases: no NUL, no lone surrogate."""
    clean = text.replace("\x00", "\\0").encode("utf-8", "replace").decode("utf-8")
    return clean if len(clean) <= limit else clean[: limit - 1] + "…"


def data_error_reason(exc: BaseException) -> str | None:
    """A short, storable reason when the database refused the data; None when a retry may help.

    The idempotent duplicate a retried store expects never gets here: the stores write with
    ON CONFLICT, so an `IntegrityError` that escapes is a real violation (a dangling foreign key,
    a unique key taken by another record).
    """
    if isinstance(exc, _TRANSIENT):
        return None
    if isinstance(exc, db.DBAPIError):  # ProgrammingError, InternalError...: not the data's fault
        refused = isinstance(exc, (db.DataError, db.IntegrityError))
    elif isinstance(exc, db.StatementError):  # a parameter the driver could not take
        refused = isinstance(exc.orig, _UNENCODABLE)
    else:  # raised by a driver or a column type while binding, unwrapped (sqlite3's OverflowError)
        refused = isinstance(exc, _UNENCODABLE)
    if not refused:
        return None
    # The driver's own error says what was refused, without SQLAlchemy's statement and parameters.
    orig = exc.orig if isinstance(exc, db.StatementError) and isinstance(exc.orig, BaseException) else exc
    kind = type(exc).__name__
    if type(orig).__name__ != kind:
        kind = f"{kind} ({type(orig).__name__})"
    first_line = (str(orig).strip().splitlines() or [""])[0]
    return storable(f"{kind}: {first_line}", REASON_LENGTH)


def fails_visibly_on_bad_data(activity: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """Decorate a store activity (under `@activity.defn`): data the database refuses fails it at
    once, non-retryably, with the reason; everything else is raised as it was (and retried)."""

    @functools.wraps(activity)
    async def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await activity(*args, **kwargs)
        except Exception as exc:
            reason = data_error_reason(exc)
            if reason is None:
                raise
            # `from None`: the driver's message may itself hold the unstorable value.
            raise ApplicationError(reason, type=DATA_ERROR, non_retryable=True) from None

    return run
