"""`GET /api/v1/health` when a dependency does not answer: 503 with the body its OpenAPI documents
(which check failed), not the error body of the other routes — on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.routes.health import HealthOut
from tests.inbox_support import api_without_temporal

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_an_unhealthy_answer_is_the_documented_one(
    sessions: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    async with api_without_temporal(sessions, database_url) as api:  # a Temporal that cannot answer
        response = await api.client.get("/api/v1/health")
        spec = (await api.client.get("/openapi.json")).json()
    assert response.status_code == 503
    body = HealthOut.model_validate(response.json())
    assert body.status == "unavailable" and body.checks["database"] == "ok"
    assert body.checks["temporal"].startswith("error: ")
    answers = spec["paths"]["/api/v1/health"]["get"]["responses"]
    for status in ("200", "503"):
        assert answers[status]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/HealthOut"}
