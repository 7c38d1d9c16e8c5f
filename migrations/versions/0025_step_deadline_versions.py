"""step deadlines as a versioned rule

Revision ID: 0025
Revises: 0023
Create Date: 2026-12-07 04:20:00

Issue 21 §3: a chain's step deadlines change over time like the credit policy and the grading rule
(domain/step_deadlines.py): approved versions only, one process type each, in force from their date.
No seeded rows: without a version a process type runs its chain as declared.
"""

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "step_deadline_versions",
        sa.Column("version", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("process_type", sa.String(40), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.Column("changed_by", sa.String(80), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("process_id", sa.String(64), nullable=True),
        sa.UniqueConstraint("process_id", name="uq_step_deadline_versions_process_id"),
    )
    op.create_index(
        "ix_step_deadline_versions_in_force", "step_deadline_versions", ["process_type", "effective_from"]
    )


def downgrade() -> None:
    op.drop_index("ix_step_deadline_versions_in_force", table_name="step_deadline_versions")
    op.drop_table("step_deadline_versions")
