"""`make restore FROM=<folder>`: a backup of scripts/backup.py back into the app's and Temporal's databases.

    python -m scripts.restore FOLDER [--database-url URL]
                              [--temporal-db FILE | --temporal-database-url URL ...] [--force]

Stop the API, the worker and Temporal first. The folder's files are checked against its manifest
(size and SHA-256) before anything is written; a target that already holds a database (a SQLite
file that is not empty, a PostgreSQL database with tables) is refused unless `--force`, and nothing
is written when any target is refused. Work done after the backup is not in it: it is lost.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from alembic.util import CommandError

from scripts.backup import code_schema_head, migration_scripts
from scripts.backup_manifest import BackupFile, Manifest, damaged_files, read_manifest
from scripts.backup_store import pg_restore, postgres_in_use, redacted, restore_sqlite, sqlite_in_use, sqlite_path
from settings import get_settings


def parse(argv: list[str] | None) -> argparse.Namespace:
    settings = get_settings()
    parser = argparse.ArgumentParser(prog="python -m scripts.restore", description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="a folder written by `make backup`")
    parser.add_argument("--database-url", default=settings.database_url, help="the app database to restore into")
    temporal = parser.add_mutually_exclusive_group()
    temporal.add_argument("--temporal-db", type=Path, help="the dev server's SQLite file (DATA_DIR/temporal.db)")
    temporal.add_argument(
        "--temporal-database-url", action="append", default=[], help="Temporal's PostgreSQL databases, in backup order"
    )
    parser.add_argument("--force", action="store_true", help="overwrite databases that hold data")
    args = parser.parse_args(argv)
    if args.temporal_db is None and not args.temporal_database_url:
        args.temporal_db = settings.data_dir / "temporal.db"
    return args


def targets(manifest: Manifest, args: argparse.Namespace) -> list[tuple[BackupFile, str]]:
    """Each file of the backup with where it goes: a SQLite path or a PostgreSQL URL."""
    app = [f for f in manifest.files if f.role == "app"]
    temporal = [f for f in manifest.files if f.role == "temporal"]
    if len(app) != 1:
        raise SystemExit(f"the manifest names {len(app)} app databases, expected 1")
    app_file = app[0]
    if (app_file.kind == "sqlite") != (sqlite_path(args.database_url) is not None):
        raise SystemExit(f"the backup holds a {app_file.kind} app database; {redacted(args.database_url)} is not one")
    placed = [(app_file, args.database_url)]
    if all(f.kind == "sqlite" for f in temporal) and len(temporal) == 1 and args.temporal_db is not None:
        return [*placed, (temporal[0], f"sqlite:///{Path(args.temporal_db).resolve()}")]
    if all(f.kind == "postgresql" for f in temporal) and len(temporal) == len(args.temporal_database_url):
        return [*placed, *zip(temporal, args.temporal_database_url, strict=True)]
    kinds = ", ".join(f"{f.kind} ({f.source})" for f in temporal)
    raise SystemExit(f"the backup holds Temporal as {kinds}: give --temporal-db or one --temporal-database-url each")


def known_schema(revision: str | None) -> bool:
    """A schema this code can run or migrate up from: one of its own revisions (or none at all)."""
    if revision is None:
        return True
    try:
        return migration_scripts().get_revision(revision) is not None
    except CommandError:
        return False


def in_use(url: str) -> bool:
    path = sqlite_path(url)
    return sqlite_in_use(path) if path is not None else postgres_in_use(url)


def restore(args: argparse.Namespace) -> Manifest:
    folder = Path(args.folder)
    manifest = read_manifest(folder)
    damaged = damaged_files(folder, manifest)
    if damaged:
        raise SystemExit(f"refused: {', '.join(damaged)} missing or not as the manifest says: the backup is damaged")
    if not known_schema(manifest.app_schema):
        raise SystemExit(
            f"refused: the backup's app schema {manifest.app_schema} is unknown to this code (head"
            f" {code_schema_head()}): restore it with the version that took it ({manifest.app_version})"
        )
    placed = targets(manifest, args)
    busy = [redacted(url) for _, url in placed if in_use(url)]
    if busy and not args.force:
        raise SystemExit(f"refused: {', '.join(busy)} already hold data; stop the stack and add --force to replace it")
    for entry, url in placed:
        path = sqlite_path(url)
        if path is not None:
            restore_sqlite(folder / entry.file, path)
        else:
            pg_restore(folder / entry.file, url, replace=args.force)
    return manifest


def main(argv: list[str] | None = None) -> None:
    manifest = restore(parse(argv))
    print(f"restored the backup of {manifest.created_at.isoformat()} (app schema {manifest.app_schema})")
    head = code_schema_head()  # read once: every call parses the migration scripts
    if manifest.app_schema != head:
        print(f"this code's schema head is {head}: run `make migrate` before starting the stack")


if __name__ == "__main__":
    main()
