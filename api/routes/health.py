"""Health: 200 only when the API, the database and Temporal all answer."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import text

from api.deps import SessionDep, TemporalDep

router = APIRouter(tags=["health"])


class HealthOut(BaseModel):
    """Each dependency's answer, `ok` or `error: <kind>`; `status` is `ok` only when all are."""

    status: Literal["ok", "unavailable"]
    checks: dict[str, str] = Field(examples=[{"api": "ok", "database": "ok", "temporal": "ok"}])


UNHEALTHY = {
    "model": HealthOut,
    "description": "the database or Temporal did not answer: `checks` says which (not the error body of other routes)",
}


@router.get("/health", response_model=HealthOut, responses={503: UNHEALTHY})
async def health(session: SessionDep, temporal: TemporalDep) -> JSONResponse:
    checks: dict[str, str] = {"api": "ok"}
    try:
        await session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means unhealthy
        checks["database"] = f"error: {exc.__class__.__name__}"
    try:
        await temporal.service_client.check_health()
        checks["temporal"] = "ok"
    except Exception as exc:  # noqa: BLE001
        checks["temporal"] = f"error: {exc.__class__.__name__}"
    healthy = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ok" if healthy else "unavailable", "checks": checks}, status_code=200 if healthy else 503
    )
