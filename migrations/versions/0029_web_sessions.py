"""the web pages' sessions, ended server-side at sign-out

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07 07:30:00

Issue 23 review: a copied session cookie must not open the workbench after sign-out. Each sign-in
is a row (its id the SHA-256 of the cookie's secret); sign-out sets `ended_at`, and a page refuses
a cookie whose row is missing, ended or older than the session's lifetime.
"""

import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.String(length=64), primary_key=True),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_web_sessions_username", "web_sessions", ["username", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_web_sessions_username", table_name="web_sessions")
    op.drop_table("web_sessions")
