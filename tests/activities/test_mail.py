"""Mail over a real SMTP server (aiosmtpd, STARTTLS and AUTH required): one letter sent, and the
letters a notice becomes — whom they reach, in whose language, with which link (both databases)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.exceptions import ApplicationError

from activities.mail import MAIL_REFUSED, Letter, MailKind, MailOrder, MomentNotice, letters_for, send_letter
from activities.notifications import NotificationSpec, deliver
from domain.mail import TASK_OPENED
from tests.inbox_support import Rows, uid
from tests.mail_support import BASE_URL, RunningSmtp, address_of, mail_preferences, smtp

__all__ = ["smtp"]  # the fixture

ALL_KINDS = {"task": True, "reminder": True, "escalation": True, "decision": True}


async def test_a_letter_goes_over_starttls_with_login(smtp: RunningSmtp) -> None:
    letter = Letter(
        to="li.lei@example.cn",
        subject="【待办】客户准入 · 资质审核",
        body="打开：https://x/tasks/1\n",
        notification_id="n1",
    )
    await send_letter(smtp.server, letter)
    [message] = smtp.inbox.to("li.lei@example.cn")
    assert message["Subject"] == "【待办】客户准入 · 资质审核"
    assert message["From"] == "approvals@example.cn"
    assert "https://x/tasks/1" in message.get_content()


async def test_a_refused_address_fails_without_retry(smtp: RunningSmtp) -> None:
    letter = Letter(to="nobody@example.cn", subject="s", body="b", notification_id="n2")
    with pytest.raises(ApplicationError) as refused:
        await send_letter(smtp.server, letter)
    assert refused.value.type == MAIL_REFUSED and refused.value.non_retryable
    assert smtp.inbox.messages == []


@pytest.mark.asyncio(loop_scope="session")
async def test_a_task_mails_its_holder_in_their_language_with_the_link(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    order = MailOrder(
        notification_id="t1",
        kind=MailKind.task,
        recipient="finance_reviewer",
        task_id="p1:step",
        subject="客户准入 浙江某石化有限公司",
    )
    english = {"finance_reviewer": "en"}
    async with mail_preferences(sessions, {"finance_reviewer": ALL_KINDS}, english), sessions() as session:
        [letter] = await letters_for(session, order, BASE_URL)
    assert letter.to == address_of("finance_reviewer")
    assert letter.subject == "[To do] 客户准入 浙江某石化有限公司"
    assert f"Open: {BASE_URL}/tasks/p1%3Astep" in letter.body
    assert "A task is waiting for you" in letter.body


@pytest.mark.asyncio(loop_scope="session")
async def test_an_opted_out_kind_mails_nobody_the_others_still_do(sessions: async_sessionmaker[AsyncSession]) -> None:
    choice = {**ALL_KINDS, "task": False}
    task = MailOrder(notification_id="t2", kind=MailKind.task, recipient="finance_reviewer", task_id="t", subject="s")
    reminder = task.model_copy(update={"kind": MailKind.reminder, "task_id": None})
    async with mail_preferences(sessions, {"finance_reviewer": choice}), sessions() as session:
        assert await letters_for(session, task, BASE_URL) == []
        [letter] = await letters_for(session, reminder, BASE_URL)
    assert letter.subject == "【催办】s"  # Chinese: the user chose no language
    assert f"打开：{BASE_URL}/" in letter.body


@pytest.mark.asyncio(loop_scope="session")
async def test_a_unit_role_mails_the_holders_in_that_unit_only(sessions: async_sessionmaker[AsyncSession]) -> None:
    order = MailOrder(
        notification_id="e1",
        kind=MailKind.escalation,
        recipient_role="depot_manager",
        unit="DEPOT-ZZ",
        subject="油库客户 超期",
    )
    people = {"depot_manager": ALL_KINDS, "depot_manager_b": ALL_KINDS}
    async with mail_preferences(sessions, people), sessions() as session:
        letters = await letters_for(session, order, BASE_URL)
    assert [letter.to for letter in letters] == [address_of("depot_manager")]
    assert letters[0].subject == "【督办】油库客户 超期"


@pytest.mark.asyncio(loop_scope="session")
async def test_a_head_office_role_mails_every_holder_who_gave_an_address(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    order = MailOrder(notification_id="e2", kind=MailKind.escalation, recipient_role="marketing_manager", subject="s")
    async with mail_preferences(sessions, {"marketing_manager": ALL_KINDS}), sessions() as session:
        letters = await letters_for(session, order, BASE_URL)
    assert [letter.to for letter in letters] == [address_of("marketing_manager")]


@pytest.mark.asyncio(loop_scope="session")
async def test_a_reminder_on_a_process_links_each_recipients_newest_open_task(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    rows, process_id, now = Rows(sessions), uid("proc-"), datetime.now(UTC)
    ago = [now - timedelta(minutes=minutes) for minutes in range(5)]
    managers = await rows.task(process_id=process_id, role="marketing_manager", created_at=ago[2])
    await rows.task(process_id=process_id, role="marketing_manager", assignee="marketing_reviewer", created_at=ago[1])
    await rows.task(process_id=process_id, role="marketing_manager", status="done", created_at=ago[0])
    await rows.task(process_id=process_id, role="finance_reviewer", created_at=ago[4])
    claimed = await rows.task(
        process_id=process_id, role="finance_reviewer", claimed_by="finance_reviewer", created_at=ago[3]
    )
    to_role = MailOrder(
        notification_id="r1",
        kind=MailKind.reminder,
        process_id=process_id,
        recipient_role="marketing_manager",
        subject="s",
    )
    to_person = to_role.model_copy(update={"recipient_role": None, "recipient": "finance_reviewer"})
    people = {"marketing_manager": ALL_KINDS, "finance_reviewer": ALL_KINDS}
    try:
        async with mail_preferences(sessions, people), sessions() as session:
            [manager] = await letters_for(session, to_role, BASE_URL)
            [reviewer] = await letters_for(session, to_person, BASE_URL)
    finally:
        await rows.close_all()
    assert f"{BASE_URL}/tasks/{managers.task_id}" in manager.body
    assert f"{BASE_URL}/tasks/{claimed.task_id}" in reviewer.body


class Recording:
    """A channel that keeps what it was given (the robot webhook's shape, or the mail channel's)."""

    def __init__(self, takes_moments: bool) -> None:
        self.name, self.takes_moments = "recording", takes_moments
        self.sent: list[str] = []

    async def send(self, spec: NotificationSpec) -> None:
        self.sent.append(spec.kind)


async def test_a_moments_notice_reaches_the_mail_channel_only() -> None:
    webhook, mail = Recording(takes_moments=False), Recording(takes_moments=True)
    opened = MomentNotice(notification_id="x", kind=TASK_OPENED, recipient="u", subject="s", task_id="t")
    urged = NotificationSpec(notification_id="y", kind="urge", recipient="u", subject="s")
    for note in (opened, urged):
        await deliver(note, [webhook, mail])
    assert (webhook.sent, mail.sent) == (["urge"], [TASK_OPENED, "urge"])
