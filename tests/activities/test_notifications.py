"""Notifications: always recorded in the database, once; a robot webhook when configured."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from activities.notifications import NotificationSpec, Notifier, WebhookChannel
from db.models import Notification

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
