"""A real OpenID Connect provider for the single sign-on tests: oidc-provider-mock (a standards-compliant
provider built on Authlib) served over HTTP on a free port in a thread, and a browser — one httpx client
with one cookie jar — that reaches the provider over the network and the app over ASGI, following
redirects from one to the other as a person's browser does."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from uuid import uuid4

import httpx
import oidc_provider_mock
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import User, UserRole

APP = "http://test"
CLIENT_ID = "customer-approvals"
CLIENT_SECRET = "sso-test-secret"


@contextmanager
def provider() -> Iterator[str]:
    """A provider on localhost; yields its issuer. Plain http is allowed for the provider (it is on loopback)."""
    os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"
    with oidc_provider_mock.run_server_in_thread(require_nonce=True) as server:
        yield f"http://localhost:{server.server_port}"


def sso_settings(issuer: str, origin: str = APP) -> dict[str, str]:
    return {
        "oidc_issuer": issuer,
        "oidc_client_id": CLIENT_ID,
        "oidc_client_secret": CLIENT_SECRET,
        "web_base_url": origin,
    }


def browser(app: object, origin: str = APP) -> httpx.AsyncClient:
    """The app answers at `origin` (over ASGI), every other address over the network."""
    return httpx.AsyncClient(mounts={origin: httpx.ASGITransport(app=app)}, follow_redirects=True, timeout=30)  # type: ignore[arg-type]


async def provider_user(issuer: str, subject: str, **claims: object) -> None:
    """The person `subject` at the provider, with these claims in their ID token."""
    async with httpx.AsyncClient() as http:
        response = await http.put(f"{issuer}/users/{subject}", json=claims)
        assert response.status_code == 204, response.text


async def local_user(
    sessions: async_sessionmaker[AsyncSession], unit: str = "DEPOT-ZZ", active: bool = True, role: str = "sales_clerk"
) -> str:
    """A user an administrator created (a sales clerk of `unit` unless `role` says otherwise); returns the username."""
    username = f"sso-{uuid4().hex[:10]}"
    async with sessions.begin() as session:
        session.add(
            User(
                username=username,
                full_name=f"单点 {username}",
                password_hash="!",  # no password: this user signs in only by single sign-on
                unit_code=unit,
                is_active=active,
                created_at=datetime.now(UTC),
                roles=[UserRole(role=role)],
            )
        )
    return username


async def authorize(http: httpx.AsyncClient, authorization_url: str, subject: str) -> httpx.Response:
    """The person signs in at the provider's page as `subject`; the browser follows where it sends them."""
    form = await http.get(authorization_url)
    assert form.status_code == 200, form.text
    return await http.post(str(form.url), data={"sub": subject})
