"""audit trail: append-only, hash-chained record of every step

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 08:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

# The application never changes a written audit row: the database refuses it too. (Whoever can
# drop a trigger can still tamper; the hash chain is what finds that.)
SQLITE_GUARDS = [
    f"""CREATE TRIGGER audit_records_no_{verb.lower()} BEFORE {verb} ON audit_records
    BEGIN SELECT RAISE(ABORT, 'audit_records is append-only'); END"""
    for verb in ("UPDATE", "DELETE")
]
POSTGRES_GUARD = [
    """CREATE FUNCTION audit_records_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'audit_records is append-only'; END $$""",
    """CREATE TRIGGER audit_records_append_only BEFORE UPDATE OR DELETE ON audit_records
    FOR EACH ROW EXECUTE FUNCTION audit_records_append_only()""",
]


def upgrade() -> None:
    op.create_table('audit_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('process_id', sa.String(length=64), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('event_key', sa.String(length=120), nullable=False),
    sa.Column('process_type', sa.String(length=40), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=80), nullable=False),
    sa.Column('role', sa.String(length=200), nullable=True),
    sa.Column('on_behalf_of', sa.String(length=80), nullable=True),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('step', sa.String(length=60), nullable=True),
    sa.Column('outcome', sa.String(length=200), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=True),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('process_id', 'event_key', name='uq_audit_records_event'),
    sa.UniqueConstraint('process_id', 'position', name='uq_audit_records_position')
    )
    op.create_table('audit_heads',
    sa.Column('process_id', sa.String(length=64), nullable=False),
    sa.Column('length', sa.Integer(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('process_id')
    )
    guards = POSTGRES_GUARD if op.get_bind().dialect.name == 'postgresql' else SQLITE_GUARDS
    for statement in guards:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP TRIGGER audit_records_append_only ON audit_records')
        op.execute('DROP FUNCTION audit_records_append_only()')
    op.drop_table('audit_heads')
    op.drop_table('audit_records')
