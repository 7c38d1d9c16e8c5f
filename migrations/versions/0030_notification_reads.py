"""which notifications each user has read (the web workbench's bell)

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-07 08:00:00

Issue 23 "Everyone": a bell with the unread count. A notification addressed to a role is read by
each holder on their own, so the read mark is a row per (notification, user), not a column of the
notification.
"""

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notification_reads",
        sa.Column(
            "notification_id",
            sa.Integer(),
            sa.ForeignKey("notifications.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("username", sa.String(length=80), primary_key=True),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_notification_reads_username", "notification_reads", ["username"])


def downgrade() -> None:
    op.drop_index("ix_notification_reads_username", table_name="notification_reads")
    op.drop_table("notification_reads")
