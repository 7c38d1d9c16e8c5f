"""The one customer creation (issue 11 §4) on both real databases: one credit code is one customer,
a second creation links to it, a retry finds its own answer, and the shared rules refuse at once."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.exceptions import ApplicationError

from activities.customer_registry import CustomerRegistry
from activities.data_errors import DATA_ERROR
from db.models import Customer, CustomerLink
from domain.models import CustomerCreation
from tests.support import application

pytestmark = pytest.mark.asyncio(loop_scope="session")


def creation(credit_code: str | None = None, **customer: object) -> CustomerCreation:
    body = application(credit_code, **customer)
    return CustomerCreation.model_validate(
        {
            **body,
            "process_id": f"test-{uuid.uuid4()}",
            "created_by": "general_manager",
            "approved_at": datetime.now(UTC),
        }
    )


async def test_a_second_creation_links_and_a_retry_finds_its_answer(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    registry = CustomerRegistry(sessions)
    first = creation()
    code = first.customer.credit_code
    customer_id = await registry.create_customer(first)
    assert await registry.create_customer(first) == customer_id  # a retried activity
    second = creation(code)
    racing = creation(code)
    answers = await asyncio.gather(registry.create_customer(second), registry.create_customer(racing))
    assert answers == [customer_id, customer_id]
    async with sessions() as session:
        assert await session.scalar(select(func.count()).where(Customer.credit_code == code)) == 1
        links = list(await session.scalars(select(CustomerLink).where(CustomerLink.credit_code == code)))
        assert sorted((link.process_id == first.process_id, link.created) for link in links) == [
            (False, False),
            (False, False),
            (True, True),
        ]
        customer = await session.get(Customer, customer_id)
        assert customer is not None and len(customer.documents) == 9


async def test_the_shared_rules_refuse_at_once(sessions: async_sessionmaker[AsyncSession]) -> None:
    registry = CustomerRegistry(sessions)
    with pytest.raises(ApplicationError) as trade_kind:
        await registry.create_customer(creation(kind="external_trade"))
    assert trade_kind.value.type == DATA_ERROR and trade_kind.value.non_retryable
    assert "only by the external_trade process" in trade_kind.value.message
    empty = creation().model_copy(update={"documents": []})
    with pytest.raises(ApplicationError) as no_documents:
        await registry.create_customer(empty)
    assert "documents its approval reviewed" in no_documents.value.message
    async with sessions() as session:
        assert await session.get(CustomerLink, empty.process_id) is None


async def test_trade_starts_on_the_china_day_of_the_approval(sessions: async_sessionmaker[AsyncSession]) -> None:
    """001 §1 counts the first year from the China day the customer was approved: an approval at
    01:30 China time (17:30 UTC the day before, as workflow.now() gives it) starts trade that China
    day, not the UTC one."""
    early = creation()
    early.approved_at = datetime(2026, 3, 2, 1, 30, tzinfo=timezone(timedelta(hours=8))).astimezone(UTC)
    customer_id = await CustomerRegistry(sessions).create_customer(early)
    async with sessions() as session:
        customer = await session.get(Customer, customer_id)
        assert customer is not None and customer.trading_since == date(2026, 3, 2)
