"""Every activity the worker runs, bound to its dependencies."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from activities.borrowing_store import BorrowingStore
from activities.calendar import CalendarActivities
from activities.collection_store import CollectionStore
from activities.complaint_store import ComplaintStore
from activities.credit_application_store import CreditApplicationStore
from activities.credit_review_store import CreditReviewStore
from activities.credit_store import CreditStore
from activities.customer_record import CustomerRecordStore
from activities.customer_registry import CustomerRegistry
from activities.development_store import DevelopmentStore
from activities.grading_store import GradingStore
from activities.ledger_store import LedgerStore
from activities.notifications import Channel, Notifier, WebhookChannel
from activities.process_failures import FailureStore
from activities.process_store import ProcessStore
from activities.rule_store import RuleStore
from activities.trade_store import TradeStore
from activities.vat_invoice_store import VatInvoiceStore
from activities.visit_store import VisitStore
from domain.calendar import OfficeHours


def build_activities(
    sessions: async_sessionmaker[AsyncSession],
    webhook_url: str | None = None,
    office_hours: OfficeHours | None = None,
) -> list[Callable[..., Any]]:
    channels: list[Channel] = [WebhookChannel(webhook_url)] if webhook_url else []
    calendar = CalendarActivities(sessions, office_hours)  # also dates the steps each write opens
    store = ProcessStore(sessions, channels, calendar)
    complaints = ComplaintStore(sessions, channels, calendar)
    trade = TradeStore(sessions, channels, calendar)
    visits = VisitStore(sessions, channels, calendar)
    development = DevelopmentStore(sessions, channels, calendar)
    borrowing = BorrowingStore(sessions, channels, calendar)
    failures = FailureStore(sessions, channels)
    return [
        trade.project_trade,
        trade.close_tender,
        trade.create_trade_customer,
        store.sync_process,
        store.resolve_seats,
        store.unit_path,
        CustomerRegistry(sessions).create_customer,
        failures.mark_process_failed,
        failures.record_repair,
        calendar.working_day_deadline,
        Notifier(sessions, channels).notify,
        complaints.sync_complaint,
        complaints.compute_monthly_stats,
        GradingStore(sessions).grading_config,  # issue 12 §2 (001 §1)
        GradingStore(sessions).apply_grading,
        GradingStore(sessions).customers_without_clock,
        GradingStore(sessions).mark_clocks_started,
        GradingStore(sessions).grading_problem,  # issue 20 §1.1-2: the clock skips a round it may not open
        visits.sync_visit_plan,  # issue 12 §3 (000 §12, 002 rule 7)
        visits.sync_visit,
        visits.record_report,
        visits.plan_due_working_days,
        development.sync_meeting,  # issue 12 §3 (000 §12, §15)
        development.open_meeting,
        development.record_minutes,
        development.sync_development,
        CustomerRecordStore(sessions).apply_record_change,  # issue 11 §3
        borrowing.sync_borrowing,  # issue 11 §3: borrowing (002 rule 1, 004 §3)
        borrowing.units_to_review,  # issue 11 §3: register reviews (004 §4)
        borrowing.open_review,
        borrowing.record_review,
        LedgerStore(sessions).book_receipt,  # issue 11 §2 (000 §9)
        LedgerStore(sessions).register_invoice_certificate,
        CollectionStore(sessions).collection_month_end,  # issue 12 §1: month-end collection (000 §13)
        CollectionStore(sessions).collection_working_days,
        CollectionStore(sessions).collections_due,
        CollectionStore(sessions).collection_status,
        CreditStore(sessions).book_approved_delivery,  # issue 12 §1: credit (000 §13, 001 §3, 003 §6)
        CreditStore(sessions).refresh_risks,
        CreditStore(sessions).settle_ratification,  # issue 20: the GM ratifies imported deliveries (001 §3)
        CreditReviewStore(sessions, channels).prepare_form,  # issue 12 §1: credit reviews (001 信用审核, 003 §6)
        CreditReviewStore(sessions, channels).apply_review,
        CreditReviewStore(sessions, channels).periodic_customers,
        CreditReviewStore(sessions, channels).reviews_due,
        CreditApplicationStore(sessions, channels).grant_credit,  # issue 12 §1: credit application (000 §13)
        VatInvoiceStore(sessions, channels, calendar).sync_vat_invoice,  # issue 20 item 8 (000 §9 (三))
        RuleStore(sessions).rule_in_force,  # issue 20 item 7: rule changes and pinned versions
        RuleStore(sessions).apply_approved_change,
    ]
