"""E-mail notifications over SMTP with STARTTLS (issue 24 §4): a channel and its delivery.

The channel never talks SMTP inside the activity that wrote the notification: the database row is
committed first (the channel of record), then the channel starts one `MailDelivery` workflow per
notice (workflows/mail_delivery.py, id `mail:<notification id>`, a duplicate start is ignored), so
a retried store activity mails once and a mail server that is down holds no process up. That
workflow addresses the letters (recipients, their language and opt-outs, read at send time) and
sends each with a bounded retry policy: a refused address fails at once, an unreachable server
after a few attempts, and the failed delivery stays visible in Temporal instead of looping.
"""

from __future__ import annotations

import ssl
from contextlib import suppress
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import TYPE_CHECKING

import aiosmtplib
from pydantic import BaseModel
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError

from activities.notifications import NotificationSpec
from db.models import MailPreference, Process, Task, User, UserRole
from domain.mail import DECIDED, MailKind, case_link, compose, mail_kind, role_unit, task_link, workbench_link
from domain.roles import Role

if TYPE_CHECKING:
    from settings import Settings

MAIL_REFUSED = "MailRefused"  # the server refused the sender or the address: a retry cannot help
MAIL_OFF = "MailOff"
OpenTask = tuple[str, str | None, str | None, str]  # task_id, assignee, claimed_by, role


class MailServer(BaseModel):
    """Where and how mail is sent (the SMTP_* settings) and the address links point at."""

    host: str
    port: int = 587
    username: str | None = None
    password: str | None = None
    starttls: bool = True
    sender: str
    ca_file: Path | None = None
    base_url: str

    @classmethod
    def from_settings(cls, settings: Settings) -> MailServer | None:
        """None while SMTP_HOST is unset: mail is off."""
        if not settings.smtp_host:
            return None
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
            starttls=settings.smtp_starttls,
            sender=settings.smtp_from,
            ca_file=settings.smtp_ca_file,
            base_url=settings.web_base_url,
        )

    def tls_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if self.ca_file is not None:
            context.load_verify_locations(cafile=str(self.ca_file))
        return context


class MailOrder(BaseModel):
    """One notice to mail: who it is for (a user, or a role's holders) and what it is about."""

    notification_id: str
    kind: MailKind
    process_id: str | None = None
    recipient: str | None = None
    recipient_role: str | None = None
    unit: str | None = None  # whose holders of a unit-scoped role (the task's unit); else the process's
    task_id: str | None = None
    own_case: bool = False  # a decision on the recipient's own application: link its case page
    outcome: str | None = None  # that decision: approved | rejected
    subject: str


class Letter(BaseModel):
    to: str
    subject: str
    body: str
    notification_id: str


class MomentNotice(NotificationSpec):
    """A notice derived from a moment's writes, not a notification row (activities/mail_notices.py)."""

    task_id: str | None = None
    unit: str | None = None


def order_of(spec: NotificationSpec) -> MailOrder | None:
    kind = mail_kind(spec.kind)
    if kind is None or not (spec.recipient or spec.recipient_role):
        return None
    return MailOrder(
        notification_id=spec.notification_id,
        kind=kind,
        process_id=spec.process_id,
        recipient=spec.recipient,
        recipient_role=spec.recipient_role,
        unit=getattr(spec, "unit", None),
        task_id=getattr(spec, "task_id", None),
        own_case=spec.kind == DECIDED,
        outcome=spec.body if spec.kind == DECIDED else None,
        subject=spec.subject,
    )


class MailChannel:
    """Starts the delivery of a notice that becomes mail; the rest go to the bell only."""

    name = "mail"
    takes_moments = True  # new tasks and decisions, which are not notification rows

    async def send(self, spec: NotificationSpec) -> None:
        order = order_of(spec)
        if order is None:
            return
        with suppress(WorkflowAlreadyStartedError):  # a retried activity: this notice is on its way
            await activity.client().start_workflow(
                "MailDelivery",
                order,
                id=f"mail:{order.notification_id}",
                task_queue=activity.info().task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            )


def recipients_query(order: MailOrder, unit: str | None) -> Select[User, str | None]:
    """Active users who gave an address and still take this kind of mail."""
    wanted = getattr(MailPreference, order.kind.value)
    query = (
        select(User, MailPreference.email)
        .join(MailPreference, MailPreference.user_id == User.id)
        .where(User.is_active, MailPreference.email.is_not(None), wanted.is_(True))
        .order_by(User.username)
    )
    if order.recipient:
        return query.where(User.username == order.recipient)
    role = Role(order.recipient_role or "")
    query = query.join(UserRole, UserRole.user_id == User.id).where(UserRole.role == role.value)
    scope = role_unit(role, unit)
    return query.where(User.unit_code == scope) if scope else query


async def open_tasks(session: AsyncSession, order: MailOrder) -> list[OpenTask]:
    """The process's open tasks, newest first, when the links are chosen among them: read once per
    notice, not once per recipient (a role's holders are many)."""
    if order.task_id or not order.process_id or order.own_case:
        return []
    rows = await session.execute(
        select(Task.task_id, Task.assignee, Task.claimed_by, Task.role)
        .where(Task.process_id == order.process_id, Task.status == "open")
        .order_by(Task.created_at.desc())
    )
    return list(rows.tuples().all())


def link_for(order: MailOrder, user: User, tasks: list[OpenTask], base_url: str) -> str:
    """The task the mail is about; else the recipient's newest open task on the process (`tasks`,
    `open_tasks`), the applicant's case page for a decision, or the workbench."""
    if order.task_id:
        return task_link(base_url, order.task_id)
    if order.process_id and order.own_case:
        return case_link(base_url, order.process_id)
    roles = {held.role for held in user.roles}
    for task_id, assignee, claimed_by, role in tasks:
        if user.username in (assignee, claimed_by) or (assignee is None and claimed_by is None and role in roles):
            return task_link(base_url, task_id)
    return workbench_link(base_url)


async def letters_for(session: AsyncSession, order: MailOrder, base_url: str) -> list[Letter]:
    unit = order.unit
    if unit is None and order.recipient_role and order.process_id:
        unit = await session.scalar(select(Process.unit_code).where(Process.process_id == order.process_id))
    recipients = (await session.execute(recipients_query(order, unit))).tuples().all()
    tasks = await open_tasks(session, order) if recipients else []
    letters = []
    for user, email in recipients:
        link = link_for(order, user, tasks, base_url)
        subject, body = compose(
            order.kind, user.locale, user.full_name or user.username, order.subject, link, order.outcome
        )
        letters.append(Letter(to=email or "", subject=subject, body=body, notification_id=order.notification_id))
    return letters


def message_of(letter: Letter, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = letter.to
    message["Subject"] = letter.subject
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(letter.body)
    return message


async def send_letter(server: MailServer, letter: Letter) -> None:
    """One message over SMTP; STARTTLS (certificate verified) unless switched off, AUTH when a
    username is set. A refusal of the sender, the address or (5xx) the message is final; anything
    else (the server unreachable, a 4xx, a failed login an operator can fix) may pass later."""
    try:
        await aiosmtplib.send(
            message_of(letter, server.sender),
            hostname=server.host,
            port=server.port,
            username=server.username,
            password=server.password,
            start_tls=server.starttls,
            tls_context=server.tls_context() if server.starttls else None,
            timeout=30,
        )
    except (aiosmtplib.SMTPRecipientsRefused, aiosmtplib.SMTPSenderRefused, aiosmtplib.SMTPDataError) as refused:
        if isinstance(refused, aiosmtplib.SMTPDataError) and refused.code < 500:
            raise  # 4xx: the server is busy or short of space, a later attempt may pass
        raise ApplicationError(f"mail refused: {refused}", type=MAIL_REFUSED, non_retryable=True) from refused


class MailActivities:
    """What the delivery workflow does: address the letters, send one."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], mail: MailServer | None = None) -> None:
        self.sessions = sessions
        self.mail = mail

    def _server(self) -> MailServer:
        if self.mail is None:
            raise ApplicationError("mail is off (SMTP_HOST unset)", type=MAIL_OFF, non_retryable=True)
        return self.mail

    @activity.defn
    async def address_letters(self, order: MailOrder) -> list[Letter]:
        server = self._server()
        async with self.sessions() as session:
            return await letters_for(session, order, server.base_url)

    @activity.defn
    async def send_letter(self, letter: Letter) -> None:
        await send_letter(self._server(), letter)
