"""file borrowing and register reviews

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 08:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "borrowings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("process_id", sa.String(length=64), nullable=False),
        sa.Column("workflow_id", sa.String(length=120), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("borrower", sa.String(length=80), nullable=False),
        sa.Column("borrower_unit", sa.String(length=40), nullable=True),
        sa.Column("owner_unit", sa.String(length=40), nullable=False),
        sa.Column("purpose", sa.String(length=500), nullable=False),
        sa.Column("return_by", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_by", sa.String(length=80), nullable=True),
        sa.Column("returned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("return_recorded_by", sa.String(length=80), nullable=True),
        sa.Column("overdue_level", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("process_id"),
    )
    with op.batch_alter_table("borrowings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_borrowings_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_borrowings_borrower"), ["borrower"], unique=False)

    op.create_table(
        "register_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.String(length=64), nullable=False),
        sa.Column("unit_code", sa.String(length=40), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("result", sa.String(length=20), nullable=True),
        sa.Column("decided_by", sa.String(length=80), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("review_id", "customer_id", name="uq_register_reviews_customer"),
    )
    with op.batch_alter_table("register_reviews", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_register_reviews_review_id"), ["review_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_register_reviews_unit_code"), ["unit_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_register_reviews_customer_id"), ["customer_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("register_reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_register_reviews_customer_id"))
        batch_op.drop_index(batch_op.f("ix_register_reviews_unit_code"))
        batch_op.drop_index(batch_op.f("ix_register_reviews_review_id"))
    op.drop_table("register_reviews")
    with op.batch_alter_table("borrowings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_borrowings_borrower"))
        batch_op.drop_index(batch_op.f("ix_borrowings_customer_id"))
    op.drop_table("borrowings")
