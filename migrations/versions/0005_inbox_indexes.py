"""inbox indexes: the page order and the counts read from indexes

Each branch of "mine" (`api.visibility.mine_branches`) has an index that starts with the columns
the branch holds to one value, then the page order (due date or age, task_id as the tie-break):
a page reads 51 index entries and stops, whatever the size of the inbox. The due-order indexes
carry, after the order, every column the counts per process type and the filters read
(process_type, overdue, step, subject), so neither the counts nor a filtered page visit the table
for the tasks they skip. `assignee` is in the claimed index for the branch's own condition.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 08:00:00
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

ROLE_DUE = ["status", "role", "unit_code", "assignee", "claimed_by", "due_at", "task_id"]
COVERED = ["process_type", "overdue", "step", "subject"]
INBOX_INDEXES = {
    "ix_tasks_inbox_role": [*ROLE_DUE, *COVERED],
    "ix_tasks_inbox_assignee": ["status", "assignee", "due_at", "task_id", *COVERED],
    "ix_tasks_inbox_claimed": ["status", "claimed_by", "due_at", "task_id", "assignee", *COVERED],
    "ix_tasks_inbox_role_age": ["status", "role", "unit_code", "assignee", "claimed_by", "created_at", "task_id"],
    "ix_tasks_inbox_assignee_age": ["status", "assignee", "created_at", "task_id"],
}
BEFORE = {  # migration 0004's
    "ix_tasks_inbox_role": ["status", "role", "unit_code", "due_at"],
    "ix_tasks_inbox_assignee": ["status", "assignee", "due_at"],
    "ix_tasks_inbox_claimed": ["status", "claimed_by"],
}


def upgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        for name in BEFORE:
            batch_op.drop_index(name)
        for name, columns in INBOX_INDEXES.items():
            batch_op.create_index(name, columns, unique=False)


def downgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        for name in INBOX_INDEXES:
            batch_op.drop_index(name)
        for name, columns in BEFORE.items():
            batch_op.create_index(name, columns, unique=False)
