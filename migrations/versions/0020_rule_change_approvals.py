"""rule versions name the rule-change process that approved them

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 01:20:00

Issue 20 item 7: the credit policy and the grading rule change only through an approval process
(drafted, business VP, general manager; domain/rule_change.py). The version tables keep holding
approved versions only; each new one names its process, once (unique: a retried write adds nothing).
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

TABLES = ("credit_policies", "grading_configs")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column("process_id", sa.String(64), nullable=True))
            batch_op.create_unique_constraint(f"uq_{table}_process_id", ["process_id"])


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_constraint(f"uq_{table}_process_id", type_="unique")
            batch_op.drop_column("process_id")
