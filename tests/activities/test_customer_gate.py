"""The status gate and the first-year rule at the moment an approved act applies (004 §4-§6,
001 §1, 000 §9 (一), §13), on both databases: the store step writes nothing and stops the process
visibly (a non-retryable `DataError`, the administrators' repair path of workflows/repair.py)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.exceptions import ApplicationError

from activities.credit_application_store import CreditApplicationStore
from activities.credit_store import CreditStore
from activities.customer_record import CustomerRecordStore
from activities.data_errors import DATA_ERROR
from activities.grading_store import GradingStore
from activities.ledger_store import LedgerStore
from activities.trade_store import TradeStore
from activities.vat_invoice_store import INVOICE_ENTRY, VatInvoiceStore, VatInvoiceSync
from db.models import (
    CreditAccount,
    CreditDecision,
    Customer,
    CustomerBalance,
    CustomerGrading,
    CustomerLedgerEntry,
    InvoiceRegisterEntry,
)
from domain.credit import CreditCustomer, CreditHold, Settlement
from domain.credit_application import CreditAnalysis, CreditApplicationForm, CreditGrant
from domain.customer_record import ChangeApplication, RecordProcess
from domain.grading import Grade, GradingApplied, Indicator, ScoreResult
from domain.ledger import LedgerEntry, LedgerKind
from domain.models import CustomerCreation
from domain.vat_invoices import InvoiceRow, InvoiceStatus, VatInvoiceInfo
from tests.activities.test_credit_store import make_credit_customer
from tests.api.test_depot_station_customers import VAT_FORM
from tests.support import application

pytestmark = pytest.mark.asyncio(loop_scope="session")
NOW = datetime.now(UTC)


async def set_customer(sessions: async_sessionmaker[AsyncSession], customer_id: int, **values: Any) -> None:
    await set_row(sessions, Customer, customer_id, **values)


async def set_account(sessions: async_sessionmaker[AsyncSession], customer_id: int, **values: Any) -> None:
    await set_row(sessions, CreditAccount, customer_id, **values)


async def set_row(sessions: async_sessionmaker[AsyncSession], model: type[Any], key: int, **values: Any) -> None:
    async with sessions.begin() as session:
        row = await session.get(model, key)
        assert row is not None
        for name, value in values.items():
            setattr(row, name, value)


async def refused(step: Awaitable[Any], *words: str) -> None:
    with pytest.raises(ApplicationError) as caught:
        await step
    assert caught.value.type == DATA_ERROR and caught.value.non_retryable, caught.value
    for word in words:
        assert word in caught.value.message, caught.value.message


async def count(sessions: async_sessionmaker[AsyncSession], model: Any, customer_id: int) -> int:
    async with sessions() as session:
        query = select(func.count()).select_from(model).where(model.customer_id == customer_id)
        return await session.scalar(query) or 0


def entry(customer_id: int, kind: LedgerKind, amount: str, recorded_by: str = "sales_clerk") -> LedgerEntry:
    """A booking a process applies (the process named, as the store steps require)."""
    return LedgerEntry(
        customer_id=customer_id,
        kind=kind,
        amount=Decimal(amount),
        reference=f"REF-{uuid.uuid4().hex[:8]}",
        occurred_at=NOW,
        recorded_by=recorded_by,
        process_id=f"process-{uuid.uuid4()}",
    )


def graded(customer_id: int, at: datetime) -> GradingApplied:
    return GradingApplied(
        process_id=f"grading-{uuid.uuid4()}",
        customer_id=customer_id,
        period="2026",
        result=ScoreResult(
            scores=dict.fromkeys(Indicator, Decimal(95)),
            weighted_total=Decimal("95.00"),
            grade=Grade.A,
            config_version=1,
            scored_by="marketing_manager",
            scored_at=at,
        ),
        approved_by="business_vp",
        approved_at=at,
    )


@pytest.mark.rule("001-1-new-customer-is-c")
async def test_a_grade_applies_only_after_a_year_of_trade_and_to_an_active_customer(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """001 §1 at the VP's approval (a round opened early, e.g. from a clock of the creation date),
    and 004 §4-§6: a customer suspended while its round waited keeps its grade."""
    store = GradingStore(sessions)
    customer_id = await make_credit_customer(sessions, grade="C")
    await set_customer(sessions, customer_id, trading_since=date.today() - timedelta(days=100))
    await refused(store.apply_grading(graded(customer_id, NOW)), "001 §1")
    await set_customer(sessions, customer_id, trading_since=date.today() - timedelta(days=400), status="suspended")
    await refused(store.apply_grading(graded(customer_id, NOW)), "suspended")
    assert await count(sessions, CustomerGrading, customer_id) == 0
    await set_customer(sessions, customer_id, status="active")
    await store.apply_grading(graded(customer_id, NOW))
    async with sessions() as session:
        customer = await session.get(Customer, customer_id)
        assert customer is not None and customer.grade == "A"


def credit_grant(
    customer_id: int, limit: str, grade: str, *, decided_by: str, analysis: CreditAnalysis | None = None
) -> CreditGrant:
    """A grant as the application's last approver sends it; the grade's ceiling 500,000."""
    form = CreditApplicationForm(
        customer_id=customer_id,
        limit=Decimal(limit),
        term_days=30,
        reason="月结",
        collector="sales_clerk",
        grade=grade,
        ceiling=Decimal("500000.00"),
        policy_version=1,
    )
    return CreditGrant(
        process_id=f"credit-{uuid.uuid4()}",
        customer=CreditCustomer(customer_id=customer_id, credit_code="x", name="x"),
        form=form,
        applicant="sales_clerk",
        decided_by=decided_by,
        decided_at=NOW,
        analysis=analysis,
        analyses=[analysis] if analysis else [],
    )


async def test_a_top_up_and_a_credit_grant_apply_only_to_a_trading_customer(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    customer_id = await make_credit_customer(sessions)
    await set_customer(sessions, customer_id, status="past")
    top_up = entry(customer_id, LedgerKind.receipt, "100.00", recorded_by="finance_reviewer")
    await refused(LedgerStore(sessions).book_receipt(top_up), "past")
    assert await count(sessions, CustomerLedgerEntry, customer_id) == 0
    grant = credit_grant(customer_id, "1000.00", "B", decided_by="finance_reviewer")
    await refused(CreditApplicationStore(sessions).grant_credit(grant), "past")
    assert await count(sessions, CreditAccount, customer_id) == 0


def over_limit(customer_id: int) -> LedgerEntry:
    return entry(customer_id, LedgerKind.delivery, "70.00")


@pytest.mark.rule("000-13-payment-before-goods")
async def test_the_gms_over_limit_approval_never_puts_a_prepaid_customer_on_credit(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """000 §9 (一), §13: a prepaid (station) customer goes on credit only by a credit application.
    The GM's 001 §3 approval of a delivery beyond the limit is not one: when the customer pays
    before goods at the moment it applies (credit withdrawn meanwhile, or never granted), nothing
    is booked and its balance does not go negative."""
    store = CreditStore(sessions)
    station = await make_credit_customer(sessions, unit="STATION-ZZ01")
    await set_customer(sessions, station, kind="station_prepaid")
    await refused(store.book_approved_delivery(over_limit(station)), "000 §9 (一)")
    withdrawn = await make_credit_customer(sessions, limit=Decimal("50.00"))
    async with sessions.begin() as session:
        account = await session.get(CreditAccount, withdrawn)
        assert account is not None
        account.settlement, account.credit_limit = Settlement.prepaid.value, Decimal("0")  # a review withdrew it
    await refused(store.book_approved_delivery(over_limit(withdrawn)), "credit application")
    for customer_id in (station, withdrawn):
        assert await count(sessions, CustomerLedgerEntry, customer_id) == 0
        assert await count(sessions, CustomerBalance, customer_id) == 0
    on_credit = await make_credit_customer(sessions, limit=Decimal("50.00"))
    await set_customer(sessions, on_credit, status="suspended")
    await refused(store.book_approved_delivery(over_limit(on_credit)), "suspended")
    await set_customer(sessions, on_credit, status="active")
    assert await store.book_approved_delivery(over_limit(on_credit))  # the 001 §3 ratification itself stands


@pytest.mark.rule("001-credit-3-gm-ratifies-import", "003-6-high-risk-measures")
async def test_the_gms_over_limit_approval_is_not_booked_while_credit_is_held_or_blocked(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """001 §3, 003 §6: an ERP import put the customer's credit on hold (a ratification pending or
    refused), or high risk blocked it for a review, while the GM decided: the approved delivery is
    not booked when the approval applies (the process stops visibly), nothing is written."""
    store = CreditStore(sessions)
    customer_id = await make_credit_customer(sessions, limit=Decimal("50.00"))
    for hold in (CreditHold.ratification, CreditHold.ratification_refused):
        await set_account(sessions, customer_id, credit_hold=hold.value)
        await refused(store.book_approved_delivery(over_limit(customer_id)), "held", hold.value, "001 §3")
    await set_account(sessions, customer_id, credit_hold=None, review_required=True)
    await refused(store.book_approved_delivery(over_limit(customer_id)), "003 §6")
    assert await count(sessions, CustomerLedgerEntry, customer_id) == 0
    await set_account(sessions, customer_id, review_required=False)
    assert await store.book_approved_delivery(over_limit(customer_id))  # once the review decided


@pytest.mark.rule("001-credit-3-gm-beyond-credit-range")
async def test_a_grant_above_the_grade_on_files_ceiling_applies_only_with_the_gm(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """001 §1, §3: whatever grade an analysis carried, a limit above the ceiling of the customer's
    grade on file at filing is granted only when the GM approved the special agreement."""
    customer_id = await make_credit_customer(sessions)
    graded_a = CreditAnalysis(
        grade=Grade.A,
        limit=Decimal("3000000.00"),
        reasoning="A",
        analysed_by="finance_reviewer",
        analysed_at=NOW,
        ceiling=Decimal("5000000.00"),
    )
    grant = credit_grant(customer_id, "100000.00", "C", decided_by="chief_accountant", analysis=graded_a)
    store = CreditApplicationStore(sessions)
    await refused(store.grant_credit(grant), "001 §3", "500000.00")
    assert await count(sessions, CreditDecision, customer_id) == 0
    await store.grant_credit(grant.model_copy(update={"gm_approved": True, "decided_by": "general_manager"}))
    async with sessions() as session:
        account = await session.get(CreditAccount, customer_id)
        assert account is not None and account.credit_limit == Decimal("3000000.00")


async def test_a_counterpart_suspended_on_file_does_not_become_the_awarded_customer(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """000 §7 (六), 004 §4-§6: the award links the winner's file only while it may trade."""
    customer_id = await make_credit_customer(sessions)
    async with sessions() as session:
        customer = await session.get(Customer, customer_id)
        assert customer is not None
        code = customer.credit_code
    await set_customer(sessions, customer_id, status="terminated")
    body = application(code, kind="external_trade")
    creation = CustomerCreation.model_validate(
        {**body, "process_id": f"trade-{uuid.uuid4()}", "created_by": "business_vp", "approved_at": NOW}
    )
    await refused(TradeStore(sessions).create_trade_customer(creation), "terminated")


async def test_only_a_past_file_is_destroyed_when_the_approval_applies(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """004 §6: a file moved from past to terminated (or back to active) while the manager decided
    is not destroyed; the request ends unapplied with the reason."""
    customer_id = await make_credit_customer(sessions)
    store = CustomerRecordStore(sessions)
    for status in ("terminated", "active"):
        await set_customer(sessions, customer_id, status=status)
        result = await store.apply_record_change(
            ChangeApplication(
                process_id=f"destroy-{uuid.uuid4()}",
                kind=RecordProcess.destruction,
                customer_id=customer_id,
                reason="已无恢复交易可能",
                requested_by="depot_manager",
                approved_by="marketing_manager",
                approved_at=NOW,
            )
        )
        assert not result.applied and result.note is not None and status in result.note and "004" in result.note
    async with sessions() as session:
        customer = await session.get(Customer, customer_id)
        assert customer is not None and customer.destroyed_at is None and customer.phone == "0371-65550000"


def invoice_moment(customer_id: int, process_id: str, status: InvoiceStatus) -> VatInvoiceSync:
    issued = status is not InvoiceStatus.requested
    return VatInvoiceSync(
        invoice=InvoiceRow(
            process_id=process_id,
            workflow_id=f"vat-invoice-{process_id}",
            customer_id=customer_id,
            unit_code="STATION-ZZ01",
            certificate=VatInvoiceInfo.model_validate(VAT_FORM),
            amount=Decimal("11300.00"),
            status=status,
            registered_by="station_manager",
            registered_at=NOW,
            invoice_no="04412345" if issued else None,
            issued_by="finance_reviewer" if issued else None,
            issued_at=NOW if issued else None,
        )
    )


async def invoice_status(sessions: async_sessionmaker[AsyncSession], process_id: str) -> str | None:
    async with sessions() as session:
        query = select(InvoiceRegisterEntry.status).where(
            InvoiceRegisterEntry.process_id == process_id, InvoiceRegisterEntry.entry == INVOICE_ENTRY
        )
        return await session.scalar(query)


async def test_finance_issues_an_invoice_for_a_file_on_record_not_a_destroyed_one(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """000 §9 (三), 004 §6: a file destroyed while finance held the form gets no invoice; the issue
    is not recorded and the process stops visibly. A suspended file still gets its invoice."""
    store = VatInvoiceStore(sessions)
    destroyed, suspended = await make_credit_customer(sessions), await make_credit_customer(sessions)
    for customer_id in (destroyed, suspended):
        process_id = f"vat-invoice-{uuid.uuid4()}"
        await store.sync_vat_invoice(invoice_moment(customer_id, process_id, InvoiceStatus.requested))
        if customer_id == destroyed:
            await set_customer(sessions, customer_id, status="past", destroyed_at=NOW)
            await refused(
                store.sync_vat_invoice(invoice_moment(customer_id, process_id, InvoiceStatus.issued)), "destroyed"
            )
            assert await invoice_status(sessions, process_id) == "requested"
        else:
            await set_customer(sessions, customer_id, status="suspended")
            await store.sync_vat_invoice(invoice_moment(customer_id, process_id, InvoiceStatus.issued))
            assert await invoice_status(sessions, process_id) == "issued"
