"""Single sign-on by OpenID Connect (issue 24 §4a) against a real provider (tests/web/sso_support.py):
the full code flow over HTTP on both databases. A sign-in opens the local user the identity maps to,
in their unit, with the same server-side session as a password sign-in; everything else is refused
with a page that says why, and writes nothing."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from api.services.oidc import SsoRefused, discover
from api.services.sso_identities import user_for_identity
from db.models import User, UserIdentity, WebSession
from domain.sso import Refusal
from settings import Settings
from tests.support import Api, running_api
from tests.web.sso_support import APP, authorize, browser, local_user, provider, provider_user, sso_settings

UNKNOWN = "在本系统中没有对应的用户"
CLOSED = "该用户已停用"
FLOW = "本浏览器没有发起这次登录"
PROVIDER = "身份提供方未予登录，或其应答未通过校验"
TAKEN = "已绑定另一个统一身份账号"
PRIVILEGED = "管理员和审计用户不能通过单点登录首次绑定"


@pytest.fixture(scope="module")
def issuer() -> Iterator[str]:
    with provider() as running:
        yield running


@pytest.fixture(scope="module")
def other_issuer() -> Iterator[str]:
    with provider() as running:
        yield running


AppWith = Callable[..., AbstractAsyncContextManager[Api]]


@pytest.fixture
def app_with(
    temporal_env: WorkflowEnvironment, sessions: async_sessionmaker[AsyncSession], database_url: str, task_queue: str
) -> AppWith:
    """The app on this test's database and task queue, with these settings."""

    def running(**settings: Any) -> AbstractAsyncContextManager[Api]:
        return running_api(temporal_env.client, sessions, task_queue, database_url, **settings)

    return running


@pytest_asyncio.fixture(loop_scope="session")
async def sso_api(app_with: AppWith, issuer: str) -> AsyncIterator[Api]:
    async with app_with(**sso_settings(issuer)) as api:
        yield api


@pytest_asyncio.fixture(loop_scope="session")
async def http(sso_api: Api) -> AsyncIterator[httpx.AsyncClient]:
    async with browser(sso_api.app) as client:
        yield client


async def start(http: httpx.AsyncClient, origin: str = APP) -> str:
    """The provider's authorization address the app sends this browser to."""
    response = await http.get(f"{origin}/login/oidc", follow_redirects=False)
    assert response.status_code == 303, response.text
    return response.headers["location"]


def with_param(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query)) | changes
    return urlunsplit(parts._replace(query=urlencode(query)))


def with_origin(url: str, origin: str) -> str:
    parts, new = urlsplit(url), urlsplit(origin)
    return urlunsplit(parts._replace(scheme=new.scheme, netloc=new.netloc))


async def traces(sessions: async_sessionmaker[AsyncSession], username: str) -> tuple[int, int]:
    """(identities linked, web sessions opened) of this user: what a sign-in writes."""
    async with sessions() as session:
        user_id = await session.scalar(select(User.id).where(User.username == username))
        links = await session.scalar(select(func.count()).where(UserIdentity.user_id == user_id))
        opened = await session.scalar(select(func.count()).where(WebSession.username == username))
        return int(links or 0), int(opened or 0)


async def person(
    sessions: async_sessionmaker[AsyncSession], issuer: str, tag: str, active: bool = True
) -> tuple[str, str]:
    """A local user and the provider identity whose username claim names them: (username, subject)."""
    username = await local_user(sessions, active=active)
    await provider_user(issuer, f"{tag}-{username}", preferred_username=username)
    return username, f"{tag}-{username}"


async def callback_of(http: httpx.AsyncClient, authorization_url: str, subject: str) -> str:
    """The callback address the provider sends the browser to, not followed."""
    form = await http.get(authorization_url)
    answer = await http.post(str(form.url), data={"sub": subject}, follow_redirects=False)
    callback = answer.headers["location"]
    assert callback.startswith(f"{APP}/login/oidc/callback"), callback
    return callback


async def sign_in_anew(api: Api, subject: str) -> httpx.Response:
    """`subject` signs in from a browser of their own; the page they land on."""
    async with browser(api.app) as http:
        return await authorize(http, await start(http), subject)


async def assert_refused(
    response: httpx.Response, words: str, sessions: async_sessionmaker[AsyncSession], username: str
) -> None:
    """The sign-in page says why, and the refusal linked nobody and opened no session."""
    assert response.status_code == 403 and words in response.text, response.text
    assert await traces(sessions, username) == (0, 0)


async def test_sign_in_opens_the_local_user_in_their_unit(
    http: httpx.AsyncClient, issuer: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    username = await local_user(sessions, unit="DEPOT-KF")
    await provider_user(issuer, "sub-ok-" + username, preferred_username=username)
    login = await http.get(f"{APP}/login")
    assert 'href="/login/oidc"' in login.text and "单点登录" in login.text
    assert "Single sign-on" in (await http.get(f"{APP}/login", params={"lang": "en"})).text

    page = await authorize(http, await start(http), "sub-ok-" + username)

    assert str(page.url) == f"{APP}/" and page.status_code == 200, page.text
    assert f"单点 {username}" in page.text  # the workbench of the local user
    async with sessions() as session:
        link = await session.scalar(select(UserIdentity).where(UserIdentity.subject == "sub-ok-" + username))
        user = await session.scalar(select(User).where(User.username == username))
    assert link is not None and user is not None and link.issuer == issuer and link.user_id == user.id
    assert user.unit_code == "DEPOT-KF" and [role.role for role in user.roles] == ["sales_clerk"]
    assert await traces(sessions, username) == (1, 1)
    assert "cw_oidc" not in http.cookies  # one use


async def test_an_unknown_identity_is_refused_and_nobody_is_created(
    http: httpx.AsyncClient, issuer: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await provider_user(issuer, "stranger", preferred_username="nobody-here", name="陌生人")
    async with sessions() as session:
        users_before = await session.scalar(select(func.count()).select_from(User))

    refused = await authorize(http, await start(http), "stranger")

    assert refused.status_code == 403 and UNKNOWN in refused.text
    assert str(refused.url).startswith(f"{APP}/login/oidc/callback")
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(User)) == users_before
        assert await session.scalar(select(UserIdentity).where(UserIdentity.subject == "stranger")) is None
    assert (await http.get(f"{APP}/")).url == f"{APP}/login"  # not signed in


async def test_a_deactivated_user_is_refused(
    http: httpx.AsyncClient, issuer: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    username, subject = await person(sessions, issuer, "gone", active=False)

    refused = await authorize(http, await start(http), subject)

    await assert_refused(refused, CLOSED, sessions, username)


async def test_a_tampered_state_is_refused(
    http: httpx.AsyncClient, issuer: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    username, subject = await person(sessions, issuer, "state")
    callback = await callback_of(http, await start(http), subject)

    refused = await http.get(with_param(callback, state="forged-state"))

    await assert_refused(refused, FLOW, sessions, username)


async def test_a_callback_in_a_browser_that_started_no_sign_in_is_refused(
    sso_api: Api, issuer: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """The victim's browser is sent the attacker's callback (login CSRF): it has no flow cookie."""
    username, subject = await person(sessions, issuer, "csrf")
    async with browser(sso_api.app) as attacker, browser(sso_api.app) as victim:
        refused = await victim.get(await callback_of(attacker, await start(attacker), subject))
    await assert_refused(refused, FLOW, sessions, username)


async def test_a_tampered_nonce_is_refused(
    http: httpx.AsyncClient, issuer: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """The provider signs the nonce it was given into the ID token: another nonce than this sign-in's fails."""
    username, subject = await person(sessions, issuer, "nonce")

    refused = await authorize(http, with_param(await start(http), nonce="replayed-nonce"), subject)

    await assert_refused(refused, PROVIDER, sessions, username)


async def test_a_sign_in_the_person_declined_at_the_provider_opens_nothing(
    http: httpx.AsyncClient, issuer: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    username, subject = await person(sessions, issuer, "deny")
    form = await http.get(await start(http))

    declined = await http.post(str(form.url), data={"sub": subject, "action": "deny"})

    assert "error=access_denied" in str(declined.url)
    # This provider's error answer carries no `state` (RFC 6749 §4.1.2.1 wants it back), so the state
    # check, which comes first, refuses it; with the state the words would be PROVIDER's.
    await assert_refused(declined, FLOW, sessions, username)


async def test_an_answer_from_another_provider_is_refused(
    http: httpx.AsyncClient, issuer: str, other_issuer: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """The same request sent to another issuer: its code is worth nothing at the configured provider."""
    username, subject = await person(sessions, other_issuer, "other")

    refused = await authorize(http, with_origin(await start(http), other_issuer), subject)

    await assert_refused(refused, PROVIDER, sessions, username)


async def test_a_provider_whose_discovery_names_another_issuer_is_refused(app_with: AppWith, issuer: str) -> None:
    """Issuers compare exactly (OIDC Discovery §4.3): with a trailing slash OIDC_ISSUER names another issuer
    than the one the provider's document says it is."""
    elsewhere = issuer + "/"
    async with (
        app_with(**sso_settings(elsewhere)) as api,
        browser(api.app) as http,
    ):
        refused = await http.get(f"{APP}/login/oidc")
    assert refused.status_code == 403 and PROVIDER in refused.text
    assert "cw_oidc" not in http.cookies


async def test_without_an_issuer_there_is_no_single_sign_on(api: Api) -> None:
    login = await api.client.get("/login")
    assert login.status_code == 200 and "/login/oidc" not in login.text
    assert (await api.client.get("/login/oidc")).status_code == 404
    assert (await api.client.get("/login/oidc/callback", params={"code": "x", "state": "y"})).status_code == 404


async def test_a_linked_identity_keeps_its_user_until_an_administrator_unlinks_it(
    sso_api: Api, issuer: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """The linked subject signs in again; the provider gave the leaver's username to a newcomer, who is
    refused until an administrator unlinks the old identity — then the next sign-in links the newcomer."""
    username, leaver = await person(sessions, issuer, "leaver")
    await provider_user(issuer, "newcomer-" + username, preferred_username=username)
    assert (await sign_in_anew(sso_api, leaver)).url == f"{APP}/"
    assert (await sign_in_anew(sso_api, leaver)).url == f"{APP}/"
    refused = await sign_in_anew(sso_api, "newcomer-" + username)
    assert refused.status_code == 403 and TAKEN in refused.text
    assert await traces(sessions, username) == (1, 2)
    listed = await sso_api.get(f"/api/v1/users/{username}/identities", "admin")
    assert listed.status_code == 200 and [row["subject"] for row in listed.json()] == [leaver]

    unlinked = await sso_api.client.delete(
        f"/api/v1/users/{username}/identities", headers=await sso_api.headers("admin")
    )

    assert unlinked.status_code == 200 and unlinked.json()[0]["issuer"] == issuer
    audit = await sso_api.get("/api/v1/users/audit", "admin", params={"target": username})
    assert [(row["action"], row["actor"]) for row in audit.json()] == [("unlink_identities", "admin")]
    assert audit.json()[0]["before"]["identities"][0]["subject"] == leaver
    assert (await sign_in_anew(sso_api, "newcomer-" + username)).url == f"{APP}/"
    listed = await sso_api.get(f"/api/v1/users/{username}/identities", "admin")
    assert [row["subject"] for row in listed.json()] == ["newcomer-" + username]


async def test_behind_https_the_sign_in_uses_secure_host_cookies(
    app_with: AppWith, issuer: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """Secure `__Host-` cookies as outside demo mode: the flow's too, and it is still sent back to the callback."""
    origin = "https://approvals.test"
    username, subject = await person(sessions, issuer, "https")
    settings = sso_settings(issuer, origin) | {"web_cookie_secure": True}
    async with (
        app_with(**settings) as api,
        browser(api.app, origin) as http,
    ):
        authorization_url = await start(http, origin)
        assert "__Host-cw_oidc" in http.cookies and "code_challenge_method=S256" in authorization_url
        page = await authorize(http, authorization_url, subject)
        assert str(page.url) == f"{origin}/" and f"单点 {username}" in page.text
        assert "__Host-cw_session" in http.cookies and "__Host-cw_oidc" not in http.cookies


@contextmanager
def discovery_document(**endpoints: str) -> Iterator[str]:
    """A provider on 127.0.0.1 that serves only its discovery document, with these endpoints; yields its issuer."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            issuer = f"http://127.0.0.1:{self.server.server_address[1]}"
            body = json.dumps({"issuer": issuer} | endpoints).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


HTTPS_ENDPOINTS = {
    "authorization_endpoint": "https://sso.example.com/auth",
    "token_endpoint": "https://sso.example.com/token",
    "jwks_uri": "https://sso.example.com/jwks",
}


def production(issuer: str) -> Settings:
    return Settings(_env_file=None, app_env="production", jwt_secret="x" * 32, **sso_settings(issuer))  # type: ignore[call-arg]


@pytest.mark.parametrize("endpoint", ["jwks_uri", "token_endpoint", "authorization_endpoint"])
async def test_a_discovery_document_naming_a_plain_http_endpoint_elsewhere_is_refused(endpoint: str) -> None:
    """Issue 24 review: keys read, or the client secret sent, over http could be replaced or read on the
    way — outside demo mode every endpoint is https, or on this host (the issuer itself here: loopback)."""
    plain = HTTPS_ENDPOINTS | {endpoint: "http://sso.example.com/" + endpoint}
    with discovery_document(**plain) as issuer, pytest.raises(SsoRefused) as refused:
        await discover(production(issuer))
    assert refused.value.reason is Refusal.PROVIDER and endpoint in refused.value.detail
    loopback = HTTPS_ENDPOINTS | {endpoint: "http://localhost:8080/" + endpoint}
    with discovery_document(**loopback) as issuer:
        assert (await discover(production(issuer)))[endpoint] == loopback[endpoint]


async def test_a_first_sign_in_never_links_an_administrator_or_an_auditor(
    http: httpx.AsyncClient, issuer: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """Issue 24 review: whoever the provider lets call themselves `admin` must not become the administrator;
    administrators and auditors keep the password sign-in."""
    async with sessions() as session:
        admin_sessions = await session.scalar(select(func.count()).where(WebSession.username == "admin"))
    await provider_user(issuer, "self-registered-admin", preferred_username="admin")

    refused = await authorize(http, await start(http), "self-registered-admin")

    assert refused.status_code == 403 and PRIVILEGED in refused.text, refused.text
    assert await traces(sessions, "admin") == (0, admin_sessions or 0)
    auditor = await local_user(sessions, role="auditor")
    await provider_user(issuer, "would-be-" + auditor, preferred_username=auditor)
    await assert_refused(await authorize(http, await start(http), "would-be-" + auditor), PRIVILEGED, sessions, auditor)
    assert (await http.get(f"{APP}/")).url == f"{APP}/login"  # not signed in


@pytest.mark.parametrize("same_identity", [True, False])
async def test_two_first_sign_ins_at_once_link_once(
    sessions: async_sessionmaker[AsyncSession], same_identity: bool
) -> None:
    """Issue 24 review: two first sign-ins racing to link (a double click, two tabs) hit the unique
    constraints. Made deterministic: the second has read "not linked" before the first commits its link.
    The same identity's second sign-in opens the user the first linked; another subject is refused."""
    settings = Settings(_env_file=None, app_env="demo", **sso_settings("https://sso.example.com"))  # type: ignore[call-arg]
    username = await local_user(sessions)
    first_claims = {"sub": "race-" + username, "preferred_username": username}
    second_claims = first_claims if same_identity else first_claims | {"sub": "race-other-" + username}
    async with sessions() as first, sessions() as second:
        linked = await user_for_identity(first, settings, first_claims)  # flushed, not committed
        read = asyncio.Event()
        event.listen(second.sync_session, "before_flush", lambda *_: read.set(), once=True)
        racing = asyncio.create_task(user_for_identity(second, settings, second_claims))
        await read.wait()  # the second found no link and is about to write its own
        await first.commit()
        if same_identity:
            assert (await racing).id == linked.id
        else:
            with pytest.raises(SsoRefused) as refused:
                await racing
            assert refused.value.reason is Refusal.TAKEN
        await second.commit()
    assert await traces(sessions, username) == (1, 0)
