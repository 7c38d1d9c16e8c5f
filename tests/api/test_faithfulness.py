"""Issue 11 §4 through the real API, worker and Temporal dev server, on both databases: onboarding
takes only the kinds 000 §6 is for, a delegate brings the original power of attorney, and a customer
whose credit code is on file already is linked to that record, never created twice."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import Customer, CustomerLink
from domain.models import ONBOARDING_KINDS, CustomerKind
from tests.api.test_onboarding import approve_all
from tests.support import Api, application

pytestmark = pytest.mark.asyncio(loop_scope="session")


def power_of_attorney(**extra: object) -> dict[str, object]:
    return {"type": "power_of_attorney", "number": "WT-2026-0007", "issuer": "郑州华豫石化贸易有限公司", **extra}


@pytest.mark.parametrize("kind", sorted(set(CustomerKind) - ONBOARDING_KINDS))
@pytest.mark.rule("000-6-allocation-customers")
async def test_onboarding_takes_allocation_customers_only(api: Api, kind: str) -> None:
    refused = await api.submit(body=application(kind=kind))
    assert refused.status_code == 422, refused.text
    detail = refused.json()["detail"]
    assert any(f"customer kind {kind}" in p and "000 §6" in p for p in detail), detail
    if kind == "external_trade":  # created only by its tender award
        assert any("000 §7" in p for p in detail)
    for kind in ("allocation_self_sale", "allocation_settlement"):
        assert (await api.submit(body=application(kind=kind))).status_code == 201


@pytest.mark.rule("000-6-delegate-power-of-attorney")
async def test_a_delegate_brings_the_original_power_of_attorney(api: Api) -> None:
    body = application(delegate="李四")
    copy = {**body, "documents": [*body["documents"], power_of_attorney()]}
    refused = await api.submit(body=copy)
    assert refused.status_code == 422, refused.text
    assert any("original required: power_of_attorney" in p and "000 §6" in p for p in refused.json()["detail"])
    stamped = {**body, "documents": [*body["documents"], power_of_attorney(stamped_copy=True, original=False)]}
    assert (await api.submit(body=stamped)).status_code == 422
    original = {**body, "documents": [*body["documents"], power_of_attorney(original=True, stamped_copy=False)]}
    started = await api.submit(body=original)
    assert started.status_code == 201, started.text
    final = await approve_all(api, started.json()["process_id"])
    customer = (await api.get(f"/api/v1/customers/{final['customer_id']}", "auditor")).json()
    assert "power_of_attorney" in [d["type"] for d in customer["documents"]]


async def test_a_credit_code_on_file_links_to_the_existing_customer(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    body = application()
    code = body["customer"]["credit_code"]
    started = await api.submit(body=body)
    assert started.status_code == 201, started.text
    process_id = started.json()["process_id"]
    # While the application is in approval another process creates the customer (a depot, a tender).
    async with sessions.begin() as session:
        earlier = Customer(
            credit_code=code,
            name=body["customer"]["name"],
            kind="allocation_settlement",
            address=body["customer"]["address"],
            legal_representative=body["customer"]["legal_representative"],
            phone=body["customer"]["phone"],
            card=body["customer"],
            onboarding_process_id=f"earlier-{uuid.uuid4()}",
            trading_since=datetime.now(UTC).date(),
            created_at=datetime.now(UTC),
            created_by="general_manager",
            unit_code="HQ",
        )
        session.add(earlier)
        await session.flush()
        existing_id = earlier.id
    final = await approve_all(api, process_id)
    assert (final["status"], final["customer_id"]) == ("approved", existing_id)
    async with sessions() as session:
        count = await session.scalar(select(func.count()).select_from(Customer).where(Customer.credit_code == code))
        assert count == 1
        link = await session.get(CustomerLink, process_id)
        assert link is not None
        assert (link.customer_id, link.created, link.process_type, link.linked_by) == (
            existing_id,
            False,
            "onboarding",
            "general_manager",
        )
    # A new application for a customer on file is refused at the door (409), not at creation.
    again = await api.submit(body=application(code))
    assert again.status_code == 409
