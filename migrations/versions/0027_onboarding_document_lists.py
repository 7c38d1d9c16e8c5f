"""the onboarding document list as a versioned rule

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07 04:00:00

Issue 21 §3: the documents an applicant for onboarding shows (000 §6) change like the credit policy
and the grading rule — through an approval process (domain/rule_change.py), effective from a date.
Version 1 is the nine documents of 000 §6 as the product declared them (domain.documents
ONBOARDING_REQUIRED), in force since long before any process this database holds.
"""

from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

# 000 §6 (三): frozen here as it stood, so a later edit of the domain constant never rewrites version 1
NINE_DOCUMENTS = [
    "business_license",
    "tax_registration",
    "oil_wholesale_certificate",
    "hazardous_chemicals_certificate",
    "organization_code",
    "bank_account_permit",
    "general_taxpayer",
    "invoicing_info",
    "legal_rep_id",
]


def upgrade() -> None:
    lists = op.create_table(
        "onboarding_document_lists",
        sa.Column("version", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("effective_from", sa.Date(), nullable=False, index=True),
        sa.Column("documents", sa.JSON(), nullable=False),
        sa.Column("changed_by", sa.String(80), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("process_id", sa.String(64), nullable=True),
        sa.UniqueConstraint("process_id", name="uq_onboarding_document_lists_process_id"),
    )
    op.bulk_insert(
        lists,
        [
            {
                "version": 1,
                "effective_from": date(2000, 1, 1),
                "documents": NINE_DOCUMENTS,
                "changed_by": "system",
                "changed_at": datetime(2026, 12, 7, tzinfo=UTC),
                "reason": "000 §6 (三): the nine documents of an allocation customer, as the regulation lists them",
            }
        ],
    )


def downgrade() -> None:
    op.drop_table("onboarding_document_lists")
