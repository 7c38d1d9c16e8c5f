"""one customer creation: partner reviews, links to existing records

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 08:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Which customer record each process's creation step ended in: created, or linked (issue 11 §4).
    op.create_table(
        "customer_links",
        sa.Column("process_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("credit_code", sa.String(length=18), nullable=False),
        sa.Column("process_type", sa.String(length=40), nullable=False),
        sa.Column("created", sa.Boolean(), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("linked_by", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"]),
        sa.PrimaryKeyConstraint("process_id"),
    )
    with op.batch_alter_table("customer_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customer_links_customer_id"), ["customer_id"], unique=False)
    # A delegate's power of attorney is handed over as the original (000 §6 item 9 委托书原件).
    with op.batch_alter_table("customer_documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("original", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("customer_documents", schema=None) as batch_op:
        batch_op.drop_column("original")
    with op.batch_alter_table("customer_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_links_customer_id"))
    op.drop_table("customer_links")
