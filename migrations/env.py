"""Alembic runs migrations synchronously on the settings' DATABASE_URL (or -x url=...)."""

from __future__ import annotations

from pathlib import Path

from alembic import context
from sqlalchemy import create_engine

from db.models import Base
from db.session import install_sqlite_pragmas, sync_url
from settings import get_settings

config = context.config
url = sync_url(
    context.get_x_argument(as_dictionary=True).get("url")
    or config.get_main_option("sqlalchemy.url")
    or get_settings().database_url
)
if url.startswith("sqlite:///"):
    Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)

engine = create_engine(url)
install_sqlite_pragmas(engine)
with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
