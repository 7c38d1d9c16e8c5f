"""Engines and sessionmakers: one sync URL in settings, the async driver derived from it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session, sessionmaker

R = TypeVar("R")


def async_url(url: str) -> str:
    """`sqlite:///x.db` → aiosqlite; `postgresql://` → psycopg 3 (sync and async under one dialect)."""
    if url.startswith("sqlite:"):
        return url.replace("sqlite:", "sqlite+aiosqlite:", 1)
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def sync_url(url: str) -> str:
    if url.startswith("sqlite+aiosqlite:"):
        return url.replace("sqlite+aiosqlite:", "sqlite:", 1)
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    """WAL lets the API read while the worker writes; foreign keys are off by default in SQLite."""
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


# Short OLTP statements only: starting parallel workers costs more than it saves and makes the
# inbox's p99 (benchmarks/inbox.py). Set once per connection instead of once per request.
POSTGRES_OPTIONS = "-c max_parallel_workers_per_gather=0"


def make_engine(url: str) -> AsyncEngine:
    url = async_url(url)
    if url.startswith("sqlite"):
        engine = create_async_engine(url)
    else:
        engine = create_async_engine(url, pool_pre_ping=True, connect_args={"options": POSTGRES_OPTIONS})
    if url.startswith("sqlite"):
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def install_sqlite_pragmas(engine: Engine) -> None:
    if engine.url.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)


_sqlite_writers: WeakKeyDictionary[object, asyncio.Lock] = WeakKeyDictionary()


def _writer_lock(sessions: async_sessionmaker[AsyncSession]) -> asyncio.Lock | None:
    bind = sessions.kw.get("bind")
    if not isinstance(bind, AsyncEngine) or bind.dialect.name != "sqlite":
        return None
    engine = bind.sync_engine
    if engine not in _sqlite_writers:
        _sqlite_writers[engine] = asyncio.Lock()
    return _sqlite_writers[engine]


@asynccontextmanager
async def write_transaction(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A transaction that writes; on SQLite one at a time per process.

    SQLite has one writer at a time. Two deferred transactions that both read and then write
    make one of them fail at once with "database is locked" (the busy timeout does not apply
    to a stale read snapshot), and busy waiting sleeps in steps of up to 100 ms. Under a burst
    of activities (10,000 deadlines at one moment) writers therefore queue here, in order, and
    each transaction runs without contention. PostgreSQL needs no queue.
    """
    lock = _writer_lock(sessions)
    if lock is None:
        async with sessions.begin() as session:
            yield session
        return
    async with lock, sessions.begin() as session:
        yield session


_sync_makers: WeakKeyDictionary[object, sessionmaker[Session]] = WeakKeyDictionary()


def _sqlite_sync_maker(bind: AsyncEngine) -> sessionmaker[Session]:
    """A plain pysqlite engine beside the aiosqlite one, for whole transactions run in a thread."""
    engine = bind.sync_engine
    if engine not in _sync_makers:
        url = bind.url.set(drivername="sqlite")
        sync_engine = create_engine(url, connect_args={"check_same_thread": False})
        install_sqlite_pragmas(sync_engine)
        _sync_makers[engine] = sessionmaker(sync_engine, expire_on_commit=False)
    return _sync_makers[engine]


def _in_thread(maker: sessionmaker[Session], write: Callable[[Session], R]) -> R:
    with maker.begin() as session:
        return write(session)


async def run_write(sessions: async_sessionmaker[AsyncSession], write: Callable[[Session], R]) -> R:
    """Run `write` (plain, synchronous SQLAlchemy) as one transaction with the right driver for
    the database: on SQLite the whole transaction in one thread hop (aiosqlite pays a thread hop and
    an event-loop wake-up per statement, which was most of a decision's database cost), queued
    behind the process's other writers; on PostgreSQL on the async psycopg connection."""
    bind = sessions.kw.get("bind")
    lock = _writer_lock(sessions)
    if lock is None or not isinstance(bind, AsyncEngine):
        async with sessions.begin() as session:
            return await session.run_sync(write)
    maker = _sqlite_sync_maker(bind)
    async with lock:
        return await asyncio.to_thread(_in_thread, maker, write)
