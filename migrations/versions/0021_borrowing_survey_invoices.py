"""outsider loans, approved surveys, per-invoice VAT register

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 01:20:00

Issue 20 items 8 and 9: a loan names an outsider reader and their introduction letter (002 rule 1);
the transaction-start survey records the unit head's approval (004 §4 (一)); an invoice entry of the
VAT register is a process with its status, issue and collection (000 §9 (三)).
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("borrowings") as batch_op:
        batch_op.add_column(sa.Column("outsider_name", sa.String(80), nullable=True))
        batch_op.add_column(sa.Column("outsider_organisation", sa.String(200), nullable=True))
        batch_op.add_column(sa.Column("introduction_letter", sa.String(100), nullable=True))
    with op.batch_alter_table("customer_surveys") as batch_op:
        batch_op.add_column(sa.Column("process_id", sa.String(64), nullable=True))
        batch_op.add_column(sa.Column("approved_by", sa.String(80), nullable=True))
        batch_op.add_column(sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("invoice_register") as batch_op:
        batch_op.add_column(sa.Column("workflow_id", sa.String(120), nullable=True))
        batch_op.add_column(sa.Column("status", sa.String(20), nullable=True))
        batch_op.add_column(sa.Column("issued_by", sa.String(80), nullable=True))
        batch_op.add_column(sa.Column("issued_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("invoice_register") as batch_op:
        for column in ("issued_at", "issued_by", "status", "workflow_id"):
            batch_op.drop_column(column)
    with op.batch_alter_table("customer_surveys") as batch_op:
        for column in ("approved_at", "approved_by", "process_id"):
            batch_op.drop_column(column)
    with op.batch_alter_table("borrowings") as batch_op:
        for column in ("introduction_letter", "outsider_organisation", "outsider_name"):
            batch_op.drop_column(column)
