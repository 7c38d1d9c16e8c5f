"""single sign-on: a provider's (issuer, subject) linked to a local user

Revision ID: 0033
Revises: 0030
Create Date: 2026-12-07 09:30:00

Issue 24 §4a: OpenID Connect sign-in beside local passwords. The provider's identity is linked to
one local user at the first sign-in (matched by the username claim), and from then on only that
subject opens that user; roles and unit stay local.
"""

import sqlalchemy as sa
from alembic import op

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "user_identities",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("issuer", sa.String(length=300), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_sign_in_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("issuer", "subject", name="uq_user_identities_issuer_subject"),
        sa.UniqueConstraint("issuer", "user_id", name="uq_user_identities_issuer_user"),
    )


def downgrade() -> None:
    op.drop_table("user_identities")
