"""One error hierarchy, rendered by one handler as `{"error", "detail"}` with the right status."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from domain import errors


class AppError(Exception):
    status_code = 400
    error = "bad_request"

    def __init__(self, detail: Any) -> None:
        super().__init__(detail)
        self.detail = detail


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
}


def from_workflow(exc: BaseException) -> AppError:
    """Translate a refused update or a closed workflow into the API's error."""
    cause = exc.cause if isinstance(exc, WorkflowUpdateFailedError) else exc
    if isinstance(cause, ApplicationError) and cause.type in BY_TYPE:
        details = list(cause.details) if cause.details else []
        detail: Any = details[0] if details and isinstance(details[0], list) else cause.message
        return BY_TYPE[cause.type](detail)
    if isinstance(exc, RPCError) and exc.status == RPCStatusCode.NOT_FOUND:
        return Conflict("the process has already ended")
    return Unavailable(f"workflow call failed: {exc}")


async def _render(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthorized) else None
    return JSONResponse({"error": exc.error, "detail": exc.detail}, status_code=exc.status_code, headers=headers)


def install(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _render)
