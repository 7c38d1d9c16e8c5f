"""`make backup`: the app database and Temporal's into one timestamped folder with a manifest.

    python -m scripts.backup [--into DIR] [--database-url URL]
                             [--temporal-db FILE | --temporal-database-url URL ...] [--settle SECONDS]

Safe while the API and the worker run. The defaults are `make run`'s: the app database of
`DATABASE_URL`, the dev server's SQLite file `DATA_DIR/temporal.db`, into `DATA_DIR/backups/`.
A compose stack's Temporal keeps two PostgreSQL databases: give `--temporal-database-url` for each
(docs/operations/backup-restore.md).

The app database's writes are held for the settle pause and Temporal's copy (scripts/backup_store.py
says why that makes one cut); work done after the cut is not in the backup.
"""

from __future__ import annotations

import argparse
import shutil
import time
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory

from scripts.backup_manifest import BackupFile, Kind, Manifest, describe, write_manifest
from scripts.backup_store import (
    app_writes_frozen,
    copy_sqlite,
    pg_dump,
    pg_tool,
    redacted,
    sqlite_path,
    tool_version,
)
from scripts.temporal_dev import temporal_cli
from settings import ROOT, get_settings

FREEZE_WAIT_SECONDS = 30  # how long the backup waits for a write in progress before it gives up


def migration_scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(Config(str(ROOT / "alembic.ini")))


def code_schema_head() -> str:
    return migration_scripts().get_current_head() or "base"


def app_version() -> str:
    try:
        return version("customer-approvals")
    except PackageNotFoundError:
        return "unknown"


def parse(argv: list[str] | None) -> argparse.Namespace:
    settings = get_settings()
    parser = argparse.ArgumentParser(prog="python -m scripts.backup", description=__doc__.splitlines()[0])
    parser.add_argument("--into", type=Path, default=settings.data_dir / "backups", help="the folder of backups")
    parser.add_argument("--database-url", default=settings.database_url, help="the app database")
    temporal = parser.add_mutually_exclusive_group()
    temporal.add_argument("--temporal-db", type=Path, help="the dev server's SQLite file (DATA_DIR/temporal.db)")
    temporal.add_argument(
        "--temporal-database-url", action="append", default=[], help="a PostgreSQL database of Temporal's (repeat)"
    )
    parser.add_argument("--settle", type=float, default=2.0, help="seconds writes are held before Temporal is copied")
    args = parser.parse_args(argv)
    if args.temporal_db is None and not args.temporal_database_url:
        args.temporal_db = settings.data_dir / "temporal.db"
    if args.temporal_db is not None and not Path(args.temporal_db).is_file():
        parser.error(f"no Temporal SQLite file at {args.temporal_db}: give --temporal-db, or --temporal-database-url")
    return args


def copy_temporal(args: argparse.Namespace, folder: Path) -> list[BackupFile]:
    if args.temporal_db is not None:
        copy_sqlite(Path(args.temporal_db), folder / "temporal.db")
        return [describe(folder, "temporal.db", "temporal", "sqlite", str(args.temporal_db))]
    files = []
    for number, url in enumerate(args.temporal_database_url, start=1):
        name = f"temporal-{number}.dump"
        pg_dump(url, folder / name)
        files.append(describe(folder, name, "temporal", "postgresql", redacted(url)))
    return files


def take_backup(args: argparse.Namespace) -> Path:
    stamp = datetime.now(UTC)
    folder = Path(args.into) / stamp.strftime("%Y%m%dT%H%M%S%fZ")
    # customer data in clear: readable by this user only (docs/operations/backup-restore.md)
    Path(args.into).mkdir(mode=0o700, parents=True, exist_ok=True)
    folder.mkdir(mode=0o700)
    try:
        _fill(args, folder)
        for path in folder.iterdir():
            path.chmod(0o600)
        return folder
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)  # no half backup that looks like one
        raise


def _fill(args: argparse.Namespace, folder: Path) -> Path:
    app_kind: Kind = "sqlite" if sqlite_path(args.database_url) is not None else "postgresql"
    app_name = "app.db" if app_kind == "sqlite" else "app.dump"
    with app_writes_frozen(args.database_url, FREEZE_WAIT_SECONDS) as frozen:
        cut = datetime.now(UTC)
        print(f"app database writes held from {cut:%H:%M:%S} UTC while Temporal is copied", flush=True)
        time.sleep(args.settle)  # workflow tasks whose writes just committed reach Temporal
        temporal_files = copy_temporal(args, folder)
        frozen.copy_to(folder / app_name)
    uses_pg = app_kind == "postgresql" or bool(args.temporal_database_url)
    manifest = Manifest(
        created_at=cut,
        app_schema=frozen.schema,
        code_schema_head=code_schema_head(),
        app_version=app_version(),
        temporal_cli=tool_version([temporal_cli(), "--version"]) if args.temporal_db is not None else None,
        pg_dump=tool_version([pg_tool("pg_dump"), "--version"]) if uses_pg else None,
        settle_seconds=args.settle,
        files=[describe(folder, app_name, "app", app_kind, redacted(args.database_url)), *temporal_files],
    )
    write_manifest(folder, manifest)
    return folder


def main(argv: list[str] | None = None) -> None:
    folder = take_backup(parse(argv))
    print(f"backup written to {folder}")


if __name__ == "__main__":
    main()
