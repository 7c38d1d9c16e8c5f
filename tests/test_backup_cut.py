"""The backup's cut (scripts/backup_store.py): while the app database's writes are held, a writer
waits and a reader reads, on both databases; once released, the write goes through."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg
import pytest

from db.migrate import upgrade
from scripts.backup_store import app_writes_frozen, libpq_url, sqlite_path
from tests.conftest import _fresh_postgres_database


def migrated(url: str) -> str:
    upgrade(url)
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def app_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return migrated(f"sqlite:///{tmp_path / 'app.db'}")
    return migrated(_fresh_postgres_database(request.getfixturevalue("postgres_url")))


WRITE = "UPDATE alembic_version SET version_num = version_num"
READ = "SELECT count(*) FROM alembic_version"


def try_write(url: str, wait_seconds: float) -> bool:
    """True when the write went through within `wait_seconds`, False when it had to wait longer."""
    path = sqlite_path(url)
    if path is not None:
        conn = sqlite3.connect(path, timeout=wait_seconds)
        try:
            assert conn.execute(READ).fetchone() == (1,)  # reads go on
            conn.execute(WRITE)
            conn.commit()
            return True
        except sqlite3.OperationalError as error:
            assert "locked" in str(error)
            return False
        finally:
            conn.close()
    with psycopg.connect(libpq_url(url)) as pg:
        assert pg.execute(READ).fetchone() == (1,)
        pg.execute(f"SET lock_timeout = '{int(wait_seconds * 1000)}ms'")
        try:
            pg.execute(WRITE)
            pg.commit()
            return True
        except psycopg.errors.LockNotAvailable:
            return False


def test_writes_wait_while_held_and_pass_after(app_url: str) -> None:
    with app_writes_frozen(app_url, wait_seconds=5) as frozen:
        assert frozen.schema is not None
        assert try_write(app_url, 0.3) is False
    assert try_write(app_url, 5) is True
