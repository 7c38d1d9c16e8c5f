"""Issue 10 §2-§3: input the API accepts must be storable, and bad input is a clear 4xx, never a
500 or a workflow retrying forever. Each test reproduces a finding (real API, real worker, real
databases: the overflows happen on PostgreSQL)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from api.deps import SessionDep
from api.main import create_app
from api.security import create_token
from db.models import CalendarDay, OrgUnit
from db.session import make_engine, make_sessionmaker
from settings import Settings
from tests import trade_support as trade
from tests.support import Api, application

pytestmark = pytest.mark.asyncio(loop_scope="session")

NUL, SURROGATE = "\x00", "\\ud800"  # the surrogate as a JSON escape: json.dumps would refuse the raw one
COMPLAINT = {
    "customer_name": "新乡宏达物流",
    "channel": "phone",
    "category": "delivery",
    "severity": "ordinary",
    "description": "柴油延误",
}


def assert_error(response: httpx.Response, status: int, error: str | None = None) -> Any:
    """An error in the one documented shape `{"error", "detail"}`, as valid UTF-8 JSON."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = json.loads(response.content.decode("utf-8"))
    assert set(body) == {"error", "detail"}, body
    if error:
        assert body["error"] == error, body
    return body["detail"]


async def processes_of(api: Api, user: str) -> list[str]:
    listed = await api.get("/api/v1/processes", user, params={"mine": True, "limit": 500})
    assert listed.status_code == 200, listed.text
    return [p["process_id"] for p in listed.json()]


async def test_nul_in_a_name_description_or_comment_is_422_and_starts_nothing(api: Api) -> None:
    before = await processes_of(api, "sales_clerk")
    body = application(name=f"郑州{NUL}石化")
    assert_error(await api.submit(body=body), 422, "invalid")
    assert_error(await api.post("/api/v1/complaints", "sales_clerk", json={**COMPLAINT, "description": NUL}), 422)
    assert await processes_of(api, "sales_clerk") == before

    started = await api.submit()
    assert started.status_code == 201, started.text
    pid = started.json()["process_id"]
    task = await api.task_for("marketing_reviewer", pid)
    refused = await api.post(
        f"/api/v1/tasks/{task['task_id']}/decision", "marketing_reviewer", json={"outcome": "reject", "comment": NUL}
    )
    detail = assert_error(refused, 422)
    assert detail[0]["loc"] == ["body", "comment"] and "NUL" in detail[0]["msg"]
    assert (await api.task_for("marketing_reviewer", pid))["status"] == "open"


async def test_long_complaint_customer_name_fits_the_subject_column(api: Api) -> None:
    """190 characters plus ": category" used to overflow VARCHAR(200) in the store activity."""
    registered = await api.post(
        "/api/v1/complaints",
        "sales_clerk",
        json={**COMPLAINT, "customer_name": "宏" * 190, "category": "product_quality"},
    )
    assert registered.status_code == 201, registered.text
    task = await api.get(f"/api/v1/tasks/{registered.json()['current_task_id']}", "auditor")
    assert task.status_code == 200, task.text
    subject = task.json()["subject"]
    assert len(subject) == 200 and subject.startswith("宏" * 190) and subject.endswith("…")
    process = await api.get(f"/api/v1/processes/{registered.json()['process_id']}", "sales_clerk")
    assert process.status_code == 200 and len(process.json()["subject"]) <= 200, process.text
    too_long = await api.post("/api/v1/complaints", "sales_clerk", json={**COMPLAINT, "customer_name": "宏" * 201})
    assert_error(too_long, 422)


async def test_registered_capital_beyond_the_column_is_422(api: Api) -> None:
    """Numeric(18, 2): 10^20 overflowed on PostgreSQL; a third decimal would be silently rounded."""
    for capital in ("100000000000000000000", "0.001", "-1"):
        assert_error(await api.submit(body=application(registered_capital=capital)), 422)
    largest = await api.submit(body=application(registered_capital="9999999999999999.99"))
    assert largest.status_code == 201, largest.text
    # The deal's products are stored joined in VARCHAR(100): each product at most once.
    repeated = trade.trade_application(products=("refined_oil", "refined_oil"))
    assert "at most once" in str(assert_error(await api.post("/api/v1/trade", "sales_clerk", json=repeated), 422))


async def test_lone_surrogate_and_1e400_are_422_with_a_printable_echo(api: Api) -> None:
    """The 422 handler used to fail encoding the echoed input (500)."""
    headers = {**await api.headers("sales_clerk"), "content-type": "application/json"}
    raw = json.dumps(COMPLAINT, ensure_ascii=False)
    cases = [
        raw.replace('"柴油延误"', f'"{SURROGATE}"'),  # a stored text field
        raw.replace('"phone"', f'"{SURROGATE}"'),  # an enum: the input is echoed in the error
        raw.replace('"柴油延误"', '"ok", "customer_id": 1e400'),
    ]
    for content in cases:
        assert_error(await api.client.post("/api/v1/complaints", content=content, headers=headers), 422)
    capital = json.dumps(application()).replace('"50000000"', "1e400")
    assert_error(await api.client.post("/api/v1/onboarding", content=capital, headers=headers), 422)


async def test_offsets_and_ids_beyond_the_database_integers_are_422(api: Api) -> None:
    for path in ("/processes", "/complaints", "/customers", "/trade", "/tenders"):
        assert_error(await api.get(f"/api/v1{path}", "auditor", params={"offset": 2**63}), 422)
        last = await api.get(f"/api/v1{path}", "auditor", params={"offset": 2**63 - 1})
        assert last.status_code == 200 and last.json() == [], last.text
    for customer_id in (2**31, 10**20, 0):
        assert_error(await api.get(f"/api/v1/customers/{customer_id}", "auditor"), 422)
    finance = "finance_reviewer"
    paid = {"paid_at": "2026-10-01T10:00:00+08:00", "reference": "X"}
    assert_error(await api.post(f"/api/v1/trade/p/payments/{2**40}/paid", finance, json=paid), 422)
    assert_error(
        await api.client.delete(f"/api/v1/users/me/out-of-office/{2**63}", headers=await api.headers("admin")), 422
    )
    complaint = await api.post("/api/v1/complaints", "sales_clerk", json={**COMPLAINT, "customer_id": 2**31})
    assert_error(complaint, 422)


async def test_calendar_deadline_in_year_9999_is_422(api: Api) -> None:
    for start in ("9999-12-31T10:00:00+08:00", "9999-12-31T23:00:00-12:00", "0001-01-01T00:00:00+14:00"):
        response = await api.client.get("/api/v1/calendar/deadline", params={"start": start, "working_days": 3})
        assert_error(response, 422)
    admin = await api.headers("admin")
    far_day = await api.client.put(
        "/api/v1/calendar/days/9999-12-31", json={"is_working_day": True, "note": "x"}, headers=admin
    )
    assert_error(far_day, 422)
    assert_error(await api.client.put("/api/v1/calendar/years/99999999999", json={"source": "x"}, headers=admin), 422)


async def test_calendar_day_with_nul_is_refused_and_stores_nothing(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    day = "2031-05-06"
    refused = await api.client.put(
        f"/api/v1/calendar/days/{day}",
        json={"is_working_day": False, "note": f"盘点{NUL}"},
        headers=await api.headers("admin"),
    )
    assert_error(refused, 422)
    async with sessions() as session:
        assert await session.get(CalendarDay, date.fromisoformat(day)) is None


async def test_withdraw_of_a_complaint_or_a_deal_is_409_not_503(api: Api) -> None:
    """Neither process has a withdraw action: the process is fine, the request is not."""
    complaint = await api.post("/api/v1/complaints", "sales_clerk", json=COMPLAINT)
    deal = await api.post("/api/v1/trade", "sales_clerk", json=trade.trade_application())
    for started in (complaint, deal):
        assert started.status_code == 201, started.text
        pid = started.json()["process_id"]
        refused = await api.post(f"/api/v1/processes/{pid}/withdraw", "sales_clerk", json={"reason": "mistake"})
        assert "withdraw" in assert_error(refused, 409, "conflict")


async def test_request_body_over_the_limit_is_413(api: Api) -> None:
    headers = await api.headers("sales_clerk")
    huge = {**COMPLAINT, "unknown": "x" * (10 * 1024 * 1024)}
    assert_error(await api.client.post("/api/v1/complaints", json=huge, headers=headers), 413)

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it arrives
        yield b'{"description": "'
        for _ in range(2 * 1024):
            yield b"x" * 1024
        yield b'"}'

    chunked = await api.client.post("/api/v1/complaints", content=chunks(), headers=headers)
    assert_error(chunked, 413, "content_too_large")
    assert_error(await api.client.get("/api/v1/customers", params={"q": NUL}, headers=headers), 422)


async def test_documented_error_schema_is_the_rendered_one(api: Api) -> None:
    spec = (await api.client.get("/openapi.json")).json()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for status in ("401", "404", "422"):
                documented = operation["responses"][status]["content"]["application/json"]["schema"]
                assert documented == {"$ref": "#/components/schemas/ErrorOut"}, (method, path, status)
    assert spec["components"]["schemas"]["ErrorOut"]["required"] == ["error", "detail"]
    assert_error(await api.client.get("/api/v1/tasks"), 401, "unauthorized")
    malformed = await api.post("/api/v1/complaints", "sales_clerk", json={"channel": "pigeon"})
    assert {"loc", "msg", "type"} <= set(assert_error(malformed, 422, "invalid")[0])


async def test_commit_runs_before_the_response(
    temporal_env: WorkflowEnvironment, sessions: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    """A write that fails only at commit (a duplicate key, flushed by the commit) is an error
    response; before, the 200 was sent first and the commit failed after it."""
    app = create_app(
        Settings(app_env="demo", database_url=database_url), temporal=temporal_env.client, sessions=sessions
    )

    @app.put("/test/duplicate-unit")
    async def duplicate_unit(session: SessionDep) -> dict[str, str]:
        session.add(OrgUnit(code="HQ", name="duplicate", kind="company"))  # HQ exists: fails at commit
        return {"stored": "yes"}

    async with app.router.lifespan_context(app), _client(app) as http:
        assert_error(await http.put("/test/duplicate-unit"), 409, "conflict")
    async with sessions() as session:
        assert await session.scalar(select(OrgUnit.name).where(OrgUnit.code == "HQ")) != "duplicate"


@pytest.mark.parametrize("dead_url", ["sqlite:////nonexistent-dir/app.db", "postgresql://app:app@127.0.0.1:1/app"])
async def test_database_outage_is_a_json_503(temporal_env: WorkflowEnvironment, dead_url: str) -> None:
    """Inbox and login during an outage: a JSON 503 a client can retry, not a plain-text 500."""
    settings = Settings(app_env="demo", database_url=dead_url)
    engine = make_engine(dead_url)
    app = create_app(settings, temporal=temporal_env.client, sessions=make_sessionmaker(engine))
    token = create_token("sales_clerk", settings.jwt_secret, 5)
    try:
        async with app.router.lifespan_context(app), _client(app) as http:
            login = await http.post("/api/v1/auth/token", data={"username": "sales_clerk", "password": "demo"})
            assert_error(login, 503, "unavailable")
            inbox = await http.get("/api/v1/tasks", headers={"Authorization": f"Bearer {token}"})
            assert_error(inbox, 503, "unavailable")
            assert inbox.headers["retry-after"]
    finally:
        await engine.dispose()


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test", timeout=30)
