"""users' mail addresses and per-kind opt-outs (e-mail notifications)

Revision ID: 0032
Revises: 0030
Create Date: 2026-12-07 09:40:00

Issue 24 §4 and issue 23 "notification settings": a user's e-mail address and the kinds of mail
(domain/mail.py MailKind) they receive; a user without a row gets no mail.
"""

import sqlalchemy as sa
from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mail_preferences",
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("task", sa.Boolean(), nullable=False),
        sa.Column("reminder", sa.Boolean(), nullable=False),
        sa.Column("escalation", sa.Boolean(), nullable=False),
        sa.Column("decision", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=80), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("mail_preferences")
