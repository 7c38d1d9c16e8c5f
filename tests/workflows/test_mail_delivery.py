"""The delivery of one notice by mail on the time-skipping server: letters reach a real SMTP server
(STARTTLS, AUTH), and with the server down each letter is tried a bounded number of times — the
retries' back-off is skipped, nobody sleeps — then the delivery fails visibly instead of looping."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import WorkflowFailureError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from activities.mail import MailKind, MailOrder, MailServer
from tests.mail_support import RunningSmtp, address_of, free_port, mail_preferences, smtp
from tests.support import WorkerControl, record_history, running_api
from workflows.mail_delivery import MAIL_UNDELIVERED, SEND_RETRY, MailDelivery

__all__ = ["smtp"]  # the fixture

pytestmark = pytest.mark.asyncio(loop_scope="session")

ALL_KINDS = {"task": True, "reminder": True, "escalation": True, "decision": True}
ESCALATION = MailOrder(
    notification_id="p-mail:esc-1",
    kind=MailKind.escalation,
    recipient_role="marketing_manager",
    subject="客户准入 浙江某石化有限公司: step review overdue; escalated to marketing_manager",
)


@asynccontextmanager
async def mail_worker(
    env: WorkflowEnvironment, sessions: async_sessionmaker[AsyncSession], mail: MailServer
) -> AsyncIterator[str]:
    worker = WorkerControl(env.client, f"mail-{uuid.uuid4()}", sessions, mail=mail)
    await worker.start()
    try:
        yield worker.task_queue
    finally:
        await worker.stop()


async def test_an_escalation_mails_the_holders_of_the_role(
    time_env: WorkflowEnvironment, sessions: async_sessionmaker[AsyncSession], smtp: RunningSmtp
) -> None:
    async with (
        mail_preferences(sessions, {"marketing_manager": ALL_KINDS}, {"marketing_manager": "en"}),
        mail_worker(time_env, sessions, smtp.server) as queue,
    ):
        handle = await time_env.client.start_workflow(
            MailDelivery.run, ESCALATION, id=f"mail:{uuid.uuid4()}", task_queue=queue
        )
        sent = await handle.result()
        record_history("mail_delivery_escalation_sent", await handle.fetch_history())
    assert sent == 1
    [message] = smtp.inbox.to(address_of("marketing_manager"))
    assert message["Subject"].startswith("[Escalation] 客户准入")
    assert "overdue and has been escalated" in message.get_content()


async def test_the_server_down_is_tried_a_bounded_number_of_times_then_fails_visibly(
    time_env: WorkflowEnvironment, sessions: async_sessionmaker[AsyncSession], smtp: RunningSmtp
) -> None:
    nowhere = smtp.server.model_copy(update={"port": free_port()})  # nothing listens there
    async with (
        mail_preferences(sessions, {"marketing_manager": ALL_KINDS}),
        mail_worker(time_env, sessions, nowhere) as queue,
    ):
        handle = await time_env.client.start_workflow(
            MailDelivery.run, ESCALATION, id=f"mail:{uuid.uuid4()}", task_queue=queue
        )
        with pytest.raises(WorkflowFailureError) as failed:
            await handle.result()
        history = await handle.fetch_history()
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == MAIL_UNDELIVERED
    attempts = [
        event.activity_task_started_event_attributes.attempt
        for event in history.events
        if event.HasField("activity_task_started_event_attributes")
    ]
    assert attempts == [1, SEND_RETRY.maximum_attempts]  # addressing once, the letter's last attempt
    assert smtp.inbox.messages == []


async def test_an_overdue_step_mails_its_holder_a_reminder_and_the_supervisor_the_escalation(
    time_env: WorkflowEnvironment,
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
    task_queue: str,
    smtp: RunningSmtp,
) -> None:
    """The real step clock through the real API: the reminder before the deadline to the task's
    holders, the escalation after it to the first level of the onboarding ladder (marketing_manager)."""
    people = {"marketing_reviewer": ALL_KINDS, "marketing_manager": ALL_KINDS}
    async with (
        mail_preferences(sessions, people, {"marketing_manager": "en"}),
        running_api(time_env.client, sessions, task_queue, database_url, **smtp.settings) as api,
    ):
        started = await api.submit()
        assert started.status_code == 201, started.text
        due = datetime.fromisoformat(started.json()["due_at"])
        await time_env.sleep(due - await time_env.get_current_time() + timedelta(minutes=1))
        [escalation] = await smtp.inbox.wait_for(address_of("marketing_manager"))
        reminders = await smtp.inbox.wait_for(address_of("marketing_reviewer"), count=2)
    assert (
        escalation["Subject"].startswith("[Escalation] ") and "escalated to marketing_manager" in escalation["Subject"]
    )
    subjects = sorted(mail["Subject"][:4] for mail in reminders)
    assert subjects == ["【催办】", "【待办】"]  # the task when it opened, the reminder before its deadline
