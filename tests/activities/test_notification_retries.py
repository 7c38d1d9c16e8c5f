"""A notice is never lost to one failing channel (issue 24 §4b): every channel is tried on its own,
and a retried store activity delivers again what it wrote — on the Temporal dev server, with a real
robot endpoint (HTTP on 127.0.0.1) and a real SMTP server (aiosmtpd, STARTTLS and AUTH)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from activities.mail import MailActivities, MailChannel
from activities.notifications import Channel, NotificationSpec, Notifier, WebhookChannel
from activities.process_store import ProcessStore
from activities.process_sync import ProcessSync
from domain.mail import TASK_OPENED
from domain.models import TaskSpec
from tests.mail_support import RunningSmtp, address_of, mail_preferences, smtp
from workflows.mail_delivery import MailDelivery

__all__ = ["smtp"]  # the fixture

pytestmark = pytest.mark.asyncio(loop_scope="session")

ALL_KINDS = {"task": True, "reminder": True, "escalation": True, "decision": True}
PERSON = "finance_reviewer"
QUICK = RetryPolicy(initial_interval=timedelta(milliseconds=100), maximum_attempts=3)


@workflow.defn
class NotifyOnce:
    @workflow.run
    async def run(self, spec: NotificationSpec) -> None:
        await workflow.execute_activity(
            "notify", spec, start_to_close_timeout=timedelta(seconds=30), retry_policy=QUICK
        )


@workflow.defn
class SyncOnce:
    @workflow.run
    async def run(self, sync: ProcessSync) -> None:
        await workflow.execute_activity(
            "sync_process", sync, start_to_close_timeout=timedelta(seconds=30), retry_policy=QUICK
        )


@dataclass
class Robot:
    """A DingTalk/Feishu-style robot endpoint: answers the first `failing` posts 503, then 200."""

    failing: int = 0
    posts: list[tuple[int, str]] = field(default_factory=list)  # (status answered, message text)
    url: str = ""

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            int(line.split(b":", 1)[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")
        )
        text = json.loads(await reader.readexactly(length))["text"]["content"]
        status = 503 if len(self.posts) < self.failing else 200
        self.posts.append((status, text))
        reason = b"Service Unavailable" if status == 503 else b"OK"
        body = b'{"errcode":0}'
        writer.write(
            b"HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s"
            % (status, reason, len(body), body)
        )
        await writer.drain()
        writer.close()


@asynccontextmanager
async def robot(failing: int = 0) -> AsyncIterator[Robot]:
    endpoint = Robot(failing=failing)
    server = await asyncio.start_server(endpoint.handle, "127.0.0.1", 0)
    endpoint.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/robot/send?access_token=t"
    try:
        yield endpoint
    finally:
        server.close()
        await server.wait_closed()


class StartFailsOnce(MailChannel):
    """The mail channel whose first start of a task's MailDelivery fails (the frontend unreachable)."""

    def __init__(self) -> None:
        self.failed = False

    async def send(self, spec: NotificationSpec) -> None:
        if spec.kind == TASK_OPENED and not self.failed:
            self.failed = True
            raise ConnectionError("the Temporal frontend did not answer")
        await super().send(spec)


@asynccontextmanager
async def worker(
    env: WorkflowEnvironment, sessions: async_sessionmaker[AsyncSession], smtp: RunningSmtp, channels: list[Channel]
) -> AsyncIterator[str]:
    queue = f"tq-{uuid.uuid4()}"
    mail = MailActivities(sessions, smtp.server)
    store, notifier = ProcessStore(sessions, channels), Notifier(sessions, channels)
    async with Worker(
        env.client,
        task_queue=queue,
        workflows=[NotifyOnce, SyncOnce, MailDelivery],
        activities=[notifier.notify, store.sync_process, mail.address_letters, mail.send_letter],
        workflow_runner=UnsandboxedWorkflowRunner(),
    ):
        yield queue


def urge() -> NotificationSpec:
    return NotificationSpec(
        notification_id=f"urge:{uuid.uuid4()}", process_id="p-urge", recipient=PERSON, kind="urge", subject="请尽快审核"
    )


def opened_task(process_id: str, **changes: object) -> TaskSpec:
    task = TaskSpec(
        task_id=f"{process_id}:review",
        process_id=process_id,
        workflow_id=process_id,
        process_type="customer_onboarding",
        step="review",
        step_title="资质审核",
        assignee=PERSON,
        subject="客户准入 浙江某石化有限公司",
        created_at=datetime.now(UTC),
    )
    return task.model_copy(update=changes)


async def attempts_of(env: WorkflowEnvironment, workflow_id: str) -> int:
    history = await env.client.get_workflow_handle(workflow_id).fetch_history()
    return max(
        event.activity_task_started_event_attributes.attempt
        for event in history.events
        if event.HasField("activity_task_started_event_attributes")
    )


async def test_a_webhook_failing_once_keeps_no_mail_back_and_is_sent_on_the_retry(
    temporal_env: WorkflowEnvironment, sessions: async_sessionmaker[AsyncSession], smtp: RunningSmtp
) -> None:
    async with (
        mail_preferences(sessions, {PERSON: ALL_KINDS}),
        robot(failing=1) as endpoint,
        worker(temporal_env, sessions, smtp, [WebhookChannel(endpoint.url), MailChannel()]) as queue,
    ):
        workflow_id = f"notify-{uuid.uuid4()}"
        await temporal_env.client.execute_workflow(NotifyOnce.run, urge(), id=workflow_id, task_queue=queue)
        mails = await smtp.inbox.wait_for(address_of(PERSON))
        await asyncio.sleep(1)  # a second letter would have arrived by now
        assert await attempts_of(temporal_env, workflow_id) == 2
    assert [status for status, _ in endpoint.posts] == [503, 200]  # the robot got it on the retry
    assert len(smtp.inbox.to(address_of(PERSON))) == 1 and mails[0]["Subject"].startswith("【催办】")


async def test_a_failed_mail_start_mails_the_new_task_on_the_retry_once(
    temporal_env: WorkflowEnvironment, sessions: async_sessionmaker[AsyncSession], smtp: RunningSmtp
) -> None:
    """The first attempt committed the task row, so the retry cannot see it as new any more: the
    notice is derived from what the moment writes, and started under its own id."""
    process_id = f"p-{uuid.uuid4()}"
    sync = ProcessSync(tasks=[opened_task(process_id)], notifications=[urge()])
    async with (
        mail_preferences(sessions, {PERSON: ALL_KINDS}),
        robot() as endpoint,
        worker(temporal_env, sessions, smtp, [WebhookChannel(endpoint.url), StartFailsOnce()]) as queue,
    ):
        workflow_id = f"sync-{uuid.uuid4()}"
        await temporal_env.client.execute_workflow(SyncOnce.run, sync, id=workflow_id, task_queue=queue)
        await smtp.inbox.wait_for(address_of(PERSON), count=2)
        await asyncio.sleep(1)
        assert await attempts_of(temporal_env, workflow_id) == 2
    subjects = sorted(mail["Subject"][:4] for mail in smtp.inbox.to(address_of(PERSON)))
    assert subjects == ["【催办】", "【待办】"]  # the task and the urging, each once
    # the robot takes no task notices; it got the urging on each attempt (at least once, documented)
    assert [text.split("]")[0] for _, text in endpoint.posts] == ["[urge", "[urge"]


async def test_nothing_is_sent_twice_when_nothing_failed(
    temporal_env: WorkflowEnvironment, sessions: async_sessionmaker[AsyncSession], smtp: RunningSmtp
) -> None:
    process_id = f"p-{uuid.uuid4()}"
    first = ProcessSync(tasks=[opened_task(process_id)], notifications=[urge()])
    later = ProcessSync(tasks=[opened_task(process_id, due_at=datetime.now(UTC) + timedelta(days=2))])  # re-planned
    async with (
        mail_preferences(sessions, {PERSON: ALL_KINDS}),
        robot() as endpoint,
        worker(temporal_env, sessions, smtp, [WebhookChannel(endpoint.url), MailChannel()]) as queue,
    ):
        for sync in (first, later):
            await temporal_env.client.execute_workflow(SyncOnce.run, sync, id=f"sync-{uuid.uuid4()}", task_queue=queue)
        await smtp.inbox.wait_for(address_of(PERSON), count=2)
        await asyncio.sleep(1)
    assert sorted(mail["Subject"][:4] for mail in smtp.inbox.to(address_of(PERSON))) == ["【催办】", "【待办】"]
    assert [status for status, _ in endpoint.posts] == [200]
