"""What a backup folder holds and the proof that nothing in it changed: `manifest.json`.

One folder per backup (`<into>/<UTC stamp>/`): the app database, Temporal's database(s), and this
manifest naming each file with its size and SHA-256, the schema revision the app database was at
(Alembic) beside the head of the code that took it, and the versions of the tools. A restore reads
the manifest first and refuses a folder whose files do not match it (scripts/restore.py).
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

MANIFEST = "manifest.json"
FORMAT = 1
CHUNK = 1 << 20

Kind = Literal["sqlite", "postgresql"]
Role = Literal["app", "temporal"]


class BackupFile(BaseModel):
    role: Role  # whose database: the app's or Temporal's
    kind: Kind  # a SQLite file (online backup API) or a pg_dump custom-format archive
    file: str  # its name inside the folder
    source: str  # where it was read from, without a password
    bytes: int
    sha256: str


class Manifest(BaseModel):
    format: int = FORMAT
    created_at: datetime  # UTC, when the app database's writes were frozen (the cut)
    app_schema: str | None  # the Alembic revision the backed-up app database was at
    code_schema_head: str  # the Alembic head of the code that took the backup
    app_version: str
    temporal_cli: str | None  # the dev server's version (`temporal --version`), when it was used
    pg_dump: str | None  # the pg_dump that wrote the PostgreSQL archives, when one was used
    settle_seconds: float  # how long writes were held before Temporal was copied
    files: list[BackupFile]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def describe(folder: Path, name: str, role: Role, kind: Kind, source: str) -> BackupFile:
    path = folder / name
    return BackupFile(role=role, kind=kind, file=name, source=source, bytes=path.stat().st_size, sha256=sha256_of(path))


def write_manifest(folder: Path, manifest: Manifest) -> Path:
    path = folder / MANIFEST
    path.write_text(manifest.model_dump_json(indent=2) + "\n", encoding="utf-8")
    return path


def damaged_files(folder: Path, manifest: Manifest) -> list[str]:
    """The files that are missing or differ from the manifest (size or checksum), by name."""
    damaged = []
    for entry in manifest.files:
        path = folder / entry.file
        if not path.is_file() or path.stat().st_size != entry.bytes or sha256_of(path) != entry.sha256:
            damaged.append(entry.file)
    return damaged


def read_manifest(folder: Path) -> Manifest:
    path = folder / MANIFEST
    if not path.is_file():
        raise SystemExit(f"{folder} holds no {MANIFEST}: not a backup folder")
    manifest = Manifest.model_validate_json(path.read_text(encoding="utf-8"))
    if manifest.format != FORMAT:
        raise SystemExit(f"{path}: manifest format {manifest.format}, this code reads {FORMAT}")
    return manifest
