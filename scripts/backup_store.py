"""Copying a database out and back in: SQLite by its online backup API, PostgreSQL by pg_dump and
pg_restore — and holding the app database's writes still while Temporal is copied (the cut).

Why the cut works: every write of a process reaches the app database (a store activity that
commits) BEFORE Temporal records it (the activity's marker or completion lands with the workflow
task that follows). So a Temporal copy taken while the app database accepts no write never knows
a write the app copy lacks. The reverse — an app row whose workflow task had not reached Temporal
yet — is narrowed by a settle pause before the Temporal copy, and what is left replays: Temporal
runs the write again and the stores are idempotent (`event_key`, ON CONFLICT). Reads go on.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

SCHEMA_QUERY = "SELECT version_num FROM alembic_version"
# A database's own tables (not the catalog's): what a restore refuses to overwrite, what the cut locks.
USER_TABLES = "pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"


def sqlite_path(url: str) -> Path | None:
    """The file of a `sqlite:///...` URL (any driver suffix), None for another database."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    if not parsed.database or parsed.database == ":memory:":
        raise SystemExit(f"{url}: an in-memory SQLite database cannot be backed up")
    return Path(parsed.database)


def libpq_url(url: str) -> str:
    """The URL as pg_dump, pg_restore and psycopg read it (no SQLAlchemy driver suffix)."""
    scheme, rest = url.split("://", 1)
    return f"postgresql://{rest}" if scheme.startswith("postgres") else url


def without_password(url: str) -> tuple[str, str | None]:
    """The libpq URL without its password (in the user part or `?password=`), and the password:
    a child's command line is visible to every local user (`ps`), its environment is not."""
    parts = urlsplit(libpq_url(url))
    password = unquote(parts.password) if parts.password is not None else None
    netloc = parts.netloc
    if password is not None:
        userinfo, hostport = netloc.rsplit("@", 1)
        netloc = f"{userinfo.split(':', 1)[0]}@{hostport}"
    query = parse_qsl(parts.query, keep_blank_values=True)
    password = next((value for key, value in query if key == "password"), password)
    kept = urlencode([(key, value) for key, value in query if key != "password"], safe="/")
    return urlunsplit(parts._replace(netloc=netloc, query=kept)), password


def libpq_target(url: str) -> tuple[str, dict[str, str]]:
    """The URL for a pg_dump / pg_restore command line and the environment that carries its
    password (PGPASSWORD): `(url, env)` for `subprocess.run(..., env=env)`."""
    bare, password = without_password(url)
    env = dict(os.environ)
    if password:
        env["PGPASSWORD"] = password
    return bare, env


def redacted(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def pg_tool(name: str) -> str:
    """`pg_dump` / `pg_restore`: PostgreSQL 16's from the `pgserver` package when installed (the
    test and dev machines), else the one on PATH (a server's own, e.g. the compose image's)."""
    try:
        import pgserver  # type: ignore[import-untyped]

        bundled = Path(pgserver.__file__).parent / "pginstall" / "bin" / name
        if bundled.is_file():
            return str(bundled)
    except ImportError:
        pass
    found = shutil.which(name)
    if found is None:
        raise SystemExit(f"{name} is missing: install PostgreSQL's client tools (or the `pgserver` package)")
    return found


def tool_version(command: list[str]) -> str | None:
    try:
        answer = subprocess.run(command, capture_output=True, text=True, timeout=30, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return answer.stdout.strip().splitlines()[0] if answer.stdout.strip() else None


def run_tool(command: list[str], env: dict[str, str] | None = None) -> None:
    answer = subprocess.run(command, capture_output=True, text=True, env=env)
    if answer.returncode != 0:
        raise SystemExit(f"{Path(command[0]).name} failed ({answer.returncode}): {answer.stderr.strip()[:2000]}")


# --- SQLite ---------------------------------------------------------------------------------------


def copy_sqlite(source: Path, target: Path) -> None:
    """The online backup API: a consistent copy while other processes read and write the source."""
    if not source.is_file():
        raise SystemExit(f"no SQLite database at {source}")
    reader, writer = sqlite3.connect(source), sqlite3.connect(target)
    try:
        reader.backup(writer)
    finally:
        writer.close()
        reader.close()


def sqlite_in_use(path: Path) -> bool:
    """A restore target that already holds a database (a live one, or one someone will miss)."""
    return path.is_file() and path.stat().st_size > 0


def restore_sqlite(copy: Path, target: Path) -> None:
    """Written through the backup API too, so a target's stale WAL is replaced with its pages."""
    target.parent.mkdir(parents=True, exist_ok=True)
    copy_sqlite(copy, target)


# --- PostgreSQL -----------------------------------------------------------------------------------


def pg_dump_command(url: str, archive: Path, snapshot: str | None = None) -> tuple[list[str], dict[str, str]]:
    """The pg_dump command line (no password in it) and its environment (PGPASSWORD)."""
    target, env = libpq_target(url)
    command = [pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", f"--file={archive}"]
    if snapshot is not None:
        command.append(f"--snapshot={snapshot}")
    return [*command, target], env


def pg_dump(url: str, archive: Path, snapshot: str | None = None) -> None:
    run_tool(*pg_dump_command(url, archive, snapshot))


def postgres_in_use(url: str) -> bool:
    """A restore target with any table of its own is a database someone uses."""
    with psycopg.connect(libpq_url(url)) as conn:
        row = conn.execute(f"SELECT count(*) FROM {USER_TABLES}").fetchone()
    return bool(row and row[0])


def pg_restore_command(archive: Path, url: str, *, replace: bool) -> tuple[list[str], dict[str, str]]:
    """The pg_restore command line (no password in it) and its environment (PGPASSWORD)."""
    target, env = libpq_target(url)
    command = [pg_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"]
    if replace:
        command += ["--clean", "--if-exists"]
    return [*command, f"--dbname={target}", str(archive)], env


def pg_restore(archive: Path, url: str, *, replace: bool) -> None:
    run_tool(*pg_restore_command(archive, url, replace=replace))


# --- the cut: the app database's writes held still ------------------------------------------------


@dataclass
class FrozenApp:
    """The app database with its writes held: its schema revision, and the copy of it."""

    url: str
    schema: str | None
    sqlite: Path | None = None  # read by a connection of its own: the holding one cannot copy
    snapshot: str | None = None  # PostgreSQL: the exported snapshot pg_dump reads

    def copy_to(self, target: Path) -> None:
        if self.sqlite is not None:
            copy_sqlite(self.sqlite, target)
        else:
            pg_dump(self.url, target, snapshot=self.snapshot)


@contextmanager
def app_writes_frozen(url: str, wait_seconds: float) -> Iterator[FrozenApp]:
    """Hold every write of the app database (the API's and the worker's wait, then carry on);
    reads go on. SQLite: a write transaction that writes nothing. PostgreSQL: EXCLUSIVE locks on
    every table (readers and pg_dump's ACCESS SHARE pass) and an exported snapshot for pg_dump."""
    path = sqlite_path(url)
    if path is not None:
        if not path.is_file():
            raise SystemExit(f"no app database at {path}")
        conn = sqlite3.connect(path, timeout=wait_seconds, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            yield FrozenApp(url, _schema(conn.execute(SCHEMA_QUERY).fetchone()), sqlite=path)
            conn.execute("ROLLBACK")
        finally:
            conn.close()
        return
    with psycopg.connect(libpq_url(url)) as pg:
        pg.execute(sql.SQL("SET LOCAL lock_timeout = {}").format(sql.Literal(f"{int(wait_seconds * 1000)}ms")))
        tables = pg.execute(f"SELECT schemaname, tablename FROM {USER_TABLES}").fetchall()
        if not tables:
            raise SystemExit(f"{redacted(url)} holds no table: nothing to back up (was it migrated?)")
        names = sql.SQL(", ").join(sql.Identifier(schema, table) for schema, table in tables)
        pg.execute(sql.SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(names))
        snapshot_row = pg.execute("SELECT pg_export_snapshot()").fetchone()
        schema = _schema(pg.execute(SCHEMA_QUERY).fetchone())
        yield FrozenApp(url, schema, snapshot=snapshot_row[0] if snapshot_row else None)
        pg.rollback()


def _schema(row: tuple[object, ...] | None) -> str | None:
    return str(row[0]) if row else None
