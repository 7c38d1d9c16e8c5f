"""Which store failures are the data's fault, told apart on the real databases (issue 10 §2):
those fail the activity at once, the rest keep being retried."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.exceptions import ApplicationError

from activities.data_errors import DATA_ERROR, data_error_reason, fails_visibly_on_bad_data
from db.session import make_engine

pytestmark = pytest.mark.asyncio(loop_scope="session")

SCRATCH = (
    "CREATE TEMPORARY TABLE IF NOT EXISTS scratch_parent (id INTEGER PRIMARY KEY)",
    "CREATE TEMPORARY TABLE IF NOT EXISTS scratch (name VARCHAR(200), capital NUMERIC(18, 2), number INTEGER, "
    "parent INTEGER REFERENCES scratch_parent (id))",
)


async def refusal(sessions: async_sessionmaker[AsyncSession], row: dict[str, Any]) -> BaseException:
    """What the database raises for `row`, in a transaction that leaves nothing behind."""
    async with sessions() as session:
        try:
            for statement in SCRATCH:
                await session.execute(text(statement))
            await session.execute(
                text("INSERT INTO scratch (name, capital, number, parent) VALUES (:name, :capital, :number, :parent)"),
                {"name": "ok", "capital": 1, "number": 1, "parent": None, **row},
            )
        except Exception as exc:
            return exc
        finally:
            await session.rollback()
    raise AssertionError(f"the database stored {row}")


def dialect(sessions: async_sessionmaker[AsyncSession]) -> str:
    return str(sessions.kw["bind"].dialect.name)


async def test_a_dangling_foreign_key_is_refused_data(sessions: async_sessionmaker[AsyncSession]) -> None:
    reason = data_error_reason(await refusal(sessions, {"parent": 42}))
    assert reason is not None and reason.startswith("IntegrityError")


async def test_an_integer_beyond_the_column_is_refused_data(sessions: async_sessionmaker[AsyncSession]) -> None:
    reason = data_error_reason(await refusal(sessions, {"number": 2**70}))
    assert reason is not None and ("Overflow" in reason or "DataError" in reason), reason


@pytest.mark.parametrize(
    ("row", "names"),
    [
        ({"name": "郑州\x00华豫"}, "NUL"),
        ({"name": "名" * 201}, "too long"),
        ({"capital": 10**20}, "overflow"),
    ],
)
async def test_what_postgresql_refuses_is_refused_data(
    sessions: async_sessionmaker[AsyncSession], row: dict[str, Any], names: str
) -> None:
    """The three findings of issue 10 §2: NUL in text, VARCHAR(200) overflow, Numeric(18,2) overflow."""
    if dialect(sessions) != "postgresql":
        pytest.skip("SQLite stores these")
    reason = data_error_reason(await refusal(sessions, row))
    assert reason is not None and reason.startswith("DataError"), reason
    assert "\x00" not in reason and len(reason) <= 300


async def test_an_unreachable_database_is_retried(database_url: str) -> None:
    """Connection trouble is not the data's fault: no reason, the activity stays retryable."""
    url = database_url.replace("sqlite:///", "sqlite:////nonexistent-dir/") if "sqlite" in database_url else None
    if url is None:
        url = "postgresql://nobody@127.0.0.1:1/none"
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as exc:
        assert data_error_reason(exc) is None, exc
    else:
        raise AssertionError("connected to nothing")
    finally:
        await engine.dispose()


async def test_the_decorator_fails_refused_data_at_once_and_lets_the_rest_retry(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    refused = await refusal(sessions, {"parent": 42})

    def raising(exc: BaseException) -> Callable[[], Any]:
        @fails_visibly_on_bad_data
        async def activity() -> None:
            raise exc

        return activity

    with pytest.raises(ApplicationError) as failed:
        await raising(refused)()
    assert failed.value.type == DATA_ERROR and failed.value.non_retryable
    assert failed.value.__cause__ is None  # the driver's message is not carried along
    with pytest.raises(ConnectionError):
        await raising(ConnectionError("database restarting"))()
