"""How every part of the engine refuses a step action: an ApplicationError of the type the API maps
to 403/404/409/422 (`domain/errors.py`); a validator raises it before anything reaches the history."""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain import errors


def refuse(message: str, kind: str = errors.CONFLICT) -> ApplicationError:
    return ApplicationError(message, type=kind)
