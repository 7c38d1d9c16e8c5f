"""The web pages' signed-in sessions (issue 23): one row per sign-in, ended at sign-out."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base


class WebSession(Base):
    """A browser signed in by cookie (web/session.py). The cookie holds a random secret; `id` is its
    SHA-256, so the table alone opens no session. A row with `ended_at` set is refused."""

    __tablename__ = "web_sessions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column()
    last_seen_at: Mapped[datetime] = mapped_column()
    ended_at: Mapped[datetime | None] = mapped_column()

    __table_args__ = (Index("ix_web_sessions_username", "username", "created_at"),)
