"""each user's language of the web pages

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07 07:00:00

Issue 23: the workbench is Chinese by default; a user who switches to English keeps it on every
page and every later sign-in. NULL is the default language (Chinese). The workbench's 已办 tab
lists the tasks a user decided, newest first: an index on (decided_by, decided_at, task_id).
"""

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("locale", sa.String(length=8), nullable=True))
    op.create_index("ix_tasks_decided_by", "tasks", ["decided_by", "decided_at", "task_id"])


def downgrade() -> None:
    op.drop_index("ix_tasks_decided_by", table_name="tasks")
    op.drop_column("users", "locale")
