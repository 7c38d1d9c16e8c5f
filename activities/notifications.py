"""Notifications through pluggable channels: the database always (readable through the API),
a DingTalk/Feishu-style robot webhook when `NOTIFY_WEBHOOK_URL` is configured, e-mail when
`SMTP_HOST` is (activities/mail.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Protocol

import httpx
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from db.models import Notification
from db.session import write_transaction
from domain.mail import MOMENT_KINDS
from domain.text import Fitted


class NotificationSpec(BaseModel):
    notification_id: str  # derived from the workflow, so a retried activity sends once
    process_id: str | None = None
    recipient_role: str | None = None
    recipient: str | None = None
    kind: str
    subject: Annotated[str, Fitted(300)]  # derived from the process subject: cut to the column
    body: str = ""


class Channel(Protocol):
    name: str

    async def send(self, spec: NotificationSpec) -> None: ...


class WebhookError(Exception):
    """A robot webhook post failed. The text names the host only: the URL's path and query hold the
    robot's key (DingTalk's `access_token=`, Feishu's `/hook/<token>`), and this text goes to the
    worker's log lines and the activity's failure in the Temporal history."""


def _masked(url: str) -> str:
    """The webhook's address without its credential: scheme and host, the rest masked."""
    parsed = httpx.URL(url)
    return f"{parsed.scheme}://{parsed.host}/***"


class WebhookChannel:
    """Posts a text message in the robot format DingTalk and Feishu both accept."""

    name = "webhook"

    def __init__(self, url: str, client: httpx.AsyncClient | None = None) -> None:
        self.url = url
        self.client = client or httpx.AsyncClient(timeout=10)

    async def send(self, spec: NotificationSpec) -> None:
        text = f"[{spec.kind}] {spec.subject}\n{spec.body}".strip()
        try:
            response = await self.client.post(self.url, json={"msgtype": "text", "text": {"content": text}})
        except httpx.HTTPError as error:  # its text and its request carry the URL: not chained
            raise WebhookError(
                f"the robot webhook {_masked(self.url)} was not reached ({type(error).__name__})"
            ) from None
        if response.is_error:
            raise WebhookError(f"the robot webhook {_masked(self.url)} answered {response.status_code}")


async def record_notification(session: AsyncSession, spec: NotificationSpec, channels: list[Channel]) -> bool:
    """Add the notification row unless a retry already did; True when it is new."""
    seen = await session.scalar(select(Notification.id).where(Notification.notification_id == spec.notification_id))
    if seen is not None:
        return False
    names = ",".join(["database", *(c.name for c in channels)])
    session.add(Notification(**spec.model_dump(), channels=names, created_at=datetime.now(UTC)))
    return True


def _takes_moments(channel: Channel) -> bool:
    """The channel wants the notices of a moment that are not notification rows (domain/mail.py
    MOMENT_KINDS: a task opened, a decision): the mail channel does, the robot webhook does not."""
    return bool(getattr(channel, "takes_moments", False))


def takes_moments(channels: list[Channel]) -> bool:
    return any(_takes_moments(channel) for channel in channels)


class DeliveryFailed(Exception):
    """Some channels failed a notice; every other channel was still tried (the activity's retry
    delivers again: see `retried`)."""


def retried() -> bool:
    """Inside an activity's second or later attempt: an earlier attempt may have written the rows
    and then failed to deliver, so this one delivers what it wrote again (docs/operations/mail.md)."""
    return activity.in_activity() and activity.info().attempt > 1


async def deliver(spec: NotificationSpec, channels: list[Channel]) -> None:
    """Each channel on its own: one failing (a robot answering 503) never keeps the notice from the
    others; the failures are raised together after all were tried."""
    failures: list[str] = []
    for channel in channels:
        if spec.kind not in MOMENT_KINDS or _takes_moments(channel):
            try:
                await channel.send(spec)
            except Exception as error:  # every channel is tried; raised below
                failures.append(f"{channel.name}: {error!r}")
    if failures:
        raise DeliveryFailed(f"notification {spec.notification_id} not delivered by " + "; ".join(failures))


async def deliver_all(notes: list[NotificationSpec], channels: list[Channel]) -> None:
    """Every notice, even when one failed; the failures are raised together after all were tried."""
    failures: list[str] = []
    for note in notes:
        try:
            await deliver(note, channels)
        except DeliveryFailed as failed:
            failures.append(str(failed))
    if failures:
        raise DeliveryFailed("\n".join(failures))


class Notifier:
    """One activity for every notification; the database record is the channel of record."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], channels: list[Channel] | None = None) -> None:
        self.sessions = sessions
        self.channels = channels or []

    @activity.defn
    async def notify(self, spec: NotificationSpec) -> None:
        async with write_transaction(self.sessions) as session:
            new = await record_notification(session, spec, self.channels)
        if new or retried():  # a retry: the first attempt wrote the row, maybe delivered nothing
            await deliver(spec, self.channels)
