"""OpenTelemetry traces (issue 24 §3): one API request, the workflow update it sends and the activity
the update runs are spans of ONE trace — through the real API, a real worker and the Temporal dev
server, with the tracing the API and the worker install when OTEL_EXPORTER_OTLP_ENDPOINT is set
(here an in-memory exporter stands in for the collector)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client, WorkflowHistory
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from telemetry import temporal_interceptors, tracer_provider
from temporal_client import DATA_CONVERTER
from tests.support import running_api
from tests.workflows.test_saved_histories import SAVED
from workflows.registry import WORKFLOWS

pytestmark = pytest.mark.asyncio(loop_scope="session")


def names_in(trace_id: int, spans: list[ReadableSpan]) -> list[str]:
    return [span.name for span in spans if span.context is not None and span.context.trace_id == trace_id]


async def test_a_decision_is_one_trace_from_the_request_through_the_update_to_the_activity(
    temporal_env: WorkflowEnvironment, sessions: async_sessionmaker[AsyncSession], database_url: str, task_queue: str
) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    traced = Client(**{**temporal_env.client.config(), "interceptors": temporal_interceptors(provider)})
    async with running_api(traced, sessions, task_queue, database_url, tracing=provider) as api:
        started = await api.submit()
        assert started.status_code == 201, started.text
        task = await api.task_for("marketing_reviewer", started.json()["process_id"])
        exporter.clear()
        decided = await api.decide("marketing_reviewer", started.json()["process_id"], "approve", "traced")
        assert decided.status_code == 200, decided.text
        [request] = [s for s in exporter.get_finished_spans() if s.name == "POST /api/v1/tasks/{task_id}/decision"]
        assert request.context is not None
        names: list[str] = []
        for _ in range(50):  # the worker's spans end as its tasks complete, around the answer
            names = names_in(request.context.trace_id, list(exporter.get_finished_spans()))
            if any(name.startswith("RunActivity:") for name in names):
                break
            await asyncio.sleep(0.1)
    assert any(name.startswith("StartWorkflowUpdate:") for name in names), names
    assert any(name.startswith("HandleUpdate:") for name in names), names
    assert any(name.startswith("RunActivity:") for name in names), names
    assert task["task_id"] not in " ".join(names)  # the route's template names the span, not the id


async def test_tracing_is_off_unless_an_otlp_endpoint_is_set() -> None:
    assert tracer_provider("customer-approvals-api", None) is None
    assert temporal_interceptors(None) == []
    provider = tracer_provider("customer-approvals-api", "http://127.0.0.1:4318")
    assert provider is not None
    provider.shutdown()


async def saved_histories() -> AsyncIterator[WorkflowHistory]:
    for name, text in SAVED.items():
        yield WorkflowHistory.from_json(name, text)


async def test_saved_histories_replay_with_tracing_on() -> None:
    """Tracing adds spans, never a command: every saved history replays under the worker's tracing
    interceptors (and no span is made on replay)."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing = temporal_interceptors(provider)
    replayer = Replayer(workflows=WORKFLOWS, data_converter=DATA_CONVERTER, interceptors=tracing)
    replayed = await replayer.replay_workflows(saved_histories(), raise_on_replay_failure=False)
    assert replayed.replay_failures == {}
    assert len(SAVED) > 20
    assert [span.name for span in exporter.get_finished_spans()] == []
