"""Schemathesis over the app's own OpenAPI (issue 10 §3): generated requests, with the tokens of
several demo roles and without one, against the real app, a real worker, the Temporal dev server
and a database of each kind. No answer may be a server error, and every answer must be one the
OpenAPI documents: its status code, its content type and its schema.

Bounded: a fixed number of examples per operation, derandomized (the same cases every run), no
shrinking. The run gets its own fresh database, because administrators' generated requests change
the calendar and the users, which other tests must not see.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from temporalio.testing import WorkflowEnvironment

from db.migrate import upgrade
from db.session import make_engine, make_sessionmaker
from scripts.seed_demo import seed
from tests.conftest import _fresh_postgres_database
from tests.support import Api, running_api

pytestmark = pytest.mark.asyncio(loop_scope="session")

EXAMPLES_PER_OPERATION = 10  # per generation mode: valid requests, and requests that break the schema
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
ROLES = ("sales_clerk", "marketing_manager", "finance_reviewer", "station_manager", "auditor", "admin", None)
CONFORMANCE = [status_code_conformance, content_type_conformance, response_schema_conformance]
CHECKS = [not_a_server_error, *CONFORMANCE]
# A health check answers 503 whenever Temporal or the database does not answer at that moment (a busy dev
# server under the whole suite did, once): its own documented answer (tests/api/test_health.py), not a fault.
HEALTH = "GET /api/v1/health"


@pytest_asyncio.fixture(loop_scope="session")
async def own_api(
    temporal_env: WorkflowEnvironment, database_url: str, tmp_path_factory: pytest.TempPathFactory, task_queue: str
) -> AsyncIterator[Api]:
    """The real API on a fresh database of the same kind as `database_url`, seeded with demo users."""
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path_factory.mktemp('schemathesis') / 'app.db'}"
    else:
        url = _fresh_postgres_database(database_url)
    await asyncio.to_thread(upgrade, url)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    await seed(sessions)
    try:
        async with running_api(temporal_env.client, sessions, task_queue, url) as api:
            yield api
    finally:
        await engine.dispose()


def _request(case: Any, auth: dict[str, str]) -> dict[str, Any]:
    """The case as httpx arguments (schemathesis serializes for `requests`)."""
    sent = case.as_transport_kwargs(base_url="http://test")
    request = {k: sent[k] for k in ("method", "url", "params") if sent.get(k) is not None}
    request["headers"] = {**(sent.get("headers") or {}), **auth}
    if "json" in sent:
        request["json"] = sent["json"]
    elif isinstance(sent.get("data"), bytes | str):
        request["content"] = sent["data"]
    elif sent.get("data") is not None:
        request["data"] = sent["data"]
    return request


async def test_generated_requests_get_documented_answers(own_api: Api) -> None:
    spec = (await own_api.client.get("/openapi.json")).json()
    schema = schemathesis.openapi.from_dict(spec)
    operations = [result.ok() for result in schema.get_all_operations()]
    tokens = {role: await own_api.headers(role) if role else {} for role in ROLES}
    loop = asyncio.get_running_loop()
    failures: dict[str, str] = {}
    statuses: dict[int, int] = {}

    def send(case: Any, role: str | None) -> None:
        future = asyncio.run_coroutine_threadsafe(own_api.client.request(**_request(case, tokens[role])), loop)
        response: httpx.Response = future.result(timeout=120)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        unhealthy = case.operation.label == HEALTH and response.status_code == 503
        try:
            case.validate_response(response, checks=CONFORMANCE if unhealthy else CHECKS)
        except (Exception, FailureGroup) as failure:  # every distinct failure is reported, none stops the run
            key = f"{case.operation.label} → {response.status_code}"
            failures.setdefault(key, f"{failure}\n{response.text[:500]}")

    def run(operation: Any, mode: GenerationMode) -> None:
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode), role=st.sampled_from(ROLES))
        def one(case: Any, role: str | None) -> None:
            send(case, role)

        try:
            one()
        except Unsatisfiable:  # nothing to break: an operation without parameters or body
            assert mode is GenerationMode.NEGATIVE

    started = time.monotonic()
    for operation in operations:
        for mode in MODES:
            await asyncio.to_thread(run, operation, mode)
    elapsed = time.monotonic() - started
    cases = sum(statuses.values())
    print(f"schemathesis: {len(operations)} operations, {cases} cases in {elapsed:.1f} s, statuses {statuses}")
    assert failures == {}, "\n\n".join(f"{key}\n{text}" for key, text in failures.items())
    assert not any(status >= 500 for status in statuses)
