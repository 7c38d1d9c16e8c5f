"""What the API and the worker tell an operator (issue 24 §3): JSON log lines, OpenTelemetry traces and
the Temporal SDK's own Prometheus metrics. Wiring only: the callers hand in the settings' values.

docs/operations/observability.md is the operator's page.
"""

from __future__ import annotations

import logging
import os
import re
from contextvars import ContextVar
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from pythonjsonlogger.json import JsonFormatter
from temporalio import activity
from temporalio.contrib.opentelemetry import TracingInterceptor, TracingWorkflowInboundInterceptor
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.worker import HandleUpdateInput, WorkflowInboundInterceptor, WorkflowInterceptorClassInput

# What the request being served has told us so far (request id, actor, process id). One mutable
# dict per request: a dependency that learns the actor writes into the dict the middleware made,
# whatever context copy it runs in.
REQUEST_FACTS: ContextVar[dict[str, str] | None] = ContextVar("request_facts", default=None)

# A credential that slipped into a message (or an exception's traceback) is cut out before the line is
# written: bearer tokens, JWTs (three base64url parts), `password=`/`"password": "..."` pairs, and the
# robot webhooks' keys: DingTalk's `access_token=` query, Feishu's `/bot/v2/hook/<token>` path.
_SECRETS = (
    (re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]+"), "Bearer [redacted]"),
    (re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), "[redacted-jwt]"),
    (re.compile(r"(?i)(password[\"']?\s*[:=]\s*[\"']?)[^\"'&\s,}]+"), r"\1[redacted]"),
    (re.compile(r"(?i)\b(access_token|token|secret|sign)=[^&\s\"'#]+"), r"\1=[redacted]"),
    (re.compile(r"(?i)(/hook/)[^/?#\s\"']+"), r"\1[redacted]"),
)


def redact(text: str) -> str:
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


class ContextFilter(logging.Filter):
    """Adds the request's facts and, inside a Temporal activity or workflow, its process id; redacts."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in (REQUEST_FACTS.get() or {}).items():
            if not hasattr(record, key):
                setattr(record, key, value)
        span = trace.get_current_span().get_span_context()
        if span.is_valid and not hasattr(record, "trace_id"):
            record.trace_id = format(span.trace_id, "032x")
        if not hasattr(record, "process_id"):  # the process a worker's line is about: its workflow id
            temporal = getattr(record, "temporal_activity", None) or getattr(record, "temporal_workflow", None)
            if isinstance(temporal, dict) and "workflow_id" in temporal:
                record.process_id = temporal["workflow_id"]
            elif activity.in_activity() and (workflow_id := activity.info().workflow_id):
                record.process_id = workflow_id
        record.__dict__.pop("color_message", None)  # uvicorn's terminal copy of the message
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


class _RedactingJsonFormatter(JsonFormatter):
    """Tracebacks are redacted too: an exception's text (an HTTP error names the URL it posted to) is
    written with the line, outside the message the context filter cleans."""

    def formatException(self, ei: Any) -> str | list[str]:  # type: ignore[override]  # noqa: N802
        return _redacted(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str | list[str]:  # type: ignore[override]  # noqa: N802
        return _redacted(super().formatStack(stack_info))


def _redacted(text: str | list[str]) -> str | list[str]:  # a list when the formatter writes arrays
    return redact(text) if isinstance(text, str) else [redact(line) for line in text]


def json_handler(stream: Any = None) -> logging.Handler:
    """A stderr handler writing one JSON object a line: time (UTC), level, logger, message, pid and whatever
    the context filter or the caller's `extra` added (request_id, actor, process_id, …)."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        _RedactingJsonFormatter(
            "{levelname}{name}{message}{process}",
            style="{",
            timestamp="time",  # ISO 8601 in UTC
            rename_fields={"levelname": "level", "name": "logger", "process": "pid"},
        )
    )
    handler.addFilter(ContextFilter())
    return handler


def configure_logging(level: int = logging.INFO) -> None:
    """The root logger and uvicorn's write JSON lines (uvicorn's access log is replaced by the
    API's own request line, which names the route template instead of the raw path). httpx and
    httpcore only warn: at INFO httpx logs every request's full URL, and a robot webhook's URL is its
    credential (DingTalk's access_token query, Feishu's hook path)."""
    root = logging.getLogger()
    root.handlers[:] = [json_handler()]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(max(level, logging.WARNING))


def tracer_provider(service: str, otlp_endpoint: str | None) -> TracerProvider | None:
    """Off unless an OTLP endpoint is configured (OTEL_EXPORTER_OTLP_ENDPOINT); spans leave in batches."""
    if not otlp_endpoint:
        return None
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    provider = TracerProvider(resource=Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", service)}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=_traces_url(otlp_endpoint))))
    return provider


def _traces_url(endpoint: str) -> str:
    """OTEL_EXPORTER_OTLP_ENDPOINT is the collector's base address; HTTP traces go to /v1/traces under it."""
    return endpoint if endpoint.rstrip("/").endswith("/v1/traces") else f"{endpoint.rstrip('/')}/v1/traces"


def instrument_app(app: Any, provider: TracerProvider | None) -> None:
    """A server span per API request (not for the scraper's /metrics); nothing when tracing is off."""
    if provider is None:
        return
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(app, tracer_provider=provider, excluded_urls="/metrics")


Carrier = dict[str, list[str] | str]  # a trace context as Temporal's headers carry it
# The caller's trace of the update a workflow task is handling (each handler runs in its own task).
_UPDATE_CARRIER: ContextVar[Carrier | None] = ContextVar("update_trace_carrier", default=None)


class _UpdateInCallersTrace(TracingWorkflowInboundInterceptor):
    """Temporal's interceptor puts an update's spans in the trace of the workflow's start, linked to the
    caller. A decision is its own request, days after the start: here the update's handling, and the
    activities started while it is in flight (the process's write, made by its main line once the
    update has moved it; the latest update's when several are), continue the caller's trace, so one
    trace shows request → update → activity. Spans only, never a command: replay is unchanged."""

    def __init__(self, next: WorkflowInboundInterceptor) -> None:
        super().__init__(next)
        self._updates: list[Carrier] = []  # the callers' trace carriers of the updates in flight

    async def handle_update_handler(self, input: HandleUpdateInput) -> Any:
        header = input.headers.get(self.header_key)
        carrier = self.payload_converter.from_payloads([header])[0] if header else None
        if not carrier:
            return await super().handle_update_handler(input)
        token = _UPDATE_CARRIER.set(carrier)
        self._updates.append(carrier)
        try:
            return await super().handle_update_handler(input)
        finally:
            self._updates.remove(carrier)
            _UPDATE_CARRIER.reset(token)

    def _load_workflow_context_carrier(self) -> Carrier | None:
        return _UPDATE_CARRIER.get() or super()._load_workflow_context_carrier()

    def _completed_span(self, span_name: str, **options: Any) -> None:
        if not (self._updates and span_name.startswith("StartActivity:")):
            return super()._completed_span(span_name, **options)
        token = otel_context.attach(self.text_map_propagator.extract(self._updates[-1]))
        try:
            return super()._completed_span(span_name, **options)
        finally:
            otel_context.detach(token)


class _Tracing(TracingInterceptor):
    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[TracingWorkflowInboundInterceptor]:
        super().workflow_interceptor_class(input)  # registers the span extern the workflow side calls
        return _UpdateInCallersTrace


def temporal_interceptors(provider: TracerProvider | None) -> list[Any]:
    """The client's interceptors: with tracing on, the span context travels in the headers of starts,
    updates and activities (the worker takes the interceptor from its client)."""
    if provider is None:
        return []
    return [_Tracing(provider.get_tracer("temporalio"))]


def worker_runtime(metrics_address: str | None) -> Runtime | None:
    """The Temporal SDK's metrics (task slots, poll and schedule-to-start latencies, …) served for
    Prometheus at `metrics_address` (host:port); None keeps the SDK's default runtime (no endpoint)."""
    if not metrics_address:
        return None
    return Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=metrics_address)))
