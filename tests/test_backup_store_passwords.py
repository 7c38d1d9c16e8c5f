"""pg_dump and pg_restore get the database password through their environment (PGPASSWORD), never
on their command line: a command line is visible to every local user (`ps`), an environment is not."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from db.migrate import upgrade
from scripts.backup import parse as parse_backup
from scripts.backup import take_backup
from scripts.backup_manifest import MANIFEST
from scripts.backup_store import pg_dump_command, pg_restore_command, without_password
from scripts.restore import parse as parse_restore
from scripts.restore import restore
from tests.conftest import _fresh_postgres_database
from tests.test_compose_backup_script import one_row_table, rows

SECRET = "s3cr:t@pass/word"  # needs quoting in a URL
QUOTED = "s3cr%3At%40pass%2Fword"


def test_the_password_leaves_the_url_for_the_environment() -> None:
    assert without_password(f"postgresql+psycopg://app:{QUOTED}@db:5432/approvals?sslmode=require") == (
        "postgresql://app@db:5432/approvals?sslmode=require",
        SECRET,
    )
    assert without_password("postgresql://app@db/approvals?password=pw&host=/run/pg") == (
        "postgresql://app@db/approvals?host=/run/pg",
        "pw",
    )
    assert without_password("postgresql://app@db/approvals") == ("postgresql://app@db/approvals", None)


def test_pg_dump_and_pg_restore_command_lines_hold_no_password(tmp_path: Path) -> None:
    url = f"postgresql+psycopg://app:{QUOTED}@db:5432/approvals"
    dump, dump_env = pg_dump_command(url, tmp_path / "app.dump", snapshot="00000003-1")
    load, load_env = pg_restore_command(tmp_path / "app.dump", url, replace=True)
    for command, env in [(dump, dump_env), (load, load_env)]:
        line = " ".join(command)
        assert SECRET not in line and QUOTED not in line and "s3cr" not in line
        assert "postgresql://app@db:5432/approvals" in line
        assert env["PGPASSWORD"] == SECRET


def with_password(url: str) -> str:
    parts = urlsplit(url)
    return parts._replace(netloc=f"{parts.username}:{QUOTED}@{parts.netloc.rsplit('@', 1)[1]}").geturl()


def test_a_postgresql_backup_and_restore_with_passwords_in_the_urls(postgres_url: str, tmp_path: Path) -> None:
    app = _fresh_postgres_database(postgres_url)
    upgrade(app)
    temporal = [_fresh_postgres_database(postgres_url) for _ in range(2)]
    for number, url in enumerate(temporal):
        one_row_table(url, f"wf-{number}")
    args = ["--into", str(tmp_path / "backups"), "--database-url", with_password(app), "--settle", "0"]
    for url in temporal:
        args += ["--temporal-database-url", with_password(url)]
    folder = take_backup(parse_backup(args))
    assert "s3cr" not in (folder / MANIFEST).read_text()

    fresh_app = _fresh_postgres_database(postgres_url)
    fresh_temporal = [_fresh_postgres_database(postgres_url) for _ in range(2)]
    args = [str(folder), "--database-url", with_password(fresh_app)]
    for url in fresh_temporal:
        args += ["--temporal-database-url", with_password(url)]
    restore(parse_restore(args))
    query = "SELECT version_num FROM alembic_version"
    assert rows(fresh_app, query) == rows(app, query)
    assert [rows(url, "SELECT workflow_id FROM executions") for url in fresh_temporal] == [[("wf-0",)], [("wf-1",)]]
