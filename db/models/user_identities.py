"""Who a user is at an OpenID Connect provider (issue 24 §4a): the provider's (issuer, subject)
linked to one local user. The provider proves the person; the local user gives the unit and the roles."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base


class UserIdentity(Base):
    """Linked at the user's first single sign-on (api/services/sso_identities.py); an (issuer,
    subject) opens exactly one user, and a user has at most one identity per provider, so a
    provider that later hands the same username to another person opens nothing."""

    __tablename__ = "user_identities"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issuer: Mapped[str] = mapped_column(String(300))
    subject: Mapped[str] = mapped_column(String(255))  # OIDC Core §2: at most 255 ASCII characters
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    linked_at: Mapped[datetime] = mapped_column()
    last_sign_in_at: Mapped[datetime] = mapped_column()

    __table_args__ = (
        UniqueConstraint("issuer", "subject", name="uq_user_identities_issuer_subject"),
        UniqueConstraint("issuer", "user_id", name="uq_user_identities_issuer_user"),
    )
