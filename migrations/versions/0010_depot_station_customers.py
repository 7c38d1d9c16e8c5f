"""depot and station customers: prepaid ledger, invoice register

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 08:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customer_ledger",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=80), nullable=False),
        sa.Column("process_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("process_id", "kind", name="uq_customer_ledger_process_kind"),
    )
    with op.batch_alter_table("customer_ledger", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customer_ledger_customer_id"), ["customer_id"], unique=False)

    op.create_table(
        "customer_balances",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("balance", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"]),
        sa.PrimaryKeyConstraint("customer_id"),
    )

    op.create_table(
        "invoice_register",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("process_id", sa.String(length=64), nullable=False),
        sa.Column("unit_code", sa.String(length=40), nullable=False),
        sa.Column("entry", sa.String(length=20), nullable=False),
        sa.Column("certificate", sa.JSON(), nullable=False),
        sa.Column("invoice_no", sa.String(length=40), nullable=True),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("collected_by", sa.String(length=80), nullable=True),
        sa.Column("collected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("registered_by", sa.String(length=80), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("process_id", "entry", name="uq_invoice_register_process_entry"),
    )
    with op.batch_alter_table("invoice_register", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invoice_register_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_invoice_register_unit_code"), ["unit_code"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("invoice_register", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoice_register_unit_code"))
        batch_op.drop_index(batch_op.f("ix_invoice_register_customer_id"))
    op.drop_table("invoice_register")
    op.drop_table("customer_balances")
    with op.batch_alter_table("customer_ledger", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_ledger_customer_id"))
    op.drop_table("customer_ledger")
