"""Notifications: always recorded in the database, once; a robot webhook when configured."""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from activities.notifications import NotificationSpec, Notifier, WebhookChannel, WebhookError
from db.models import Notification
from telemetry import configure_logging

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_webhook_and_database_each_receive_a_notification_once(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    received: list[dict[str, object]] = []

    def robot(request: httpx.Request) -> httpx.Response:  # a DingTalk/Feishu robot endpoint
        received.append(json.loads(request.content))
        return httpx.Response(200, json={"errcode": 0})

    client = httpx.AsyncClient(transport=httpx.MockTransport(robot))
    notifier = Notifier(sessions, [WebhookChannel("https://robot.example/send?access_token=t", client)])
    spec = NotificationSpec(
        notification_id=f"test:{uuid.uuid4()}",
        process_id="p-1",
        recipient_role="marketing_manager",
        kind="escalation",
        subject="投诉逾期升级",
        body="客户: 测试",
    )
    await notifier.notify(spec)
    await notifier.notify(spec)  # an activity retry must not notify twice
    assert received == [{"msgtype": "text", "text": {"content": "[escalation] 投诉逾期升级\n客户: 测试"}}]
    async with sessions() as session:
        count = await session.scalar(select(func.count()).where(Notification.notification_id == spec.notification_id))
        row = await session.scalar(select(Notification).where(Notification.notification_id == spec.notification_id))
    assert count == 1 and row is not None and row.channels == "database,webhook"


class _Unavailable(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.send_response(503)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:  # the server's own stderr lines are not the app's
        pass


@contextmanager
def unavailable_robot() -> Iterator[str]:
    """A real HTTP server on this host that answers every post with 503."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Unavailable)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def production_logging() -> Iterator[None]:
    """configure_logging() as the worker calls it, undone afterwards (it rewires the root logger)."""
    names = ("uvicorn", "uvicorn.error", "uvicorn.access", "httpx", "httpcore")
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    loggers = {name: logging.getLogger(name) for name in names}
    states = {name: (lg.handlers[:], lg.propagate, lg.disabled, lg.level) for name, lg in loggers.items()}
    configure_logging()
    try:
        yield
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
        for name, lg in loggers.items():
            lg.handlers[:], lg.propagate, lg.disabled, lg_level = states[name]
            lg.setLevel(lg_level)


async def test_a_failing_robot_webhook_never_writes_its_key_to_the_logs(capsys: pytest.CaptureFixture[str]) -> None:
    """DingTalk's key is the URL's access_token, Feishu's the hook path: neither httpx's request line,
    nor the channel's error, nor the traceback of the activity's failure (Temporal logs "Completing
    activity as failed" with it) may write them."""
    dingtalk, feishu = f"SECRET{uuid.uuid4().hex}", f"SECRET{uuid.uuid4().hex}"
    spec = NotificationSpec(notification_id=f"test:{uuid.uuid4()}", kind="escalation", subject="督办")
    temporal_log = logging.getLogger("temporalio.activity")
    with unavailable_robot() as base, production_logging():
        for url in (f"{base}/robot/send?access_token={dingtalk}", f"{base}/open-apis/bot/v2/hook/{feishu}"):
            with pytest.raises(WebhookError) as refused:
                await WebhookChannel(url).send(spec)
            assert "503" in str(refused.value) and "127.0.0.1" in str(refused.value)
            temporal_log.warning("Completing activity as failed", exc_info=refused.value)
            async with httpx.AsyncClient() as client:  # an error of another code that names the URL
                try:
                    (await client.post(url)).raise_for_status()
                except httpx.HTTPStatusError as error:
                    assert dingtalk in str(error) or feishu in str(error)
                    temporal_log.warning("Completing activity as failed", exc_info=True)
    written = capsys.readouterr().err
    assert "Completing activity as failed" in written and "503" in written
    for secret in (dingtalk, feishu):
        assert secret not in written
