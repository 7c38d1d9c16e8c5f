"""Who gets e-mail notifications (issue 24 §4): a user's address and which kinds they opted out of."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base


class MailPreference(Base):
    """A user's mail address and per-kind choice (domain/mail.py MailKind); no row: no mail."""

    __tablename__ = "mail_preferences"
    user_id: Mapped[int] = mapped_column(Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    email: Mapped[str | None] = mapped_column(String(254))
    task: Mapped[bool] = mapped_column(Boolean, default=True)
    reminder: Mapped[bool] = mapped_column(Boolean, default=True)
    escalation: Mapped[bool] = mapped_column(Boolean, default=True)
    decision: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column()
    updated_by: Mapped[str] = mapped_column(String(80))
