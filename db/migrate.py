"""Run the Alembic migrations from code (tests, scripts) exactly as `alembic upgrade head` does."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from settings import ROOT


def upgrade(database_url: str, revision: str = "head") -> None:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", database_url)
    command.upgrade(config, revision)
