"""The Grafana dashboard provisioned from the repository (deploy/grafana/, issue 24 §3) and the
Prometheus alerts (deploy/prometheus/alerts.yml) watch only metrics that exist: the files parse, and
every metric name a panel or an alert queries is one the real API's `/metrics` or a real worker's
Temporal SDK endpoint (WORKER_METRICS_ADDRESS) exports."""

from __future__ import annotations

import asyncio
import json
import re
import socket
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from api.observe import full_templates
from telemetry import worker_runtime
from temporal_client import connect
from tests.api.test_metrics import after_a_walk
from tests.support import Api
from worker import build_worker

pytestmark = pytest.mark.asyncio(loop_scope="session")

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
DASHBOARDS = DEPLOY / "grafana" / "dashboards"
METRIC = re.compile(r"\b(?:approvals|http|temporal)_[a-z0-9_]+\b")


def panels() -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for path in sorted(DASHBOARDS.glob("*.json")):
        found += json.loads(path.read_text(encoding="utf-8"))["panels"]
    return found


def queried(panel: dict[str, Any]) -> set[str]:
    return {name for target in panel["targets"] for name in METRIC.findall(target["expr"])}


def alerts() -> dict[str, set[str]]:
    rules = yaml.safe_load((DEPLOY / "prometheus/alerts.yml").read_text(encoding="utf-8"))
    return {rule["alert"]: set(METRIC.findall(rule["expr"])) for group in rules["groups"] for rule in group["rules"]}


def sample_names(exposition: str) -> set[str]:
    return {sample.name for family in text_string_to_metric_families(exposition) for sample in family.samples}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def read(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310 - a local test endpoint
        return str(answer.read().decode())


async def worker_exposition(
    env: WorkflowEnvironment, sessions: async_sessionmaker[AsyncSession], task_queue: str
) -> str:
    """What a worker connected like `python worker.py` (its own runtime) serves once it polls."""
    address = f"127.0.0.1:{free_port()}"
    client = await connect(env.client.service_client.config.target_host, runtime=worker_runtime(address))
    async with build_worker(client, f"{task_queue}-metrics", sessions):
        for _ in range(50):
            text = await asyncio.to_thread(read, f"http://{address}/metrics")
            if "temporal_worker_task_slots_used" in text:
                return text
            await asyncio.sleep(0.1)
    raise AssertionError(f"the worker's endpoint never showed its task slots: {text[:500]}")


async def test_the_dashboard_and_its_provisioning_parse() -> None:
    assert panels(), "no dashboard under deploy/grafana/dashboards"
    assert all(panel["targets"] and queried(panel) for panel in panels()), "a panel queries no metric"
    datasource = yaml.safe_load((DEPLOY / "grafana/provisioning/datasources/prometheus.yml").read_text())
    uids = {source["uid"] for source in datasource["datasources"]}
    assert {panel["datasource"]["uid"] for panel in panels()} <= uids
    scrape = yaml.safe_load((DEPLOY / "prometheus/prometheus.yml").read_text())
    assert {job["job_name"] for job in scrape["scrape_configs"]} == {"api", "worker"}
    assert scrape["rule_files"] == ["/etc/prometheus/alerts.yml"]
    assert alerts() and all(alerts().values()), "an alert queries no metric"


async def test_every_panel_and_alert_queries_metrics_the_api_and_the_worker_export(
    api: Api, temporal_env: WorkflowEnvironment, sessions: async_sessionmaker[AsyncSession], task_queue: str
) -> None:
    started = await api.submit()  # a decision, so its route's latency has been observed
    assert (await api.decide("marketing_reviewer", started.json()["process_id"], "approve")).status_code == 200
    exported = sample_names(await after_a_walk(api))  # the audit walk's gauges appear once it has run
    exported |= sample_names(await worker_exposition(temporal_env, sessions, task_queue))
    missing = {panel["title"]: sorted(queried(panel) - exported) for panel in panels() if queried(panel) - exported}
    assert not missing, f"panels query metrics nobody exports: {missing}"
    unknown = {name: sorted(names - exported) for name, names in alerts().items() if names - exported}
    assert not unknown, f"alerts query metrics nobody exports: {unknown}"


ROUTE_MATCHER = re.compile(r'\broute(=~?)"([^"]*)"')


def decision_latency_queries() -> list[str]:
    rules = yaml.safe_load((DEPLOY / "prometheus/alerts.yml").read_text(encoding="utf-8"))
    exprs = [target["expr"] for panel in panels() for target in panel["targets"]]
    exprs += [rule["expr"] for group in rules["groups"] for rule in group["rules"]]
    return [expr for expr in exprs if "http_request_duration_seconds" in expr and "decision" in expr]


async def test_decision_latency_counts_the_api_s_and_the_web_workbench_s_decisions(api: Api) -> None:
    """The panel and the DecisionsSlow alert select the decision routes by template: both the API's
    and the web form's (web/pages.py), as /metrics labels them (api/observe.py)."""
    templates = set(full_templates(api.app.routes).values())
    decisions = {"/api/v1/tasks/{task_id}/decision", "/tasks/{task_id}/decision"}
    assert decisions <= templates, sorted(t for t in templates if t.endswith("/decision"))
    queries = decision_latency_queries()
    assert len(queries) >= 3, queries  # the panel's p50 and p95, the alert
    for expr in queries:
        [(operator, value)] = ROUTE_MATCHER.findall(expr)
        # PromQL's =~ is anchored at both ends, like fullmatch; = is the exact template
        selected = {t for t in templates if (re.fullmatch(value, t) if operator == "=~" else t == value)}
        assert selected == decisions, (expr, sorted(selected))
