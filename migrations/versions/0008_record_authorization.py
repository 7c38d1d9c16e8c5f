"""authorization: record owners (customer unit, deal handlers)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 08:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

# The owning unit of an existing customer: the unit of the process that created it, else its
# applicant's unit, else its creator's, else the head office (the unit without a parent).
BACKFILL_CUSTOMER_UNIT = """
UPDATE customers SET unit_code = COALESCE(
    (SELECT p.unit_code FROM processes p WHERE p.process_id = customers.onboarding_process_id),
    (SELECT u.unit_code FROM processes p JOIN users u ON u.username = p.applicant
      WHERE p.process_id = customers.onboarding_process_id),
    (SELECT u.unit_code FROM users u WHERE u.username = customers.created_by),
    (SELECT MIN(o.code) FROM org_units o WHERE o.parent_code IS NULL),
    'HQ'
)
WHERE unit_code IS NULL
"""

# Existing deals name their applicant as their handler.
BACKFILL_TRADE_HANDLERS = """
INSERT INTO trade_handlers (process_id, username)
SELECT process_id, applicant FROM trade_deals
"""


def upgrade() -> None:
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unit_code', sa.String(length=40), nullable=True))
    op.execute(BACKFILL_CUSTOMER_UNIT)
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.alter_column('unit_code', existing_type=sa.String(length=40), nullable=False)
        batch_op.create_index(batch_op.f('ix_customers_unit_code'), ['unit_code'], unique=False)

    op.create_table('trade_handlers',
    sa.Column('process_id', sa.String(length=64), nullable=False),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.PrimaryKeyConstraint('process_id', 'username')
    )
    with op.batch_alter_table('trade_handlers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trade_handlers_username'), ['username'], unique=False)
    op.execute(BACKFILL_TRADE_HANDLERS)


def downgrade() -> None:
    with op.batch_alter_table('trade_handlers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trade_handlers_username'))
    op.drop_table('trade_handlers')
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customers_unit_code'))
        batch_op.drop_column('unit_code')
