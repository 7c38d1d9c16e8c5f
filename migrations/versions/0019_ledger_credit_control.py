"""the ERP import obeys credit control; a ledger entry is corrected by a reversing entry

Revision ID: 0019
Revises: 0017
Create Date: 2026-12-07 01:30:00

`credit_accounts.credit_hold`: an imported delivery beyond the limit waits for the general manager's
ratification (001 §3), or was refused it; credit sales wait meanwhile. `customer_ledger.reverses_id`:
a reversing entry names the entry it corrects; unique, so an entry is reversed at most once.
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


def downgrade() -> None:
    with op.batch_alter_table("customer_ledger") as batch_op:
        batch_op.drop_constraint("fk_customer_ledger_reverses", type_="foreignkey")
        batch_op.drop_constraint("uq_customer_ledger_reverses", type_="unique")
        batch_op.drop_column("reverses_id")
    with op.batch_alter_table("credit_accounts") as batch_op:
        batch_op.drop_column("credit_hold")
