"""grading configuration and scores, visit plans and reports

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 08:45:00

Issue 12 §2-§3 (001 §1, 000 §11, §12, §15; 002 rule 7). Version 1 of the grading rule is seeded
here: the seed lost the weights and thresholds (REGULATIONS.md P6), so these numbers are an
ASSUMPTION an administrator replaces with `PUT /grading/config` (domain/grading.py DEFAULT_*).
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    configs = op.create_table(
        "grading_configs",
        sa.Column("version", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("effective_from", sa.Date(), nullable=False, index=True),
        sa.Column("weights", sa.JSON(), nullable=False),
        sa.Column("thresholds", sa.JSON(), nullable=False),
        sa.Column("changed_by", sa.String(80), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
    )
    op.bulk_insert(
        configs,
        [
            {
                "version": 1,
                "effective_from": datetime(2000, 1, 1).date(),
                "weights": {
                    "contract_payment": "40",
                    "year_end_receivables": "20",
                    "contract_premium": "20",
                    "strategic_influence": "20",
                },
                "thresholds": {"A": "85", "B": "70"},
                "changed_by": "system",
                "changed_at": datetime(2026, 11, 30, tzinfo=UTC),
                "reason": "ASSUMPTION: default shipped with the product; 001 §1 lost its numbers in scraping",
            }
        ],
    )
    op.create_table(
        "grading_clocks",
        sa.Column("customer_id", sa.Integer(), sa.ForeignKey("customers.id"), primary_key=True, autoincrement=False),
        sa.Column("workflow_id", sa.String(80), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "customer_gradings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("process_id", sa.String(64), nullable=False, unique=True),
        sa.Column("customer_id", sa.Integer(), sa.ForeignKey("customers.id"), nullable=False, index=True),
        sa.Column("period", sa.String(20), nullable=False),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.Column("weighted_total", sa.Numeric(7, 2), nullable=False),
        sa.Column("grade", sa.String(1), nullable=False),
        sa.Column("config_version", sa.Integer(), sa.ForeignKey("grading_configs.version"), nullable=False),
        sa.Column("scored_by", sa.String(80), nullable=False),
        sa.Column("scored_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved_by", sa.String(80), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "visit_plans",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("month", sa.String(7), nullable=False, index=True),
        sa.Column("salesperson", sa.String(80), nullable=False, index=True),
        sa.Column("unit_code", sa.String(40), nullable=True),
        sa.Column("workflow_id", sa.String(80), nullable=False, unique=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(80), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "visits",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "plan_id", sa.Integer(), sa.ForeignKey("visit_plans.id", ondelete="CASCADE"), nullable=False, index=True
        ),
        sa.Column("customer_id", sa.Integer(), sa.ForeignKey("customers.id"), nullable=False, index=True),
        sa.Column("planned_on", sa.Date(), nullable=False),
        sa.Column("purpose", sa.String(500), nullable=False),
        sa.Column("report_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("visited_on", sa.Date(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("findings", sa.Text(), nullable=True),
        sa.Column("reported_by", sa.String(80), nullable=True),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("visits")
    op.drop_table("visit_plans")
    op.drop_table("customer_gradings")
    op.drop_table("grading_clocks")
    op.drop_table("grading_configs")
