"""the ERP import obeys credit control; a ledger entry is corrected by a reversing entry

Revision ID: 0019
Revises: 0017
Create Date: 2026-12-07 01:30:00

`credit_accounts.credit_hold`: an imported delivery beyond the limit waits for the general manager's
ratification (001 §3), or was refused it; credit sales wait meanwhile. `customer_ledger.reverses_id`:
a reversing entry names the entry it corrects; unique, so an entry is reversed at most once.
`credit_collection_dues`: each month's collection as its round opened it, so one receipt counts
toward one collection only.
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("credit_accounts") as batch_op:
        batch_op.add_column(sa.Column("credit_hold", sa.String(length=20), nullable=True))
    with op.batch_alter_table("customer_ledger") as batch_op:
        batch_op.add_column(sa.Column("reverses_id", sa.Integer(), nullable=True))
        batch_op.create_unique_constraint("uq_customer_ledger_reverses", ["reverses_id"])
        batch_op.create_foreign_key("fk_customer_ledger_reverses", "customer_ledger", ["reverses_id"], ["id"])
    op.create_table(
        "credit_collection_dues",
        sa.Column("customer_id", sa.Integer(), sa.ForeignKey("customers.id"), primary_key=True, autoincrement=False),
        sa.Column("month", sa.String(length=7), primary_key=True),
        sa.Column("amount", sa.Numeric(18, 2), nullable=False),
        sa.Column("last_entry_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("credit_collection_dues")
    with op.batch_alter_table("customer_ledger") as batch_op:
        batch_op.drop_constraint("fk_customer_ledger_reverses", type_="foreignkey")
        batch_op.drop_constraint("uq_customer_ledger_reverses", type_="unique")
        batch_op.drop_column("reverses_id")
    with op.batch_alter_table("credit_accounts") as batch_op:
        batch_op.drop_column("credit_hold")
