"""deploy/backup.sh and deploy/restore.sh, the compose stack's backup and restore, run against a real
PostgreSQL 16 (pgserver) with its own pg_dump, pg_restore and psql: the app's database and
Temporal's two, into a folder whose manifest `python -m scripts.restore` reads as well."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import psycopg

from db.migrate import upgrade
from scripts.backup_manifest import damaged_files, read_manifest
from scripts.backup_store import libpq_url, pg_tool
from scripts.restore import parse, restore
from settings import ROOT
from tests.conftest import _fresh_postgres_database


def database_name(url: str) -> str:
    return urlparse(url).path.lstrip("/")


def one_row_table(url: str, value: str) -> None:
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute("CREATE TABLE executions (workflow_id text)")
        conn.execute("INSERT INTO executions VALUES (%s)", (value,))


def rows(url: str, query: str) -> list[tuple[object, ...]]:
    with psycopg.connect(libpq_url(url)) as conn:
        return conn.execute(query).fetchall()


def as_role(url: str, role: str) -> str:
    """The same database, logged in as `role` (pgserver trusts local logins)."""
    parsed = urlparse(url)
    return parsed._replace(netloc=f"{role}@{parsed.hostname or ''}").geturl()


class ComposeBackup:
    """The three databases of a compose stack on one server, and what deploy/backup.sh made of them."""

    def __init__(self, postgres_url: str, tmp_path: Path) -> None:
        self.postgres_url = postgres_url
        self.app = _fresh_postgres_database(postgres_url)
        upgrade(self.app)
        self.temporal = [_fresh_postgres_database(postgres_url) for _ in range(2)]
        for number, url in enumerate(self.temporal):
            one_row_table(url, f"wf-{number}")
        # the app's own login, as deploy/postgres-init.sql makes it: no superuser, owns the app database
        self.app_role = f"app_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(libpq_url(postgres_url), autocommit=True) as conn:
            conn.execute(f'CREATE ROLE "{self.app_role}" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE')
        parsed = urlparse(postgres_url)
        self.env = {
            **os.environ,
            "PATH": f"{Path(pg_tool('pg_dump')).parent}:{os.environ['PATH']}",
            "PGHOST": parse_qs(parsed.query)["host"][0],
            "PGUSER": parsed.username or "postgres",
            "BACKUP_DIR": str(tmp_path / "backups"),
            "SETTLE_SECONDS": "0",
            "APP_ROLE": self.app_role,
        }
        done = self.run("backup.sh", self.app, self.temporal)
        assert done.returncode == 0, done.stderr
        (self.folder,) = (tmp_path / "backups").iterdir()

    def run(
        self, script: str, app: str, temporal: list[str], *args: str, **env: str
    ) -> subprocess.CompletedProcess[str]:
        databases = {"APP_DATABASE": database_name(app), "TEMPORAL_DATABASES": " ".join(map(database_name, temporal))}
        command = ["sh", str(ROOT / "deploy" / script), *args]
        return subprocess.run(command, env=self.env | databases | env, capture_output=True, text=True)

    def fresh(self) -> tuple[str, list[str]]:
        """Empty databases as the compose stack has them: the app's owned by its own login."""
        app = _fresh_postgres_database(self.postgres_url)
        with psycopg.connect(libpq_url(self.postgres_url), autocommit=True) as conn:
            conn.execute(f'ALTER DATABASE "{database_name(app)}" OWNER TO "{self.app_role}"')
        return app, [_fresh_postgres_database(self.postgres_url) for _ in range(2)]


def restored_as_backed_up(app: str, temporal: list[str], schema: str | None) -> bool:
    return rows(app, "SELECT version_num FROM alembic_version") == [(schema,)] and [
        rows(url, "SELECT workflow_id FROM executions") for url in temporal
    ] == [[("wf-0",)], [("wf-1",)]]


def test_the_compose_backup_dumps_the_three_databases_for_scripts_restore(postgres_url: str, tmp_path: Path) -> None:
    backup = ComposeBackup(postgres_url, tmp_path)
    manifest = read_manifest(backup.folder)
    assert [(f.role, f.file) for f in manifest.files] == [
        ("app", "app.dump"),
        ("temporal", "temporal-1.dump"),
        ("temporal", "temporal-2.dump"),
    ]
    assert manifest.app_schema == rows(backup.app, "SELECT version_num FROM alembic_version")[0][0]
    assert damaged_files(backup.folder, manifest) == []
    # customer data in clear: readable by the backup's user only (umask 077)
    assert [stat.S_IMODE(path.stat().st_mode) for path in (backup.folder.parent, backup.folder)] == [0o700] * 2
    modes = {path.name: stat.S_IMODE(path.stat().st_mode) for path in backup.folder.iterdir()}
    names = ["app.dump", "temporal-1.dump", "temporal-2.dump", "manifest.json", "SHA256SUMS"]
    assert modes == dict.fromkeys(names, 0o600)

    app, temporal = backup.fresh()
    args = [str(backup.folder), "--database-url", app]
    for url in temporal:
        args += ["--temporal-database-url", url]
    restore(parse(args))
    assert restored_as_backed_up(app, temporal, manifest.app_schema)


def test_the_compose_restore_refuses_live_or_damaged_and_restores_into_fresh(postgres_url: str, tmp_path: Path) -> None:
    backup = ComposeBackup(postgres_url, tmp_path)
    schema = read_manifest(backup.folder).app_schema
    live = backup.run("restore.sh", backup.app, backup.temporal, str(backup.folder))
    assert live.returncode != 0 and "already holds data" in live.stderr

    app, temporal = backup.fresh()
    damaged = tmp_path / "damaged"
    shutil.copytree(backup.folder, damaged)
    with (damaged / "app.dump").open("ab") as file:
        file.write(b"\0")
    refused = backup.run("restore.sh", app, temporal, str(damaged))
    assert refused.returncode != 0 and "damaged" in refused.stderr
    assert rows(app, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == [(0,)]

    done = backup.run("restore.sh", app, temporal, str(backup.folder))
    assert done.returncode == 0, done.stderr
    assert restored_as_backed_up(app, temporal, schema)
    again = backup.run("restore.sh", app, temporal, str(backup.folder), FORCE="1")  # replaces what it holds
    assert again.returncode == 0, again.stderr
    assert restored_as_backed_up(app, temporal, schema)


def test_the_compose_restore_leaves_the_app_tables_to_the_apps_own_login(postgres_url: str, tmp_path: Path) -> None:
    """`migrate` runs as the app's login, not the superuser the restore runs as: the restored tables
    must be that login's (pg_restore --role=APP_ROLE), or it is refused on alembic_version."""
    backup = ComposeBackup(postgres_url, tmp_path)
    app, temporal = backup.fresh()
    done = backup.run("restore.sh", app, temporal, str(backup.folder))
    assert done.returncode == 0, done.stderr
    owners = rows(app, "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'")
    assert owners == [(backup.app_role,)]
    with psycopg.connect(libpq_url(as_role(app, backup.app_role))) as conn:
        assert conn.execute("SELECT current_user").fetchone() == (backup.app_role,)
        schema = conn.execute("SELECT version_num FROM alembic_version").fetchall()
        conn.execute("UPDATE alembic_version SET version_num = version_num")  # what migrate writes
    assert schema == [(read_manifest(backup.folder).app_schema,)]


def test_a_failed_compose_restore_replaces_nothing_or_says_the_databases_are_mixed(
    postgres_url: str, tmp_path: Path
) -> None:
    backup = ComposeBackup(postgres_url, tmp_path)
    schema = read_manifest(backup.folder).app_schema
    app, temporal = backup.fresh()

    def tables(url: str) -> list[tuple[object, ...]]:
        return rows(url, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")

    # the app database goes first: when it fails, Temporal's are untouched
    failed = backup.run("restore.sh", app, temporal, str(backup.folder), APP_ROLE="no_such_role")
    assert failed.returncode != 0 and "nothing was replaced" in failed.stderr
    assert [tables(url) for url in [app, *temporal]] == [[(0,)]] * 3

    # a Temporal database fails after the app's was replaced: the restore stops and says so
    with psycopg.connect(libpq_url(temporal[0]), autocommit=True) as conn:
        conn.execute("CREATE VIEW executions AS SELECT 'x' AS workflow_id")  # not a table: passes the check
    mixed = backup.run("restore.sh", app, temporal, str(backup.folder))
    assert mixed.returncode != 0
    assert f"after replacing {database_name(app)}" in mixed.stderr and "MIXED" in mixed.stderr
    assert "FORCE=1" in mixed.stderr
    assert tables(temporal[1]) == [(0,)]  # stopped there

    with psycopg.connect(libpq_url(temporal[0]), autocommit=True) as conn:
        conn.execute("DROP VIEW executions")
    again = backup.run("restore.sh", app, temporal, str(backup.folder), FORCE="1")
    assert again.returncode == 0, again.stderr
    assert restored_as_backed_up(app, temporal, schema)
