"""`GET /metrics` for Prometheus (issue 24 §3): the HTTP figures of api/observe.py and the domain gauges.

Who may scrape: a request carrying `Authorization: Bearer <METRICS_TOKEN>` (when that setting is
set), or one from an address in `METRICS_NETWORKS` (default: this host's loopback only). Anyone else
gets 403: the gauges say how much work each step holds, which is the company's business. Under
several API processes (`uvicorn --workers`), PROMETHEUS_MULTIPROC_DIR makes every process's counts
one answer (prometheus-client's multiprocess mode).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import ipaddress
import logging
import os
from collections.abc import Iterator
from dataclasses import replace
from time import monotonic

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.services.work_metrics import HistoryFacts, StepWork, escalations_fired, history_facts, open_work
from settings import Settings

METRICS_PATH = "/metrics"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
REFUSAL = "only the configured scraper may read /metrics (METRICS_TOKEN or METRICS_NETWORKS)"
log = logging.getLogger(__name__)


def may_scrape(request: Request, settings: Settings) -> bool:
    token = settings.metrics_token
    given = request.headers.get("authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    host = request.client.host if request.client else None
    try:
        address = ipaddress.ip_address(host or "")
    except ValueError:
        return False
    return any(address in network for network in settings.metrics_scrapers())


class HistoryWalk:
    """The slow figures, walked in the background at most every `seconds`: a scrape never waits for
    the walk (it reads the last result; before the first walk ends the gauges are absent). A walk
    that fails reports the chains not verified (approvals_audit_chain_ok 0), not the last verdict."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], seconds: float) -> None:
        self.sessions, self.seconds = sessions, seconds
        self.last: HistoryFacts | None = None
        self._started_at: float | None = None
        self._task: asyncio.Task[None] | None = None

    def refresh_if_due(self) -> None:
        due = self._started_at is None or monotonic() - self._started_at >= self.seconds
        if due and (self._task is None or self._task.done()):
            self._started_at = monotonic()
            self._task = asyncio.create_task(self._walk())

    async def wait(self) -> None:
        if self._task is not None:
            await self._task

    async def close(self) -> None:
        """At shutdown: a walk under way stops before the database it reads is closed."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _walk(self) -> None:
        try:
            async with self.sessions() as session:
                self.last = await history_facts(session)
        except Exception:  # noqa: BLE001 - the next scrape tries again
            log.exception("the audit-chain walk failed: approvals_audit_chain_ok is 0 until a walk succeeds")
            failed = HistoryFacts(audit_ok=False, audit_rows=0, audit_processes=0, checked_at=0.0, walk_seconds=0.0)
            self.last = replace(self.last, audit_ok=False) if self.last is not None else failed


class DomainFigures(Collector):
    """The gauges of one scrape, from figures read just before."""

    def __init__(self, work: list[StepWork], history: HistoryFacts | None, escalations: int | None = None) -> None:
        self.work, self.history, self.escalations = work, history, escalations

    def collect(self) -> Iterator[Metric]:
        labels = ["process_type", "step"]
        open_tasks = GaugeMetricFamily("approvals_open_tasks", "Open tasks per process type and step", labels=labels)
        overdue = GaugeMetricFamily("approvals_overdue_tasks", "Open tasks past their deadline", labels=labels)
        for line in self.work:
            open_tasks.add_metric([line.process_type, line.step], line.open)
            overdue.add_metric([line.process_type, line.step], line.overdue)
        yield from (open_tasks, overdue)
        if self.escalations is not None:
            yield CounterMetricFamily(
                "approvals_escalations_fired", "Escalations (督办) fired so far", self.escalations
            )
        if self.history is None:
            return
        facts = self.history
        for name, about, figure in (
            ("approvals_audit_chain_ok", "1 when every audit chain verified", int(facts.audit_ok)),
            ("approvals_audit_chain_rows", "Audit rows verified by the last walk", facts.audit_rows),
            ("approvals_audit_chain_checked_timestamp_seconds", "When the last walk ended", facts.checked_at),
            ("approvals_audit_chain_walk_seconds", "How long the last walk took", facts.walk_seconds),
        ):
            yield GaugeMetricFamily(name, about, figure)


def process_figures() -> bytes:
    """The HTTP counters and histograms: this process's, or every API process's in multiprocess mode."""
    if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        return generate_latest(REGISTRY)
    registry = CollectorRegistry()
    MultiProcessCollector(registry)
    return generate_latest(registry)


def install(app: FastAPI) -> None:
    """Add `GET /metrics` (out of the OpenAPI schema: it is the scraper's, not the API's)."""

    async def metrics(request: Request) -> Response:
        settings: Settings = request.app.state.settings
        if not may_scrape(request, settings):  # JSON like the API's refusals (outside /api/v1 they would be a page)
            return JSONResponse({"error": "forbidden", "detail": REFUSAL}, status_code=403)
        walk: HistoryWalk = request.app.state.history_walk
        walk.refresh_if_due()
        async with request.app.state.sessions() as session:
            work = await open_work(session)
            escalations = await escalations_fired(session)
        domain = CollectorRegistry()
        domain.register(DomainFigures(work, walk.last, escalations))
        return Response(process_figures() + generate_latest(domain), media_type=CONTENT_TYPE)

    app.add_api_route(METRICS_PATH, metrics, methods=["GET"], include_in_schema=False)
