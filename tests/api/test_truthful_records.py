"""What auditors and applicants read must be true (issue 20 §3), through the real API, a real
worker and the Temporal dev server, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.api.test_onboarding import approve_all
from tests.support import Api, credit_papers
from tests.workflows.test_credit_application import new_customer

pytestmark = pytest.mark.asyncio(loop_scope="session")
P = "/api/v1"


async def actions_of(api: Api, process_id: str) -> list[str]:
    history = await api.get(f"{P}/processes/{process_id}/history", "auditor")
    assert history.status_code == 200, history.text
    return [entry["action"] for entry in history.json()]


async def test_only_the_process_that_creates_a_customer_records_its_creation(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """Item 14: a complaint and a credit application carry a customer's id but create no customer;
    their histories say nothing about a creation. An approved onboarding's history does."""
    customer = await new_customer(sessions)
    complaint = await api.post(
        f"{P}/complaints",
        "sales_clerk",
        json={
            "customer_id": customer.customer_id,
            "channel": "phone",
            "category": "delivery",
            "severity": "ordinary",
            "description": "送货延误 (issue 20 item 14)",
        },
    )
    assert complaint.status_code == 201, complaint.text
    credit = await api.post(
        f"{P}/credit-applications",
        "sales_clerk",
        json={"customer_id": customer.customer_id, "limit": "1000.00", "term_days": 30, "reason": "按月结算"}
        | credit_papers(),
    )
    assert credit.status_code == 201, credit.text
    onboarding = await api.submit()
    assert onboarding.status_code == 201, onboarding.text
    done: dict[str, Any] = await approve_all(api, onboarding.json()["process_id"])
    assert done["status"] == "approved"

    assert "customer_created" not in await actions_of(api, complaint.json()["process_id"])
    assert "customer_created" not in await actions_of(api, credit.json()["process_id"])
    assert "customer_created" in await actions_of(api, done["process_id"])


@pytest.mark.rule("000-10-card-for-every-customer", "003-2-designated-person")
async def test_the_customer_record_agrees_with_its_card_and_names_who_looks_after_it(api: Api) -> None:
    """Item 17: the card's business scope shows at the top level too, and the person responsible for
    the customer (000 §10 (四)) is the applicant who filed it, not the general manager who signed last."""
    started = await api.submit("sales_clerk")
    assert started.status_code == 201, started.text
    done = await approve_all(api, started.json()["process_id"])
    record = await api.get(f"{P}/customers/{done['customer_id']}", "auditor")
    assert record.status_code == 200, record.text
    customer = record.json()
    assert customer["card"]["business_scope"] == "成品油批发; 危险化学品经营"
    for field in ("business_scope", "postcode", "bank_account", "registered_on"):
        assert customer[field] == customer["card"][field], field
    assert (customer["owner_person"], customer["created_by"]) == ("sales_clerk", "general_manager")
