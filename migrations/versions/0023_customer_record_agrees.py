"""the customer record agrees with itself: card fields in their columns, the applicant looks after it

Revision ID: 0023
Revises: 0021
Create Date: 2026-12-07 01:45:00

Issue 20 item 17. Records created since 0011 kept some card fields (business_scope, …) only in the
JSON card, their columns empty; and their responsible person (000 §10 (四)) was the last approver
(the general manager), not the applicant who files and looks after the customer. Empty columns are
filled from the card; a responsible person who is still the approver, never handed over, becomes
the applicant of the process that created the record. Nothing else changes; downgrade keeps data.
"""

import contextlib
from datetime import date

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0021"
branch_labels = None
depends_on = None

TEXT_COLUMNS = {
    "postcode": 6,
    "fax": 40,
    "manager": 100,
    "organisation_form": 100,
    "industry": 100,
    "scale": 100,
    "business_scope": 2000,
    "registration_authority": 200,
    "bank_name": 200,
    "bank_account": 64,
}
INT32_MAX = 2**31 - 1

customers = sa.table(
    "customers",
    sa.column("id", sa.Integer()),
    sa.column("card", sa.JSON()),
    sa.column("onboarding_process_id", sa.String()),
    sa.column("created_by", sa.String()),
    sa.column("owner_person", sa.String()),
    sa.column("registered_on", sa.Date()),
    sa.column("employees", sa.Integer()),
    *(sa.column(name, sa.String()) for name in TEXT_COLUMNS),
)
processes = sa.table("processes", sa.column("process_id", sa.String()), sa.column("applicant", sa.String()))
changes = sa.table("customer_changes", sa.column("customer_id", sa.Integer()), sa.column("field", sa.String()))


def _from_card(card: dict[str, object], row: sa.Row[tuple[object, ...]]) -> dict[str, object]:
    """The card's values for the columns that are still empty, where they fit the column."""
    values: dict[str, object] = {}
    for name, limit in TEXT_COLUMNS.items():
        value = card.get(name)
        if getattr(row, name) is None and isinstance(value, str) and len(value) <= limit:
            values[name] = value
    registered_on = card.get("registered_on")
    if row.registered_on is None and isinstance(registered_on, str):
        with contextlib.suppress(ValueError):  # not a date: the column stays empty
            values["registered_on"] = date.fromisoformat(registered_on)
    employees = card.get("employees")
    if row.employees is None and isinstance(employees, int) and 0 <= employees <= INT32_MAX:
        values["employees"] = employees
    return values


def upgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(
            customers.c.id,
            customers.c.card,
            customers.c.registered_on,
            customers.c.employees,
            *(customers.c[name] for name in TEXT_COLUMNS),
        )
    ).all()
    for row in rows:
        values = _from_card(row.card, row) if isinstance(row.card, dict) else {}
        if values:
            bind.execute(sa.update(customers).where(customers.c.id == row.id).values(**values))

    applicant = (
        sa.select(processes.c.applicant)
        .where(processes.c.process_id == customers.c.onboarding_process_id)
        .scalar_subquery()
    )
    handed_over = sa.exists().where(changes.c.customer_id == customers.c.id, changes.c.field == "owner_person")
    has_applicant = sa.exists().where(processes.c.process_id == customers.c.onboarding_process_id)
    bind.execute(
        sa.update(customers)
        .where(customers.c.owner_person == customers.c.created_by, ~handed_over, has_applicant)
        .values(owner_person=applicant)
    )


def downgrade() -> None:
    """The corrected values stay: they are what the record should always have said."""
