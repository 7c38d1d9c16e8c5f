"""One error hierarchy, rendered by one handler as `{"error", "detail"}` with the right status."""

from __future__ import annotations

import logging
import math
import re
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import exc as db
from starlette.exceptions import HTTPException
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from domain import errors


class AppError(Exception):
    status_code = 400
    error = "bad_request"

    def __init__(self, detail: Any, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra  # fields beside error and detail (e.g. a credit refusal's approval_process_id)


class Forbidden(AppError):
    status_code, error = 403, "forbidden"


class NotFound(AppError):
    status_code, error = 404, "not_found"


class Conflict(AppError):
    status_code, error = 409, "conflict"


class Invalid(AppError):
    status_code, error = 422, "invalid"


class Unauthorized(AppError):
    status_code, error = 401, "unauthorized"


class Unavailable(AppError):
    status_code, error = 503, "unavailable"


BY_TYPE: dict[str, type[AppError]] = {
    errors.FORBIDDEN: Forbidden,
    errors.NOT_FOUND: NotFound,
    errors.CONFLICT: Conflict,
    errors.INVALID: Invalid,
    errors.STORE_FAILED: Conflict,
}


def from_workflow(exc: BaseException) -> AppError:
    """Translate a refused update or a closed workflow into the API's error."""
    cause = exc.cause if isinstance(exc, WorkflowUpdateFailedError) else exc
    if isinstance(cause, ApplicationError) and cause.type in BY_TYPE:
        details = list(cause.details) if cause.details else []
        detail: Any = details[0] if details and isinstance(details[0], list) else cause.message
        return BY_TYPE[cause.type](detail)
    missing = _MISSING_HANDLER.match(str(getattr(cause, "message", "")))
    if missing:  # e.g. withdraw on a complaint: the process has no such action, it is not down
        return Conflict(f"this kind of process has no '{missing[1]}' action")
    if isinstance(exc, RPCError) and exc.status == RPCStatusCode.NOT_FOUND:
        return Conflict("the process has already ended")
    return Unavailable(f"workflow call failed: {exc}")


_MISSING_HANDLER = re.compile(r"Update handler for '([^']+)' expected but not found")
log = logging.getLogger(__name__)


class ErrorOut(BaseModel):
    """Every error answer: a short machine-readable `error` and a human `detail` (a message, a list
    of problems, or for a malformed request the list of fields with what is wrong)."""

    error: str = Field(examples=["invalid"])
    detail: Any = Field(description="a message, a list of problems, or the invalid fields (loc, msg, type)")


def _described(text: str) -> dict[str, Any]:
    return {"model": ErrorOut, "description": text}


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _described("the body is not valid JSON (or form data)"),
    401: _described("not authenticated, or the token is invalid or expired"),
    403: _described("the user lacks the role or the right for this record"),
    404: _described("no such record, or not visible to this user"),
    409: _described("the record is not in a state that allows this"),
    413: _described("the request body is larger than the configured limit"),
    422: _described("the request is malformed or breaks a rule; `detail` says what"),
    429: _described("too many attempts; try again later"),
    503: _described("the database or Temporal is unavailable; try again shortly"),
}
"""Declared on every route, so the documented error schema is the one the handlers render."""


def _printable(value: Any) -> Any:
    """A detail made safe to encode: lone surrogates become U+FFFD, `inf` a string."""
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    if isinstance(value, dict):
        return {_printable(k): _printable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_printable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # JSON has no inf or nan: `1e400` in a request is echoed as "inf"
    if value is None or isinstance(value, bool | int | float):
        return value
    return _printable(str(value))


def _json(
    status: int, error: str, detail: Any, headers: dict[str, str] | None = None, extra: dict[str, Any] | None = None
) -> JSONResponse:
    body = {"error": error, "detail": _printable(detail), **_printable(extra or {})}
    return JSONResponse(body, status_code=status, headers=headers)


async def _render(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthorized) else None
    return _json(exc.status_code, exc.error, exc.detail, headers, exc.extra)


def _short(value: Any) -> Any:
    """An echoed input with its long strings cut: a 1 MB field is not worth sending back."""
    if isinstance(value, str) and len(value) > 200:
        return value[:200] + "…"
    if isinstance(value, dict):
        return {k: _short(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_short(v) for v in value]
    return value


def _fields(errors: Any) -> list[dict[str, Any]]:
    """Each invalid field: where (`loc`), what is wrong (`msg`, `type`) and the input, shortened."""
    return [{k: _short(v) if k == "input" else v for k, v in error.items() if k != "url"} for error in errors]


async def _refused(_request: Request, exc: Exception) -> JSONResponse:
    """A pure domain rule refused the act (domain.errors.Refused): the status of its kind."""
    assert isinstance(exc, errors.Refused)
    error = BY_TYPE.get(exc.kind, Conflict)
    return _json(error.status_code, error.error, exc.message)


async def _invalid_request(_request: Request, exc: Exception) -> JSONResponse:
    """A malformed request: every field with what is wrong, in the one error shape."""
    assert isinstance(exc, RequestValidationError)
    return _json(422, Invalid.error, _fields(exc.errors()))


async def _invalid_value(_request: Request, exc: Exception) -> JSONResponse:
    """A domain model built in a route refused a value (a pydantic error raised outside FastAPI's
    own parsing), or a number out of a driver's range: the request's fault, said as such."""
    if isinstance(exc, ValidationError):
        return _json(422, Invalid.error, _fields(exc.errors()))
    return _json(422, Invalid.error, f"a number is out of range: {exc}")


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    """Framework errors (no token, unknown path, wrong method) in the same shape as ours."""
    assert isinstance(exc, HTTPException)
    error = HTTPStatus(exc.status_code).phrase.lower().replace(" ", "_").replace("-", "_")
    return _json(exc.status_code, error, exc.detail, dict(exc.headers or {}))


async def _database_unavailable(_request: Request, exc: Exception) -> JSONResponse:
    """The database is down or overloaded (connection refused, pool exhausted, locked): a JSON 503
    a client can retry, not a plain-text 500."""
    log.warning("database unavailable: %s", exc)
    headers = {"Retry-After": "5"}
    return _json(503, Unavailable.error, "the database is unavailable; try again shortly", headers)


async def _not_storable(_request: Request, exc: Exception) -> JSONResponse:
    """A value the database refused (the input models should have caught it: logged as a gap)."""
    log.warning("database refused a value: %s", exc)
    return _json(422, Invalid.error, "a value of this request cannot be stored (too long, too large or not text)")


async def _write_conflict(_request: Request, exc: Exception) -> JSONResponse:
    """Two requests wrote the same record at once (a unique key): the later one is told, not 500."""
    log.info("write conflict: %s", exc)
    return _json(409, Conflict.error, "the record was changed by another request meanwhile; reload and try again")


def install(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _render)
    app.add_exception_handler(errors.Refused, _refused)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(db.DataError, _not_storable)
    app.add_exception_handler(db.IntegrityError, _write_conflict)
    app.add_exception_handler(ValidationError, _invalid_value)
    app.add_exception_handler(OverflowError, _invalid_value)
    for unavailable in (db.OperationalError, db.InterfaceError, db.TimeoutError, ConnectionError):
        app.add_exception_handler(unavailable, _database_unavailable)
