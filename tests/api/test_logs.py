"""Structured logs (issue 24 §3): one JSON object a line, with the request id (X-Request-ID in and out),
the OS process id and the actor once known — and never a password, a token or a session cookie,
through a user created with a password, sign-ins and failed sign-ins on the real API and on the web
pages, and signed-in requests."""

from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from telemetry import json_handler, redact
from tests.api.test_user_admin import USERS, login, new_user
from tests.support import Api
from tests.web.pages_support import Browser

pytestmark = pytest.mark.asyncio(loop_scope="session")

SECRET = f"correct-horse-{uuid.uuid4().hex[:12]}"
WRONG = f"wrong-battery-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """What the app's JSON handler writes, at the production level (INFO), from every logger."""
    stream = io.StringIO()
    handler = json_handler(stream)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def parsed(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]  # every line is one JSON object


async def test_log_lines_carry_request_id_and_actor_and_never_a_password_or_token(
    api: Api, log_lines: io.StringIO
) -> None:
    body = new_user(password=SECRET)
    assert (await api.post(USERS, "admin", json=body)).status_code == 201
    refused = await login(api.client, body["username"], WRONG)
    assert refused.status_code == 401
    signed_in = await login(api.client, body["username"], SECRET)
    assert signed_in.status_code == 200
    token = signed_in.json()["access_token"]
    me = await api.client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {token}", "X-Request-ID": "trace-me-1"}
    )
    assert me.status_code == 200 and me.headers["x-request-id"] == "trace-me-1"

    browser = Browser(api)  # the web pages' sign-in form carries the password too
    try:
        await browser.get("/login")
        assert (await browser.post("/login", {"username": body["username"], "password": WRONG})).status_code != 303
        await browser.sign_in(body["username"], SECRET)
        page = await browser.get("/", headers={"X-Request-ID": "page-me-1"})
        assert page.status_code == 200
        cookies = [cookie.value for cookie in browser.http.cookies.jar]
    finally:
        await browser.close()

    text = log_lines.getvalue()
    for secret in (SECRET, WRONG, token, token.split(".")[2], *cookies):
        assert secret not in text
    lines = parsed(log_lines)
    [mine] = [line for line in lines if line.get("request_id") == "trace-me-1"]
    assert mine["actor"] == body["username"]
    assert mine["route"] == "/api/v1/auth/me" and mine["status"] == 200
    assert isinstance(mine["pid"], int) and mine["level"] == "INFO"
    [failed] = [line for line in lines if line.get("route") == "/api/v1/auth/token" and line.get("status") == 401]
    assert "actor" not in failed and len(failed["request_id"]) == 32
    [page_line] = [line for line in lines if line.get("request_id") == "page-me-1"]
    assert page_line["actor"] == body["username"] and page_line["route"] == "/"


async def test_a_credential_written_into_a_message_is_cut_out(log_lines: io.StringIO) -> None:
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJib2IifQ.c2lnbmF0dXJl"
    logging.getLogger("tests.leak").warning("calling with Authorization: Bearer %s and password=%s", jwt, SECRET)
    logging.getLogger("tests.leak").warning("form {'password': '%s'} token %s", SECRET, jwt)
    text = log_lines.getvalue()
    assert SECRET not in text and "c2lnbmF0dXJl" not in text
    assert redact("password=hunter2 next") == "password=[redacted] next"
