"""People and their reach: the organisation's units, users and their roles, absences with a deputy,
and what the API keeps per user (failed logins, create requests' idempotency keys, admin changes)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.models.base import Base


class OrgUnit(Base):
    """A department, depot or station: 000 §5 "分级实施" — a depot manager acts only for their depot."""

    __tablename__ = "org_units"
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))  # company | department | depot | station
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("org_units.code"))
    head: Mapped[str | None] = mapped_column(String(80))  # the unit's leader: the approver of a leader-chain step


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    unit_code: Mapped[str | None] = mapped_column(ForeignKey("org_units.code"))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # A demo user (scripts/seed_demo.py, password `demo`): refused at login outside demo mode.
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column()
    # Set when the password is reset: a token issued before it is refused (api/deps.py).
    tokens_valid_from: Mapped[datetime | None] = mapped_column()
    # The web pages' language (web/i18n.py LOCALES): None is the default, Chinese (issue 23).
    locale: Mapped[str | None] = mapped_column(String(8))
    roles: Mapped[list[UserRole]] = relationship(cascade="all, delete-orphan", lazy="selectin")


class UserRole(Base):
    __tablename__ = "user_roles"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(40), primary_key=True)


class OutOfOffice(Base):
    """A user away for a date range names a deputy: new tasks for that user go to the deputy."""

    __tablename__ = "out_of_office"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), index=True)
    deputy: Mapped[str] = mapped_column(String(80))
    starts_at: Mapped[datetime] = mapped_column()
    ends_at: Mapped[datetime] = mapped_column()
    reason: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column()
    cancelled_at: Mapped[datetime | None] = mapped_column()


class IdempotencyKey(Base):
    """A create request's `Idempotency-Key` and the answer it got: a retry replays the answer
    instead of creating a second record (api/idempotency.py). `status` is None while in progress."""

    __tablename__ = "idempotency_keys"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80))
    key: Mapped[str] = mapped_column(String(200))
    request: Mapped[str] = mapped_column(String(300))  # "POST /api/v1/complaints"
    body_hash: Mapped[str] = mapped_column(String(64))  # sha256 of method, path and body
    status: Mapped[int | None] = mapped_column(Integer)
    response: Mapped[Any | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(index=True)

    __table_args__ = (UniqueConstraint("username", "key", name="uq_idempotency_keys_username_key"),)


class LoginAttempt(Base):
    """A failed login, counted per username and per client address for the rate limit."""

    __tablename__ = "login_attempts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80))
    address: Mapped[str] = mapped_column(String(64))
    attempted_at: Mapped[datetime] = mapped_column(index=True)

    __table_args__ = (
        Index("ix_login_attempts_username", "username", "attempted_at"),
        Index("ix_login_attempts_address", "address", "attempted_at"),
    )


class AdminAudit(Base):
    """Every user and role change made through the API: who, when, what, and the user before/after."""

    __tablename__ = "admin_audit"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime] = mapped_column(index=True)
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(80), index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
