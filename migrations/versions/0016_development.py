"""big-customer meetings, monthly development plans and research notes

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30 10:30:00

Issue 12 §3 (000 §12, §15).
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "big_customer_meetings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("quarter", sa.String(6), nullable=False, index=True),
        sa.Column("workflow_id", sa.String(80), nullable=False, unique=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("held_on", sa.Date(), nullable=True),
        sa.Column("minutes", sa.Text(), nullable=True),
        sa.Column("follow_ups", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.String(80), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "meeting_attendees",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "meeting_id",
            sa.Integer(),
            sa.ForeignKey("big_customer_meetings.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("organisation", sa.String(200), nullable=False),
        sa.Column("customer_id", sa.Integer(), sa.ForeignKey("customers.id"), nullable=True),
    )
    op.create_table(
        "development_plans",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("month", sa.String(7), nullable=False, index=True),
        sa.Column("author", sa.String(80), nullable=False, index=True),
        sa.Column("unit_code", sa.String(40), nullable=True),
        sa.Column("focus", sa.Text(), nullable=False),
        sa.Column("workflow_id", sa.String(80), nullable=False, unique=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(80), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("assessed_by", sa.String(80), nullable=True),
        sa.Column("assessed_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "development_targets",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "plan_id",
            sa.Integer(),
            sa.ForeignKey("development_plans.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("salesperson", sa.String(80), nullable=False, index=True),
        sa.Column("customer_id", sa.Integer(), sa.ForeignKey("customers.id"), nullable=True),
        sa.Column("prospect", sa.String(200), nullable=True),
        sa.Column("indicator", sa.String(200), nullable=False),
        sa.Column("target", sa.Numeric(18, 2), nullable=False),
        sa.Column("actual", sa.Numeric(18, 2), nullable=True),
    )
    op.create_table(
        "research_notes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("month", sa.String(7), nullable=False, index=True),
        sa.Column("author", sa.String(80), nullable=False, index=True),
        sa.Column("unit_code", sa.String(40), nullable=True),
        sa.Column("area", sa.String(200), nullable=False),
        sa.Column("findings", sa.Text(), nullable=False),
        sa.Column("customers_contacted", sa.Integer(), nullable=False),
        sa.Column("potential_customers", sa.JSON(), nullable=False),
        sa.Column("workflow_id", sa.String(80), nullable=False, unique=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(80), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("research_notes")
    op.drop_table("development_targets")
    op.drop_table("development_plans")
    op.drop_table("meeting_attendees")
    op.drop_table("big_customer_meetings")
