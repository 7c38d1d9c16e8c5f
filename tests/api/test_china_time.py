"""One moment, one time zone (issue 20 item 15): every time the API answers is China time.

The guard walks every route's response model, recursively, built from `app.routes`: a `datetime`
field anywhere in an answer must be `domain.china_time.ChinaTime`, so a model added later that
forgets it fails here. The second test reads real answers on both databases."""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from datetime import datetime
from typing import Any

import pytest
from fastapi.routing import APIRoute
from pydantic import BaseModel

from api.main import create_app
from domain.china_time import CHINA_TIME_SERIALIZER
from settings import Settings
from tests.api.test_onboarding import approve_all
from tests.support import Api

P = "/api/v1"
ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def response_models() -> dict[str, Any]:
    app = create_app(Settings(database_url="sqlite://"))
    found: dict[str, Any] = {}
    for route in app.routes:
        for context in getattr(route, "effective_route_contexts", lambda: [])():
            original = context.original_route
            if isinstance(original, APIRoute) and original.response_model is not None:
                found[f"{sorted(context.methods or ())} {context.path}"] = original.response_model
    return found


def plain_datetimes(tp: Any, where: str, metadata: tuple[Any, ...] = (), seen: set[Any] | None = None) -> list[str]:
    """Every place under `tp` where a datetime is answered without ChinaTime."""
    seen = set() if seen is None else seen
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        inner, *extra = typing.get_args(tp)
        return plain_datetimes(inner, where, (*metadata, *extra), seen)
    if tp is datetime:
        return [] if any(m is CHINA_TIME_SERIALIZER for m in metadata) else [where]
    if origin is not None or isinstance(tp, types.UnionType):
        return [p for arg in typing.get_args(tp) for p in plain_datetimes(arg, where, (), seen)]
    if not isinstance(tp, type) or tp in seen:
        return []
    seen.add(tp)
    if issubclass(tp, BaseModel):
        return [
            p
            for name, info in tp.model_fields.items()
            for p in plain_datetimes(
                info.annotation, f"{tp.__module__}.{tp.__qualname__}.{name}", tuple(info.metadata), seen
            )
        ]
    if dataclasses.is_dataclass(tp):
        hints = typing.get_type_hints(tp, include_extras=True)
        return [
            p
            for f in dataclasses.fields(tp)
            for p in plain_datetimes(hints[f.name], f"{tp.__qualname__}.{f.name}", (), seen)
        ]
    return []


def test_every_answered_datetime_is_china_time() -> None:
    plain = sorted({p for route, model in response_models().items() for p in plain_datetimes(model, route)})
    assert not plain, "answered as a plain datetime (use domain.china_time.ChinaTime):\n" + "\n".join(plain)


def test_the_openapi_schema_says_china_time() -> None:
    schema = create_app(Settings(database_url="sqlite://")).openapi()
    task = schema["components"]["schemas"]["TaskOut"]["properties"]["created_at"]
    assert task["format"] == "date-time" and "+08:00" in task["description"]


def times_in(value: Any, where: str = "") -> list[tuple[str, str]]:
    if isinstance(value, dict):
        return [t for k, v in value.items() for t in times_in(v, f"{where}.{k}")]
    if isinstance(value, list):
        return [t for i, v in enumerate(value) for t in times_in(v, f"{where}[{i}]")]
    return [(where, value)] if isinstance(value, str) and ISO_TIME.match(value) else []


@pytest.mark.asyncio(loop_scope="session")
async def test_real_answers_read_china_time(api: Api) -> None:
    """A task, a complaint, a process's detail and history, an action's answer: every time +08:00."""
    started = await api.submit()
    assert started.status_code == 201, started.text
    process_id = started.json()["process_id"]
    complaint = await api.post(
        f"{P}/complaints",
        "sales_clerk",
        json={
            "customer_name": "时区测试",
            "channel": "phone",
            "category": "delivery",
            "severity": "ordinary",
            "description": "送货延误 (issue 20 item 15)",
        },
    )
    assert complaint.status_code == 201, complaint.text
    answers = {
        "start": started.json(),
        "tasks": (await api.get(f"{P}/tasks", "marketing_reviewer")).json(),
        "complaint": (await api.get(f"{P}/complaints/{complaint.json()['process_id']}", "sales_clerk")).json(),
        "process": (await api.get(f"{P}/processes/{process_id}", "sales_clerk")).json(),
        "decision": (await approve_all(api, process_id)),
    }
    answers["history"] = (await api.get(f"{P}/processes/{process_id}/history", "sales_clerk")).json()
    answers["customer"] = (await api.get(f"{P}/customers/{answers['decision']['customer_id']}", "auditor")).json()
    times = [t for name, body in answers.items() for t in times_in(body, name)]
    assert len(times) > 10, times
    wrong = [(where, value) for where, value in times if not value.endswith("+08:00")]
    assert not wrong, wrong
