"""Every HTTP request observed once (issue 24 §3): its request id, its Prometheus count and latency
by route template and status, and one JSON log line.

Pure ASGI middleware, outside every other: it sees the final status, a 413 of the body limit
included. Labels carry the route's template (`/api/v1/tasks/{task_id}`), never the raw path, so no
id becomes a time series; a path no route matched is counted as `unmatched`.
"""

from __future__ import annotations

import logging
import re
import uuid
from time import perf_counter
from typing import Any

from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from telemetry import REQUEST_FACTS

log = logging.getLogger("api.requests")

REQUEST_ID_HEADER = b"x-request-id"
# A caller's id is kept when it is a plain token a log line and a header can carry unchanged;
# anything else (too long, spaces, control characters) is replaced by a fresh one.
_CALLER_ID = re.compile(rb"^[A-Za-z0-9._:-]{1,64}$")
UNMATCHED = "unmatched"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

REQUESTS = Counter("http_requests", "HTTP requests answered", ["method", "route", "status"])
LATENCY = Histogram(
    "http_request_duration_seconds",
    "Time from the request's arrival to the end of its response",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)


def request_id(scope: Scope) -> str:
    given = dict(scope["headers"]).get(REQUEST_ID_HEADER)
    return given.decode() if given is not None and _CALLER_ID.match(given) else uuid.uuid4().hex


def route_template(scope: Scope) -> str:
    """The matched route's full template: an included router's route knows only its own part of it
    (`/tasks/{task_id}`), the app's route table knows where it is mounted (`/api/v1/tasks/{task_id}`)."""
    route = scope.get("route")
    if route is None:
        return UNMATCHED
    app = scope.get("app")
    templates: dict[int, str] | None = getattr(getattr(app, "state", None), "route_templates", None)
    if templates is None and app is not None:
        templates = app.state.route_templates = full_templates(app.routes)
    path = (templates or {}).get(id(route)) or getattr(route, "path_format", None) or getattr(route, "path", None)
    return str(path) if path else UNMATCHED


def full_templates(routes: list[Any]) -> dict[int, str]:
    """id of each route → the template it is served under (FastAPI wraps included routers' routes:
    their full paths are read through `effective_route_contexts`)."""
    found: dict[int, str] = {}
    for route in routes:
        contexts = getattr(route, "effective_route_contexts", None)
        for context in contexts() if contexts is not None else ():
            found.setdefault(id(context.original_route), context.path_format)
    return found


def note_actor(username: str) -> None:
    """Called once the request's user is known: its later log lines and its request line name them."""
    facts = REQUEST_FACTS.get()
    if facts is not None:
        facts["actor"] = username


class ObservedRequests:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        facts = {"request_id": request_id(scope)}
        token = REQUEST_FACTS.set(facts)
        status = 500  # what an exception that escapes every handler becomes
        started = perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [*message.get("headers", []), (REQUEST_ID_HEADER, facts["request_id"].encode())]
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = perf_counter() - started
            route = route_template(scope)
            method = scope["method"] if scope["method"] in METHODS else "other"  # a client invents no series
            REQUESTS.labels(method, route, str(status)).inc()
            LATENCY.labels(method, route).observe(elapsed)
            extra = {"method": method, "route": route, "status": status, "duration_ms": round(elapsed * 1000, 1)}
            if process_id := scope.get("path_params", {}).get("process_id"):
                extra["process_id"] = process_id
            log.info("%s %s %s", method, route, status, extra=extra)
            REQUEST_FACTS.reset(token)
