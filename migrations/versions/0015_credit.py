"""credit: policy versions, credit accounts, credit decisions, ledger due dates and imports

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30 10:40:00

Issue 12 §1 (000 §13; 001 信用管理措施; 003 §6). Version 1 of the credit policy is seeded here:
the seeds give no figures (REGULATIONS.md P5), so these numbers are an ASSUMPTION an administrator
replaces with `PUT /credit/policy` (domain/credit.py DEFAULT_POLICY).
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    policies = op.create_table(
        "credit_policies",
        sa.Column("version", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("effective_from", sa.Date(), nullable=False, index=True),
        sa.Column("limit_by_grade", sa.JSON(), nullable=False),
        sa.Column("max_term_days", sa.Integer(), nullable=False),
        sa.Column("risk", sa.JSON(), nullable=False),
        sa.Column("collection_working_days", sa.Integer(), nullable=False),
        sa.Column("changed_by", sa.String(80), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
    )
    op.bulk_insert(
        policies,
        [
            {
                "version": 1,
                "effective_from": datetime(2000, 1, 1).date(),
                "limit_by_grade": {"A": "5000000.00", "B": "2000000.00", "C": "500000.00"},
                "max_term_days": 30,
                "risk": {"high_overdue_days": 60, "high_overdue_share": "0.5", "medium_overdue_days": 1},
                "collection_working_days": 1,
                "changed_by": "system",
                "changed_at": datetime(2026, 11, 30, tzinfo=UTC),
                "reason": "ASSUMPTION: default shipped with the product; the seeds give no credit figures (P5)",
            }
        ],
    )
    op.create_table(
        "credit_accounts",
        sa.Column("customer_id", sa.Integer(), sa.ForeignKey("customers.id"), primary_key=True, autoincrement=False),
        sa.Column("settlement", sa.String(10), nullable=False, index=True),
        sa.Column("credit_limit", sa.Numeric(18, 2), nullable=False),
        sa.Column("term_days", sa.Integer(), nullable=False),
        sa.Column("collateral", sa.String(500), nullable=True),
        sa.Column("collector", sa.String(80), nullable=True),
        sa.Column("risk_level", sa.String(10), nullable=False, index=True),
        sa.Column("overdue_amount", sa.Numeric(18, 2), nullable=False),
        sa.Column("overdue_days", sa.Integer(), nullable=False),
        sa.Column("review_required", sa.Boolean(), nullable=False),
        sa.Column("risk_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("granted_process_id", sa.String(64), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "credit_decisions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("customer_id", sa.Integer(), sa.ForeignKey("customers.id"), nullable=False, index=True),
        sa.Column("process_id", sa.String(64), nullable=True, unique=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("old_settlement", sa.String(10), nullable=True),
        sa.Column("new_settlement", sa.String(10), nullable=False),
        sa.Column("old_limit", sa.Numeric(18, 2), nullable=True),
        sa.Column("new_limit", sa.Numeric(18, 2), nullable=False),
        sa.Column("term_days", sa.Integer(), nullable=False),
        sa.Column("form", sa.JSON(), nullable=False),
        sa.Column("reason", sa.String(2000), nullable=False),
        sa.Column("decided_by", sa.String(80), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "ledger_imports",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("format", sa.String(10), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("imported_by", sa.String(80), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table("customer_ledger", schema=None) as batch_op:
        batch_op.add_column(sa.Column("due_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("import_id", sa.Integer(), nullable=True))
        batch_op.create_index("ix_customer_ledger_due", ["customer_id", "kind", "due_on"], unique=False)
        batch_op.create_index("ix_customer_ledger_reference", ["customer_id", "kind", "reference"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("customer_ledger", schema=None) as batch_op:
        batch_op.drop_index("ix_customer_ledger_reference")
        batch_op.drop_index("ix_customer_ledger_due")
        batch_op.drop_column("import_id")
        batch_op.drop_column("due_on")
    op.drop_table("ledger_imports")
    op.drop_table("credit_decisions")
    op.drop_table("credit_accounts")
    op.drop_table("credit_policies")
