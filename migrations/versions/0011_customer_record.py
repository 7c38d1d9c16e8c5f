"""the customer record: card fields, status, change log, hand-over, survey

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 08:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# Card fields that were kept only in the JSON card so far (000 §10, 001): copied into their columns.
CARD_COLUMNS = (
    ("postcode", sa.String(6)),
    ("fax", sa.String(40)),
    ("owner", sa.String(100)),
    ("manager", sa.String(100)),
    ("organisation_form", sa.String(100)),
    ("industry", sa.String(100)),
    ("scale", sa.String(100)),
    ("business_scope", sa.String(2000)),
    ("registration_authority", sa.String(200)),
    ("registered_on", sa.Date()),
    ("employees", sa.Integer()),
    ("revenue", sa.Numeric(18, 2)),
    ("net_assets", sa.Numeric(18, 2)),
    ("bank_name", sa.String(200)),
    ("bank_account", sa.String(64)),
    ("foreign_currency_account", sa.String(64)),
    ("bank_rating", sa.String(20)),
)
COPIED_TEXT = (
    "postcode",
    "fax",
    "manager",
    "organisation_form",
    "industry",
    "scale",
    "business_scope",
    "registration_authority",
    "bank_name",
    "bank_account",
)
LIMITS = {name: column.length for name, column in CARD_COLUMNS if isinstance(column, sa.String)}


def upgrade() -> None:
    with op.batch_alter_table("customers", schema=None) as batch_op:
        for name, type_ in CARD_COLUMNS:
            batch_op.add_column(sa.Column(name, type_, nullable=True))
        batch_op.add_column(sa.Column("owner_person", sa.String(80), nullable=True))
        batch_op.add_column(sa.Column("destroyed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("destroyed_by", sa.String(80), nullable=True))
        batch_op.create_index("ix_customers_owner_person", ["owner_person"], unique=False)

    op.create_table(
        "customer_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("field", sa.String(60), nullable=False),
        sa.Column("old_value", sa.JSON(), nullable=True),
        sa.Column("new_value", sa.JSON(), nullable=True),
        sa.Column("reason", sa.String(2000), nullable=False),
        sa.Column("evidence", sa.String(2000), nullable=True),
        sa.Column("process_id", sa.String(64), nullable=True),
        sa.Column("requested_by", sa.String(80), nullable=False),
        sa.Column("approved_by", sa.String(80), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("process_id", "field", name="uq_customer_changes_process_field"),
    )
    op.create_index("ix_customer_changes_customer_id", "customer_changes", ["customer_id"], unique=False)
    op.create_index("ix_customer_changes_process_id", "customer_changes", ["process_id"], unique=False)

    op.create_table(
        "customer_surveys",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(10), nullable=False),
        sa.Column("products", sa.String(200), nullable=False),
        sa.Column("development_potential", sa.String(2000), nullable=True),
        sa.Column("business_direction", sa.String(2000), nullable=True),
        sa.Column("cooperation_attitude", sa.String(2000), nullable=True),
        sa.Column("reputation", sa.String(2000), nullable=True),
        sa.Column("credit_standing", sa.String(2000), nullable=False),
        sa.Column("trade_conditions", sa.String(2000), nullable=False),
        sa.Column("expected_monthly_tonnes", sa.Numeric(18, 2), nullable=True),
        sa.Column("surveyed_by", sa.String(80), nullable=False),
        sa.Column("surveyed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"]),
        sa.PrimaryKeyConstraint("customer_id"),
    )

    _backfill()


def _backfill() -> None:
    """Existing files are active customers (they were created by an approved process); the card's
    JSON values move into their columns; the responsible person is whoever filed the process."""
    bind = op.get_bind()
    customers = sa.table(
        "customers",
        sa.column("id", sa.Integer()),
        sa.column("status", sa.String()),
        sa.column("card", sa.JSON()),
        sa.column("onboarding_process_id", sa.String()),
        sa.column("owner_person", sa.String()),
        *(sa.column(name, sa.String()) for name in COPIED_TEXT),
    )
    processes = sa.table("processes", sa.column("process_id", sa.String()), sa.column("applicant", sa.String()))
    bind.execute(sa.update(customers).where(customers.c.status.is_(None)).values(status="active"))
    applicant = (
        sa.select(processes.c.applicant)
        .where(processes.c.process_id == customers.c.onboarding_process_id)
        .scalar_subquery()
    )
    bind.execute(sa.update(customers).where(customers.c.owner_person.is_(None)).values(owner_person=applicant))
    rows = bind.execute(sa.select(customers.c.id, customers.c.card)).all()
    for row_id, card in rows:
        if not isinstance(card, dict):
            continue
        values = {
            name: card[name]
            for name in COPIED_TEXT
            if isinstance(card.get(name), str) and len(card[name]) <= (LIMITS.get(name) or 0)
        }
        if values:
            bind.execute(sa.update(customers).where(customers.c.id == row_id).values(**values))


def downgrade() -> None:
    op.drop_table("customer_surveys")
    op.drop_index("ix_customer_changes_process_id", table_name="customer_changes")
    op.drop_index("ix_customer_changes_customer_id", table_name="customer_changes")
    op.drop_table("customer_changes")
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_index("ix_customers_owner_person")
        batch_op.drop_column("destroyed_by")
        batch_op.drop_column("destroyed_at")
        batch_op.drop_column("owner_person")
        for name, _ in reversed(CARD_COLUMNS):
            batch_op.drop_column(name)
