"""Test helpers: valid applications, a running worker, the real API over ASGI."""

from __future__ import annotations

import asyncio
import os
import random
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
from opentelemetry.sdk.trace import TracerProvider
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client, WorkflowHistory
from temporalio.worker import Replayer, Worker

from activities.mail import MailServer
from api.main import create_app
from domain.credit_code import ALPHABET, make_credit_code
from domain.documents import ONBOARDING_REQUIRED
from settings import Settings
from temporal_client import DATA_CONVERTER, HEADERS
from worker import build_worker, worker_interceptors
from workflows.registry import WORKFLOWS

TEST_ACTOR_SIGNING_KEY = "test-actor-signing-key-" + "k" * 32


def production_replayer() -> Replayer:
    """Histories replayed as the production worker runs them: its interceptors (the actor check with
    the tests' key first) and sealed headers."""
    return Replayer(
        workflows=WORKFLOWS,
        data_converter=DATA_CONVERTER,
        interceptors=worker_interceptors([TEST_ACTOR_SIGNING_KEY.encode()]),
        header_codec_behavior=HEADERS,
    )


def random_credit_code() -> str:
    tail = "".join(random.choice(ALPHABET) for _ in range(9))
    return make_credit_code("91410100" + tail)


def application(credit_code: str | None = None, *, drop: tuple[str, ...] = (), **customer: Any) -> dict[str, Any]:
    """A complete onboarding application as JSON (000 §6 documents, 000 §10 card)."""
    valid = (date.today() + timedelta(days=365)).isoformat()
    return {
        "customer": {
            "name": "郑州华豫石化贸易有限公司",
            "credit_code": credit_code or random_credit_code(),
            "kind": "allocation_self_sale",
            "address": "河南省郑州市金水区花园路 1 号",
            "legal_representative": "王建国",
            "phone": "0371-65550000",
            "postcode": "450000",
            "registered_capital": "50000000",
            "business_scope": "成品油批发; 危险化学品经营",
            "bank_name": "中国工商银行郑州花园路支行",
            "bank_account": "1702020109024567890",
            **customer,
        },
        "documents": [
            {
                "type": t.value,
                "number": f"NO-{t.value[:6].upper()}-001",
                "issuer": "郑州市市场监督管理局",
                "valid_until": valid,
            }
            for t in ONBOARDING_REQUIRED
            if t.value not in drop
        ],
    }


class WorkerControl:
    """A real worker on its own task queue that a test can stop and start again."""

    def __init__(
        self,
        client: Client,
        task_queue: str,
        sessions: async_sessionmaker[AsyncSession],
        *,
        cache: bool = True,
        actor_keys: Sequence[bytes] = (),
        mail: MailServer | None = None,
    ) -> None:
        self.client, self.task_queue, self.sessions = client, task_queue, sessions
        self.actor_keys = actor_keys  # the API's ring: its updates' actors must be signed (issue 24 §2)
        self.mail = mail  # e-mail notifications on (tests/mail_support.py), off by default
        self.max_cached_workflows = 1000 if cache else 0  # 0: every task replays history from scratch
        self.worker: Worker | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.worker = build_worker(
            self.client,
            self.task_queue,
            self.sessions,
            max_cached_workflows=self.max_cached_workflows,
            actor_keys=self.actor_keys,
            mail=self.mail,
        )
        self._task = asyncio.create_task(self.worker.run())

    async def stop(self) -> None:
        if self.worker is not None and self._task is not None:
            await self.worker.shutdown()
            await self._task
        self.worker, self._task = None, None


# Tokens signed in earlier tests of this worker, by (database and settings, user, password). A sign-in costs one
# Argon2 computation (64 MiB, ~0.15 s of both cores); about three per API test made sign-ins the
# suite's largest single cost. A reused token is first checked (`GET /auth/me`): a password reset
# or a deactivation in another test makes it fail, and the user signs in again as before.
_SIGNED_IN: dict[tuple[str, str, str], str] = {}


class Api:
    """The real FastAPI app over ASGI, with a token per demo user."""

    def __init__(
        self, client: httpx.AsyncClient, worker: WorkerControl, app: Any = None, token_scope: str = ""
    ) -> None:
        self.client, self.worker, self.app = client, worker, app
        self.token_scope = token_scope  # apps sharing it accept each other's tokens
        self._tokens: dict[str, str] = {}

    def from_address(self, address: str) -> httpx.AsyncClient:
        """Another client of the same app, connecting from `address` (per-address rate limits)."""
        transport = httpx.ASGITransport(app=self.app, client=(address, 40000))
        return httpx.AsyncClient(transport=transport, base_url="http://test", timeout=60)

    async def headers(self, username: str, password: str = "demo") -> dict[str, str]:
        if username not in self._tokens:
            self._tokens[username] = await self._signed_in(username, password)
        return {"Authorization": f"Bearer {self._tokens[username]}"}

    async def _signed_in(self, username: str, password: str) -> str:
        """A token of an earlier test if it still opens this app (checked, never trusted), else a sign-in."""
        key = (self.token_scope, username, password)
        cached = _SIGNED_IN.get(key)
        if cached is not None:
            check = await self.client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {cached}"})
            if check.status_code == 200 and check.json()["username"] == username:
                return cached
        response = await self.client.post("/api/v1/auth/token", data={"username": username, "password": password})
        assert response.status_code == 200, response.text
        token: str = response.json()["access_token"]
        _SIGNED_IN[key] = token
        return token

    async def get(self, url: str, user: str, **kw: Any) -> httpx.Response:
        return await self.client.get(url, headers=await self.headers(user), **kw)

    async def post(self, url: str, user: str, **kw: Any) -> httpx.Response:
        return await self.client.post(url, headers=await self.headers(user), **kw)

    async def task_for(self, user: str, process_id: str) -> dict[str, Any]:
        response = await self.get("/api/v1/tasks", user, params={"process_id": process_id})
        assert response.status_code == 200, response.text
        tasks = [t for t in response.json()["items"] if t["process_id"] == process_id]
        assert len(tasks) == 1, f"{user} sees {tasks}"
        return tasks[0]

    async def decide(self, user: str, process_id: str, outcome: str, comment: str | None = None) -> httpx.Response:
        task = await self.task_for(user, process_id)
        return await self.post(
            f"/api/v1/tasks/{task['task_id']}/decision", user, json={"outcome": outcome, "comment": comment}
        )

    async def submit(self, user: str = "sales_clerk", body: dict[str, Any] | None = None) -> httpx.Response:
        return await self.post("/api/v1/onboarding", user, json=body or application())


@asynccontextmanager
async def running_api(
    client: Client,
    sessions: async_sessionmaker[AsyncSession],
    task_queue: str,
    database_url: str,
    tracing: TracerProvider | None = None,
    **settings_: Any,
) -> AsyncIterator[Api]:
    """The app in demo mode; `settings_` overrides single settings for one test. Login rate limits
    are lifted: tests that log in wrongly on purpose (bad input, generated cases) share the demo
    users and the test client's address; tests/api/test_login_security.py runs the real limits."""
    lifted = {"login_failures_per_username": 10_000, "login_failures_per_address": 10_000}
    base: dict[str, Any] = {"app_env": "demo", "database_url": database_url, "task_queue": task_queue, **lifted}
    base |= {"actor_signing_key": TEST_ACTOR_SIGNING_KEY}  # also what a test's production app signs with
    settings = Settings(**(base | settings_))
    worker = WorkerControl(
        client, task_queue, sessions, actor_keys=settings.actor_signing_keys(), mail=MailServer.from_settings(settings)
    )
    await worker.start()
    app = create_app(settings, temporal=client, sessions=sessions, tracing=tracing)
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test", timeout=60) as http:
                # a token is reused only by an app of the same database and the same settings
                yield Api(http, worker, app, f"{database_url} {sorted(settings_.items())!r}")
    finally:
        await worker.stop()


HISTORIES = Path(__file__).parent / "histories"


def record_history(name: str, history: WorkflowHistory) -> None:
    """`RECORD_HISTORIES=1 pytest ...` saves a finished test's history for the replay test: the code
    of tomorrow must still replay the workflows started by the code of today."""
    if os.environ.get("RECORD_HISTORIES"):
        HISTORIES.mkdir(exist_ok=True)
        (HISTORIES / f"{name}.json").write_text(history.to_json())


def credit_papers() -> dict[str, Any]:
    """What every credit application carries (000 §13): the organisation's nature, its registration
    and a financial statement."""
    return {
        "organisation_nature": "private",
        "documents": [
            {"kind": "registration", "title": "营业执照", "number": "91410100MA00000000", "issued_on": "2020-05-01"},
            {"kind": "financial_statement", "title": "年度资产负债表", "period": "2025"},
        ],
    }
