"""What `python -m scripts.restore` refuses before it writes anything (SQLite files; the drill in
tests/e2e/test_backup_drill.py refuses the live databases and a damaged folder on both databases)."""

from __future__ import annotations

import json
import sqlite3
import stat
from pathlib import Path

import pytest

from db.migrate import upgrade
from scripts.backup import parse as parse_backup
from scripts.backup import take_backup
from scripts.backup_manifest import MANIFEST
from scripts.restore import parse, restore


@pytest.fixture
def backup(tmp_path: Path) -> Path:
    upgrade(f"sqlite:///{tmp_path / 'app.db'}")
    with sqlite3.connect(tmp_path / "temporal.db") as conn:
        conn.execute("CREATE TABLE executions (workflow_id TEXT)")
        conn.execute("INSERT INTO executions VALUES ('onboarding-1')")
    args = ["--into", str(tmp_path / "backups"), "--database-url", f"sqlite:///{tmp_path / 'app.db'}"]
    return take_backup(parse_backup([*args, "--temporal-db", str(tmp_path / "temporal.db"), "--settle", "0"]))


def restore_into(folder: Path, target: Path) -> None:
    restore(
        parse([str(folder), "--database-url", f"sqlite:///{target / 'app.db'}", "--temporal-db", str(target / "t.db")])
    )


def test_a_backup_restores_into_fresh_files(backup: Path, tmp_path: Path) -> None:
    restore_into(backup, tmp_path / "fresh")
    with sqlite3.connect(tmp_path / "fresh" / "t.db") as conn:
        assert conn.execute("SELECT workflow_id FROM executions").fetchall() == [("onboarding-1",)]


def test_a_backup_is_readable_by_its_owner_only(backup: Path) -> None:
    """It holds customer data in clear: folders 0700, files 0600, whatever the umask."""
    assert stat.S_IMODE(backup.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(backup.stat().st_mode) == 0o700
    files = sorted(path.name for path in backup.iterdir())
    assert files == ["app.db", MANIFEST, "temporal.db"]
    assert {name: stat.S_IMODE((backup / name).stat().st_mode) for name in files} == dict.fromkeys(files, 0o600)


def test_a_schema_newer_than_the_code_is_refused_and_nothing_is_written(backup: Path, tmp_path: Path) -> None:
    manifest = json.loads((backup / MANIFEST).read_text())
    (backup / MANIFEST).write_text(json.dumps({**manifest, "app_schema": "9999"}))
    with pytest.raises(SystemExit, match="app schema 9999 is unknown to this code"):
        restore_into(backup, tmp_path / "fresh")
    assert not (tmp_path / "fresh").exists()


def test_a_manifest_that_does_not_match_its_files_is_refused(backup: Path, tmp_path: Path) -> None:
    manifest = json.loads((backup / MANIFEST).read_text())
    manifest["files"][1]["sha256"] = "0" * 64
    (backup / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(SystemExit, match="temporal.db missing or not as the manifest says"):
        restore_into(backup, tmp_path / "fresh")
    assert not (tmp_path / "fresh").exists()
