"""rule applications: which catalogue rule each audit row shows applied

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07 04:00:00

Issue 21 §2-§3. An index of the audit record: for each audit row that names the rules a step's
decision applied, or pins a rule version, one row per rule, written with the audit row in its
transaction. `GET /regulations/rules/{id}` reads a rule's live evidence from it, most recent first.
Decisions recorded before this revision name no rules; their pinned rule versions (`rule:*` rows)
are not indexed here (the catalogue that maps them to rules is code, not schema): their processes
still name them in GET /processes/{id}.
"""

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rule_applications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.String(length=80), nullable=False),
        sa.Column("process_id", sa.String(length=64), nullable=False),
        sa.Column("process_type", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("event_key", sa.String(length=120), nullable=False),
        sa.Column("step", sa.String(length=60), nullable=True),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("rule_id", "process_id", "event_key", name="uq_rule_applications_row"),
    )
    op.create_index("ix_rule_applications_rule_applied", "rule_applications", ["rule_id", "applied_at"])


def downgrade() -> None:
    op.drop_index("ix_rule_applications_rule_applied", table_name="rule_applications")
    op.drop_table("rule_applications")
