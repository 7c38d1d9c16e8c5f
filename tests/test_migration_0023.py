"""Migration 0023 (issue 20 item 17) on both databases: a customer record created before it gets its
card fields into their columns and the applicant as the person looking after it — unless the file
was handed over since."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from db.migrate import upgrade
from db.session import sync_url
from tests.conftest import _fresh_postgres_database

BEFORE, AFTER = "0017", "0023"
NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
meta = sa.MetaData()
processes = sa.Table(
    "processes",
    meta,
    *(sa.Column(n, sa.String()) for n in ("process_id", "workflow_id", "process_type", "status", "subject")),
    sa.Column("applicant", sa.String()),
    sa.Column("started_at", sa.DateTime(timezone=True)),
    sa.Column("updated_at", sa.DateTime(timezone=True)),
)
customers = sa.Table(
    "customers",
    meta,
    sa.Column("id", sa.Integer()),
    *(sa.Column(n, sa.String()) for n in ("credit_code", "name", "kind", "status", "grade", "address")),
    *(sa.Column(n, sa.String()) for n in ("legal_representative", "phone", "onboarding_process_id", "unit_code")),
    *(sa.Column(n, sa.String()) for n in ("created_by", "owner_person", "business_scope", "postcode")),
    sa.Column("card", sa.JSON()),
    sa.Column("trading_since", sa.Date()),
    sa.Column("created_at", sa.DateTime(timezone=True)),
    sa.Column("registered_on", sa.Date()),
    sa.Column("employees", sa.Integer()),
)
changes = sa.Table(
    "customer_changes",
    meta,
    *(sa.Column(n, sa.String()) for n in ("kind", "field", "reason", "requested_by")),
    sa.Column("customer_id", sa.Integer()),
    sa.Column("changed_at", sa.DateTime(timezone=True)),
)
CARD = {"business_scope": "成品油批发", "postcode": "450000", "registered_on": "2001-05-08", "employees": 120}


def file(connection: sa.Connection, customer_id: int, *, handed_over: bool) -> None:
    process_id = f"m23-{uuid.uuid4()}"
    connection.execute(
        processes.insert().values(
            process_id=process_id,
            workflow_id=process_id,
            process_type="onboarding",
            status="approved",
            subject="m23",
            applicant="sales_clerk",
            started_at=NOW,
            updated_at=NOW,
        )
    )
    connection.execute(
        customers.insert().values(
            id=customer_id,
            credit_code=f"91410100MA{customer_id:07d}X"[:18],
            name="迁移测试石化",
            kind="allocation_self_sale",
            status="active",
            grade="C",
            address="郑州",
            legal_representative="王",
            phone="0371-1",
            onboarding_process_id=process_id,
            unit_code="MKT",
            created_by="general_manager",
            owner_person="marketing_manager" if handed_over else "general_manager",
            card=CARD,
            trading_since=NOW.date(),
            created_at=NOW,
        )
    )
    if handed_over:
        connection.execute(
            changes.insert().values(
                kind="hand_over",
                field="owner_person",
                reason="m23",
                requested_by="admin",
                customer_id=customer_id,
                changed_at=NOW,
            )
        )


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_0023_fills_the_columns_from_the_card_and_names_the_applicant(
    database: str, tmp_path: object, request: pytest.FixtureRequest
) -> None:
    if database == "sqlite":
        url = f"sqlite:///{tmp_path}/m23.db"
    else:
        url = _fresh_postgres_database(request.getfixturevalue("postgres_url"))
    upgrade(url, BEFORE)
    engine = sa.create_engine(sync_url(url))
    with engine.begin() as connection:
        file(connection, 1, handed_over=False)
        file(connection, 2, handed_over=True)
    upgrade(url, AFTER)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(
                customers.c.id,
                customers.c.owner_person,
                customers.c.business_scope,
                customers.c.postcode,
                customers.c.registered_on,
                customers.c.employees,
            ).order_by(customers.c.id)
        ).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [
        (1, "sales_clerk", "成品油批发", "450000", date(2001, 5, 8), 120),
        (2, "marketing_manager", "成品油批发", "450000", date(2001, 5, 8), 120),  # handed over: kept
    ]
