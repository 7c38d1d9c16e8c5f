"""E-mail notifications end to end (issue 24 §4): the real API, a real worker and the Temporal dev
server, mailing through a real SMTP server (aiosmtpd with STARTTLS and AUTH), on both databases.

A new task mails its holders in their own language with the link to the task page; a user who
opted out of task mail gets none; the applicant hears of the decision; with the mail server down
the notification row is there all the same and the process goes on, the delivery retrying apart."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.api.workflow.v1 import PendingActivityInfo
from temporalio.client import WorkflowExecutionStatus, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from db.models import Notification
from tests.inbox_support import add_user
from tests.mail_support import BASE_URL, RunningSmtp, address_of, free_port, mail_preferences, smtp
from tests.support import Api, running_api
from workflows.mail_delivery import SEND_RETRY

__all__ = ["smtp"]  # the fixture

pytestmark = pytest.mark.asyncio(loop_scope="session")

ALL_KINDS = {"task": True, "reminder": True, "escalation": True, "decision": True}
CHAIN = ["marketing_reviewer", "finance_reviewer", "business_vp", "general_manager"]


@pytest_asyncio.fixture(loop_scope="session")
async def mail_api(
    temporal_env: WorkflowEnvironment, sessions: async_sessionmaker[AsyncSession], database_url: str, smtp: RunningSmtp
) -> AsyncIterator[Api]:
    queue = f"tq-{uuid.uuid4()}"
    async with running_api(temporal_env.client, sessions, queue, database_url, **smtp.settings) as api:
        yield api


async def first_failed_send(delivery: WorkflowHandle[Any, Any]) -> PendingActivityInfo:
    """The delivery's letter once its first attempt failed (the dev server does not skip time)."""
    for _ in range(100):
        pending = (await delivery.describe()).raw_description.pending_activities
        if pending and pending[0].HasField("last_failure"):
            return pending[0]
        await asyncio.sleep(0.1)
    raise AssertionError("the letter was never tried")


async def open_task(api: Api, user: str, process_id: str) -> dict[str, Any]:
    return await api.task_for(user, process_id)


async def test_tasks_mail_their_holders_and_the_decision_mails_the_applicant(
    mail_api: Api, smtp: RunningSmtp, sessions: async_sessionmaker[AsyncSession]
) -> None:
    people = {
        "marketing_reviewer": ALL_KINDS,
        "finance_reviewer": {**ALL_KINDS, "task": False},  # opted out of task mail
        "business_vp": ALL_KINDS,
        "sales_clerk": ALL_KINDS,
    }
    english = {"marketing_reviewer": "en", "sales_clerk": "en"}
    async with mail_preferences(sessions, people, english):
        started = await mail_api.submit()
        assert started.status_code == 201, started.text
        process_id = started.json()["process_id"]
        task = await open_task(mail_api, "marketing_reviewer", process_id)

        [mail] = await smtp.inbox.wait_for(address_of("marketing_reviewer"))
        assert mail["Subject"].startswith("[To do] ")
        assert "A task is waiting for you" in mail.get_content()
        assert f"Open: {BASE_URL}/tasks/{task['task_id']}" in mail.get_content()

        for user in CHAIN[:2]:
            decided = await mail_api.decide(user, process_id, "approve", "ok")
            assert decided.status_code == 200, decided.text
        vp_task = await open_task(mail_api, "business_vp", process_id)
        [vp_mail] = await smtp.inbox.wait_for(address_of("business_vp"))
        assert vp_mail["Subject"].startswith("【待办】")  # Chinese: the VP chose no language
        assert f"打开：{BASE_URL}/tasks/{vp_task['task_id']}" in vp_mail.get_content()
        assert smtp.inbox.to(address_of("finance_reviewer")) == []  # its task opened before the VP's

        for user in CHAIN[2:]:
            decided = await mail_api.decide(user, process_id, "approve", "ok")
            assert decided.status_code == 200, decided.text
        assert decided.json()["status"] == "approved"
        [decision] = await smtp.inbox.wait_for(address_of("sales_clerk"))
        assert decision["Subject"].startswith("[Decision] ")
        assert "Outcome: approved" in decision.get_content()
        assert f"{BASE_URL}/apply/cases/{process_id}" in decision.get_content()
    assert smtp.inbox.to(address_of("general_manager")) == []  # no address given: no mail


async def test_the_mail_server_down_loses_no_notification_and_holds_no_process(
    temporal_env: WorkflowEnvironment,
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
    smtp: RunningSmtp,
) -> None:
    down = {**smtp.settings, "smtp_port": free_port()}  # nothing listens there
    queue = f"tq-{uuid.uuid4()}"
    async with (
        mail_preferences(sessions, {"marketing_reviewer": ALL_KINDS}),
        running_api(temporal_env.client, sessions, queue, database_url, **down) as api,
    ):
        process_id = (await api.submit()).json()["process_id"]
        urged = await api.post(f"/api/v1/processes/{process_id}/urge", "sales_clerk", json={"comment": "请尽快"})
        assert urged.status_code == 200, urged.text
        async with sessions() as session:
            note = await session.scalar(
                select(Notification).where(Notification.process_id == process_id, Notification.kind == "urge")
            )
        assert note is not None and "mail" in note.channels.split(",")

        delivery = temporal_env.client.get_workflow_handle(f"mail:{note.notification_id}")
        failed_attempt = await first_failed_send(delivery)
        assert failed_attempt.activity_type.name == "send_letter"
        assert failed_attempt.maximum_attempts == SEND_RETRY.maximum_attempts  # bounded (test_mail_delivery)
        assert (await delivery.describe()).status == WorkflowExecutionStatus.RUNNING  # retrying apart
        decided = await api.decide("marketing_reviewer", process_id, "approve", "ok")
        assert decided.status_code == 200, decided.text  # the process goes on meanwhile
        await delivery.terminate("test over")
    assert smtp.inbox.messages == []


async def test_a_task_handed_to_someone_else_mails_them(
    mail_api: Api, smtp: RunningSmtp, sessions: async_sessionmaker[AsyncSession]
) -> None:
    colleague = await add_user(sessions, "marketing_reviewer", unit="MKT")
    async with mail_preferences(sessions, {colleague: ALL_KINDS}):
        process_id = (await mail_api.submit()).json()["process_id"]
        task = await open_task(mail_api, "marketing_reviewer", process_id)
        handed = await mail_api.post(
            f"/api/v1/tasks/{task['task_id']}/delegate", "marketing_reviewer", json={"to": colleague}
        )
        assert handed.status_code == 200, handed.text
        [mail] = await smtp.inbox.wait_for(address_of(colleague))
    assert mail["Subject"].startswith("【待办】")  # the delegate, in their language (Chinese: none chosen)
    assert f"打开：{BASE_URL}/tasks/{task['task_id']}" in mail.get_content()
