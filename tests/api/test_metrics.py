"""`GET /metrics` (issue 24 §3): HTTP figures by route template, the domain gauges read from the
database, and who may scrape — through the real API, a real worker and Temporal, on both databases."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from api.metrics import DomainFigures, HistoryWalk
from api.services.work_metrics import ESCALATION_KIND
from db.migrate import upgrade
from db.models import AuditHead, Notification
from db.session import make_engine, make_sessionmaker
from settings import ROOT, Settings
from tests.support import Api, running_api

pytestmark = pytest.mark.asyncio(loop_scope="session")

SCRAPE_TOKEN = "scrape-token-0123456789abcdef"


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of an exposition: (name, labels) → value."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(text: str, name: str, **labels: str) -> float | None:
    return samples(text).get((name, frozenset(labels.items())))


async def scrape(api: Api) -> str:
    response = await api.client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


async def test_requests_are_counted_by_route_template_and_status_never_by_raw_path(api: Api) -> None:
    route = "/api/v1/tasks/{task_id}"
    before = value(await scrape(api), "http_requests_total", method="GET", route=route, status="404") or 0
    missing = "no-such-task-4242"
    answer = await api.get(f"/api/v1/tasks/{missing}", "marketing_reviewer")
    assert answer.status_code == 404
    text = await scrape(api)
    assert value(text, "http_requests_total", method="GET", route=route, status="404") == before + 1
    assert (value(text, "http_request_duration_seconds_count", method="GET", route=route) or 0) >= 1
    assert missing not in text  # an id never becomes a label
    await api.client.get("/no/route/here-77")
    assert "here-77" not in await scrape(api)
    assert value(await scrape(api), "http_requests_total", method="GET", route="unmatched", status="404")
    await api.client.request("BREW", "/no/route/here-78")  # any token is a method to HTTP/1.1
    text = await scrape(api)
    assert "BREW" not in text and value(text, "http_requests_total", method="other", route="unmatched", status="404")


async def test_a_request_id_comes_back_and_one_is_made_when_none_or_a_bad_one_is_sent(api: Api) -> None:
    given = await api.client.get("/api/v1/health", headers={"X-Request-ID": "caller-42.a"})
    assert given.headers["x-request-id"] == "caller-42.a"
    made = await api.client.get("/api/v1/health")
    assert re.fullmatch(r"[0-9a-f]{32}", made.headers["x-request-id"])
    refused = await api.client.get("/api/v1/health", headers={"X-Request-ID": "x" * 65})
    assert re.fullmatch(r"[0-9a-f]{32}", refused.headers["x-request-id"])


async def test_open_work_per_step_and_the_audit_walk_are_read_from_the_database(api: Api) -> None:
    step = {"process_type": "onboarding", "step": "marketing_review"}
    before = value(await scrape(api), "approvals_open_tasks", **step) or 0
    assert (await api.submit()).status_code == 201
    text = await scrape(api)
    assert value(text, "approvals_open_tasks", **step) == before + 1
    assert value(text, "approvals_overdue_tasks", **step) is not None
    for _ in range(20):  # the submission's audit row is written by an activity, soon after the 201
        text = await after_a_walk(api)
        if (value(text, "approvals_audit_chain_rows") or 0) >= 1:
            break
        await asyncio.sleep(0.2)
    assert value(text, "approvals_audit_chain_ok") == 1
    assert (value(text, "approvals_audit_chain_rows") or 0) >= 1
    fired = value(text, "approvals_escalations_fired_total") or 0
    async with api.app.state.sessions.begin() as session:  # the notice an escalation (督办) sends
        session.add(escalation_notice())
    assert (value(await after_a_walk(api), "approvals_escalations_fired_total") or 0) >= fired + 1


async def after_a_walk(api: Api) -> str:
    """A scrape after a walk that started now (a scrape starts one when the last is older than
    METRICS_SLOW_SECONDS, and never waits for it)."""
    walk: HistoryWalk = api.app.state.history_walk
    await walk.wait()
    walk.seconds = 0
    await scrape(api)  # starts the walk
    walk.seconds = 3600
    await walk.wait()
    return await scrape(api)


def escalation_notice() -> Notification:
    return Notification(
        notification_id=f"metrics-test-{uuid.uuid4()}",
        recipient_role="business_vp",
        kind=ESCALATION_KIND,
        subject="督办: step overdue",
        created_at=datetime.now(UTC),
    )


async def test_a_broken_audit_chain_shows_as_zero(tmp_path: Path) -> None:
    """A chain head whose rows are gone (api/audit.py: "row missing"), in a database of its own."""
    url = f"sqlite:///{tmp_path / 'app.db'}"
    upgrade(url)
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine).begin() as session:
            session.add(AuditHead(process_id="metrics-broken", length=1, hash="0" * 64))
        walk = HistoryWalk(make_sessionmaker(engine), seconds=300)
        walk.refresh_if_due()
        await walk.wait()
        registry = CollectorRegistry()
        registry.register(DomainFigures([], walk.last))
        text = generate_latest(registry).decode()
    finally:
        await engine.dispose()
    assert value(text, "approvals_audit_chain_ok") == 0


async def test_a_failed_audit_walk_shows_as_zero_not_as_the_last_verdict(tmp_path: Path) -> None:
    """A walk that raises (here its table is gone) must not leave the previous walk's 1 in place."""
    url = f"sqlite:///{tmp_path / 'app.db'}"
    upgrade(url)
    engine = make_engine(url)

    async def walked(walk: HistoryWalk) -> str:
        walk.refresh_if_due()
        await walk.wait()
        registry = CollectorRegistry()
        registry.register(DomainFigures([], walk.last))
        return generate_latest(registry).decode()

    try:
        walk = HistoryWalk(make_sessionmaker(engine), seconds=0)
        assert value(await walked(walk), "approvals_audit_chain_ok") == 1
        async with make_sessionmaker(engine).begin() as session:
            await session.execute(text("ALTER TABLE audit_heads RENAME TO audit_heads_gone"))
        assert value(await walked(walk), "approvals_audit_chain_ok") == 0
        assert value(await walked(HistoryWalk(make_sessionmaker(engine), seconds=0)), "approvals_audit_chain_ok") == 0
    finally:
        await engine.dispose()


async def test_every_api_process_reports_the_same_escalations_at_once(
    api: Api,
    temporal_env: WorkflowEnvironment,
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
    task_queue: str,
) -> None:
    """Compose runs several API processes, and any one answers a scrape: the escalations counter is
    read from the database at each scrape, so it never goes down between two scrapes answered by
    different processes (Prometheus would read a reset), and a new escalation shows at once."""
    walk: HistoryWalk = api.app.state.history_walk
    await walk.wait()
    walk.seconds = 3600  # no audit walk is due: the count must not depend on one
    # a second API process on the same database (its own worker's queue: one worker per queue and client)
    async with running_api(temporal_env.client, sessions, f"{task_queue}-second", database_url) as other:
        other.app.state.history_walk.seconds = 3600
        before = value(await scrape(api), "approvals_escalations_fired_total")
        assert before is not None
        async with api.app.state.sessions.begin() as session:
            session.add(escalation_notice())
        for _ in range(3):  # another test's process may escalate between the two scrapes
            here = value(await scrape(api), "approvals_escalations_fired_total")
            there = value(await scrape(other), "approvals_escalations_fired_total")
            if here == there:
                break
        assert here == there and here is not None and here >= before + 1


async def test_only_the_configured_scraper_reads_metrics(
    temporal_env: WorkflowEnvironment, sessions: async_sessionmaker[AsyncSession], database_url: str, task_queue: str
) -> None:
    async with running_api(
        temporal_env.client, sessions, task_queue, database_url, metrics_token=SCRAPE_TOKEN, metrics_networks=""
    ) as api:
        outside = api.from_address("10.9.8.7")
        refused = await outside.get("/metrics")
        assert refused.status_code == 403
        assert "METRICS_TOKEN" in refused.json()["detail"]
        wrong = await outside.get("/metrics", headers={"Authorization": "Bearer not-the-token-at-all"})
        assert wrong.status_code == 403
        user = await outside.get("/metrics", headers=await api.headers("admin"))  # a user's token is no scrape token
        assert user.status_code == 403
        allowed = await outside.get("/metrics", headers={"Authorization": f"Bearer {SCRAPE_TOKEN}"})
        assert allowed.status_code == 200
        assert "approvals_open_tasks" in allowed.text
    async with running_api(temporal_env.client, sessions, task_queue, database_url) as api:
        assert (await api.client.get("/metrics")).status_code == 200  # the default: this host's loopback
        assert (await api.from_address("10.9.8.7").get("/metrics")).status_code == 403


async def test_several_api_processes_add_up_in_multiprocess_mode(tmp_path: Path) -> None:
    """`uvicorn --workers N` (compose): with PROMETHEUS_MULTIPROC_DIR each process writes its counts
    there, and whichever process answers the scrape reports the sum."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}

    async def python(code: str) -> str:
        done = await asyncio.to_thread(
            subprocess.run, [sys.executable, "-c", code], env=env, check=True, cwd=ROOT, capture_output=True, text=True
        )
        return done.stdout

    for _ in range(2):
        await python("from api.observe import REQUESTS; REQUESTS.labels('GET', '/api/v1/health', '200').inc()")
    text = await python("from api.metrics import process_figures; print(process_figures().decode())")
    assert value(text, "http_requests_total", method="GET", route="/api/v1/health", status="200") == 2


async def test_an_empty_metrics_token_is_no_token_and_a_short_one_is_refused() -> None:
    assert Settings(app_env="demo", metrics_token="").metrics_token is None  # compose's `${METRICS_TOKEN:-}`
    with pytest.raises(ValidationError):
        Settings(app_env="demo", metrics_token="short")
    with pytest.raises(ValidationError):
        Settings(app_env="demo", metrics_networks="10.0.0.0/8,not-a-network")
