"""Which notifications each user has read (issue 23: the bell's unread count)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base


class NotificationRead(Base):
    """A user read a notification. One row per (notification, user): a notification addressed to
    a role is read by each holder on their own."""

    __tablename__ = "notification_reads"
    notification_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("notifications.id", ondelete="CASCADE"), primary_key=True
    )
    username: Mapped[str] = mapped_column(String(80), primary_key=True)
    read_at: Mapped[datetime] = mapped_column()

    __table_args__ = (Index("ix_notification_reads_username", "username"),)
