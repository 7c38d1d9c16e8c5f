"""A real SMTP server for the mail tests: aiosmtpd with STARTTLS required (a self-signed certificate
made here with `cryptography`) and AUTH required, collecting what it receives; and the users' mail
preferences a test sets and removes again (the database is shared by the tests of a worker)."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from activities.mail import MailServer
from db.models import MailPreference, User

SMTP_USER, SMTP_PASSWORD = "mailer", "mail-secret-2026"
BASE_URL = "https://approvals.example.cn"
REFUSED = "nobody@"  # the server refuses these recipients (550)


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost that is its own CA; the client trusts it by file."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "smtp.pem", directory / "smtp.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Inbox:
    """What the server accepted: each message with its envelope recipients."""

    messages: list[tuple[list[str], EmailMessage]] = field(default_factory=list)

    async def handle_RCPT(
        self, server: SMTPServer, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address.startswith(REFUSED):
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTPServer, session: Session, envelope: Envelope) -> str:
        assert session.ssl is not None, "a message arrived without STARTTLS"
        raw = envelope.original_content or envelope.content
        assert isinstance(raw, bytes)
        message = message_from_bytes(raw, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [message for recipients, message in self.messages if address in recipients]

    async def wait_for(self, address: str, count: int = 1, seconds: float = 30) -> list[EmailMessage]:
        deadline = time.monotonic() + seconds
        # the server runs on its own thread and event loop: an asyncio.Event of this loop cannot be set from it
        while len(self.to(address)) < count and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.1)
        return self.to(address)


def authenticate(server: SMTPServer, session: Session, envelope: Envelope, mechanism: str, data: Any) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (SMTP_USER.encode(), SMTP_PASSWORD.encode())
    return AuthResult(success=ok)


@dataclass
class RunningSmtp:
    inbox: Inbox
    server: MailServer
    settings: dict[str, Any]  # the same as SMTP_* settings, for running_api


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[RunningSmtp]:
    """An SMTP server on 127.0.0.1 that requires STARTTLS and AUTH (PLAIN/LOGIN after TLS)."""
    cert_file, key_file = self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    inbox, port = Inbox(), free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
        auth_required=True,
        authenticator=authenticate,
    )
    controller.start()
    settings = {
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_username": SMTP_USER,
        "smtp_password": SMTP_PASSWORD,
        "smtp_from": "approvals@example.cn",
        "smtp_ca_file": cert_file,
        "web_base_url": BASE_URL,
    }
    server = MailServer(
        host="127.0.0.1",
        port=port,
        username=SMTP_USER,
        password=SMTP_PASSWORD,
        sender="approvals@example.cn",
        ca_file=cert_file,
        base_url=BASE_URL,
    )
    try:
        yield RunningSmtp(inbox, server, settings)
    finally:
        controller.stop()


def address_of(username: str) -> str:
    return f"{username.replace('_', '.')}@example.cn"


@asynccontextmanager
async def mail_preferences(
    sessions: async_sessionmaker[AsyncSession],
    choices: dict[str, dict[str, Any]],
    locales: dict[str, str] | None = None,
) -> AsyncIterator[None]:
    """Give these users an address (and opt-outs, locales) for the test; removed again after it."""
    locales = locales or {}
    async with sessions.begin() as session:
        users = {u.username: u for u in await session.scalars(select(User).where(User.username.in_(choices)))}
        before = {name: user.locale for name, user in users.items()}
        for name, choice in choices.items():
            session.add(
                MailPreference(
                    user_id=users[name].id,
                    email=address_of(name),
                    updated_at=datetime.now(UTC),
                    updated_by="test",
                    **choice,
                )
            )
            if name in locales:
                users[name].locale = locales[name]
        ids = [user.id for user in users.values()]
    try:
        yield
    finally:
        async with sessions.begin() as session:
            await session.execute(delete(MailPreference).where(MailPreference.user_id.in_(ids)))
            for name, locale in before.items():
                user = await session.scalar(select(User).where(User.username == name))
                assert user is not None
                user.locale = locale
