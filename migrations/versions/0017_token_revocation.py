"""tokens issued before a password reset are refused

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30 14:40:00

`users.tokens_valid_from`: a reset password ends every session the old one opened.
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("tokens_valid_from", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("tokens_valid_from")
