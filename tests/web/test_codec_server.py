"""Issue 24 §1: the codec server (web/codec.py) opens sealed payloads for auditors and administrators,
by bearer token (the CLI) or session cookie (the Temporal UI), and for nobody else; CORS lets the
Temporal UI's origin read its answers and no other origin."""

from __future__ import annotations

import asyncio
import base64
import json
import re
from asyncio.subprocess import PIPE, STDOUT
from typing import Any

import pytest
from google.protobuf.json_format import MessageToDict
from temporalio.api.common.v1 import Payload, Payloads

from scripts.temporal_dev import temporal_cli
from sealing import DEMO_KEY_ID, ENCODING, KEY_ID_FIELD
from temporal_client import DATA_CONVERTER
from tests.browser.harness import served
from tests.support import Api, application
from tests.web.pages_support import Browser, signed_in

pytestmark = pytest.mark.asyncio(loop_scope="session")

UI = "http://127.0.0.1:8233"  # the dev server's Temporal UI: an allowed origin by default
SECRET = {"customer": "封存测试客户有限公司", "credit_code": "91410100MA9XXXXXX1"}


async def sealed_body() -> dict[str, Any]:
    """A payload as the worker writes it, in the protocol's JSON."""
    [plain] = DATA_CONVERTER.payload_converter.to_payloads([SECRET])
    sealed = await DATA_CONVERTER.payload_codec.encode([plain])  # type: ignore[union-attr]
    return MessageToDict(Payloads(payloads=sealed))


def opened(answer: dict[str, Any]) -> Any:
    [payload] = answer["payloads"]
    assert base64.b64decode(payload["metadata"]["encoding"]) == b"json/plain"
    return json.loads(base64.b64decode(payload["data"]))


async def test_an_auditor_and_an_admin_read_sealed_payloads_by_token(api: Api) -> None:
    body = await sealed_body()
    for user in ("auditor", "admin"):
        response = await api.client.post(
            "/codec/decode", json=body, headers=await api.headers(user) | {"X-Namespace": "default"}
        )
        assert response.status_code == 200, response.text
        assert opened(response.json()) == SECRET


async def test_nobody_else_gets_a_payload_in_clear(api: Api) -> None:
    body = await sealed_body()
    anonymous = await api.client.post("/codec/decode", json=body)
    assert anonymous.status_code == 401 and anonymous.headers["WWW-Authenticate"] == "Bearer"
    forged = await api.client.post("/codec/decode", json=body, headers={"Authorization": "Bearer not-a-token"})
    assert forged.status_code == 401
    for user in ("sales_clerk", "general_manager", "marketing_reviewer"):
        refused = await api.client.post("/codec/decode", json=body, headers=await api.headers(user))
        assert refused.status_code == 403, refused.text
        assert refused.json()["error"] == "forbidden"
    for refused in (anonymous, forged):
        assert SECRET["customer"] not in refused.text and "payloads" not in refused.json()


async def test_the_temporal_ui_reads_with_the_session_cookie_from_its_origin(api: Api, browsers: list[Browser]) -> None:
    """The UI's codec setting "include cross-origin credentials": the browser sends the cookie of
    this site; the answer names the UI's origin (with credentials) and no other."""
    body = await sealed_body()
    auditor = await signed_in(api, browsers, "auditor")
    asks = {"Origin": UI, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "x-namespace"}
    preflight = await auditor.http.options("/codec/decode", headers=asks)
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == UI
    assert preflight.headers["Access-Control-Allow-Credentials"] == "true"
    assert "X-Namespace" in preflight.headers["Access-Control-Allow-Headers"]

    response = await auditor.http.post("/codec/decode", json=body, headers={"Origin": UI, "X-Namespace": "default"})
    assert response.status_code == 200, response.text
    assert response.headers["Access-Control-Allow-Origin"] == UI
    assert opened(response.json()) == SECRET

    elsewhere = "https://evil.example"
    assert (await auditor.http.options("/codec/decode", headers={"Origin": elsewhere})).status_code == 403
    other = await auditor.http.post("/codec/decode", json=body, headers={"Origin": elsewhere})
    assert "Access-Control-Allow-Origin" not in other.headers  # the browser keeps the answer from that page

    clerk = await signed_in(api, browsers, "sales_clerk")
    refused = await clerk.http.post("/codec/decode", json=body, headers={"Origin": UI})
    assert refused.status_code == 403 and SECRET["customer"] not in refused.text


async def test_only_an_admin_seals_and_what_is_sealed_opens(api: Api) -> None:
    [plain] = DATA_CONVERTER.payload_converter.to_payloads([SECRET])
    body = MessageToDict(Payloads(payloads=[plain]))
    refused = await api.client.post("/codec/encode", json=body, headers=await api.headers("auditor"))
    assert refused.status_code == 403  # an auditor reads, never writes into a workflow
    response = await api.client.post("/codec/encode", json=body, headers=await api.headers("admin"))
    assert response.status_code == 200, response.text
    [sealed] = response.json()["payloads"]
    assert base64.b64decode(sealed["metadata"]["encoding"]) == ENCODING
    assert base64.b64decode(sealed["metadata"][KEY_ID_FIELD]).decode() == DEMO_KEY_ID
    assert SECRET["credit_code"].encode() not in base64.b64decode(sealed["data"])
    back = await api.client.post("/codec/decode", json=response.json(), headers=await api.headers("auditor"))
    assert opened(back.json()) == SECRET


async def test_a_payload_written_before_sealing_passes_through(api: Api) -> None:
    [plain] = DATA_CONVERTER.payload_converter.to_payloads([SECRET])
    body = MessageToDict(Payloads(payloads=[plain]))
    response = await api.client.post("/codec/decode", json=body, headers=await api.headers("auditor"))
    assert response.status_code == 200 and opened(response.json()) == SECRET


async def test_refusals_are_json_and_change_nothing(api: Api) -> None:
    headers = await api.headers("auditor")
    other = await api.client.post(
        "/codec/decode", json={"payloads": []}, headers=headers | {"X-Namespace": "someone-else"}
    )
    assert other.status_code == 422 and "X-Namespace" in other.json()["detail"]
    malformed = await api.client.post("/codec/decode", json={"payloads": [{"data": "not base64!"}]}, headers=headers)
    assert malformed.status_code == 422 and malformed.json()["error"] == "invalid"
    unknown = Payload(metadata={"encoding": ENCODING, KEY_ID_FIELD: b"retired"}, data=b"\0" * 40)
    body = MessageToDict(Payloads(payloads=[unknown]))
    refused = await api.client.post("/codec/decode", json=body, headers=headers)
    assert refused.status_code == 422 and "'retired'" in refused.json()["detail"]


async def test_a_malformed_sealed_payload_is_a_json_422_not_a_500(api: Api) -> None:
    """Too short for a nonce and a tag (AES-GCM's ValueError) or a key id that is not UTF-8
    (UnicodeDecodeError) were 500s: they are the documented 422, naming what is wrong."""
    headers = await api.headers("auditor")
    short = Payload(metadata={"encoding": ENCODING, KEY_ID_FIELD: DEMO_KEY_ID.encode()}, data=b"\0" * 5)
    not_text = Payload(metadata={"encoding": ENCODING, KEY_ID_FIELD: b"\xff\xfe"}, data=b"\0" * 40)
    for bad, why in ((short, "too short"), (not_text, "not text")):
        body = MessageToDict(Payloads(payloads=[bad]))
        response = await api.client.post("/codec/decode", json=body, headers=headers)
        assert response.status_code == 422, response.text
        assert response.json()["error"] == "invalid" and why in response.json()["detail"]


async def temporal_cli_show(
    api: Api, codec: str, workflow_id: str, user: str, give_up_after: str = "60s"
) -> tuple[int, str]:
    """Temporal's own CLI (its codec client) showing a history through our codec server as `user`."""
    token = (await api.headers(user))["Authorization"]
    address = api.worker.client.service_client.config.target_host
    command = [temporal_cli(), "workflow", "show", "-w", workflow_id, "--address", address, "-o", "json"]
    command += ["--namespace", api.worker.client.namespace, "--codec-endpoint", codec, "--codec-auth", token]
    command += ["--command-timeout", give_up_after]
    shown = await asyncio.create_subprocess_exec(*command, stdout=PIPE, stderr=STDOUT)
    out, _ = await shown.communicate()
    return int(shown.returncode or 0), out.decode()


def payload_texts(shown: str) -> str:
    """Every payload's data in the CLI's JSON output (base64), decoded: what a reader sees in it."""
    texts = [base64.b64decode(data).decode("utf-8", "replace") for data in re.findall(r'"data": "([^"]*)"', shown)]
    return "\n".join(texts)


async def test_the_temporal_cli_reads_a_sealed_history_through_the_codec_server_as_an_auditor(api: Api) -> None:
    name = "命令行封存测试有限公司"
    started = await api.submit(body=application(name=name))
    assert started.status_code == 201, started.text
    process_id = started.json()["process_id"]
    workflow_id = (await api.get(f"/api/v1/processes/{process_id}", "auditor")).json()["workflow_id"]
    async with served(api.app) as origin:
        code, shown = await temporal_cli_show(api, f"{origin}/codec", workflow_id, "auditor")
        assert code == 0 and name in payload_texts(shown), shown[-2000:]
        code, refused = await temporal_cli_show(api, f"{origin}/codec", workflow_id, "sales_clerk", "5s")
        assert code != 0 and name not in refused  # the CLI gives up on the 403: no history in clear
