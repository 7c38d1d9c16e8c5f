"""Every activity the worker runs, bound to its dependencies."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from activities.calendar import CalendarActivities
from activities.complaint_store import ComplaintStore
from activities.notifications import Channel, Notifier, WebhookChannel
from activities.process_failures import FailureStore
from activities.process_store import ProcessStore
from activities.trade_store import TradeStore
from domain.calendar import OfficeHours


def build_activities(
    sessions: async_sessionmaker[AsyncSession],
    webhook_url: str | None = None,
    office_hours: OfficeHours | None = None,
) -> list[Callable[..., Any]]:
    channels: list[Channel] = [WebhookChannel(webhook_url)] if webhook_url else []
    store = ProcessStore(sessions, channels)
    complaints = ComplaintStore(sessions, channels)
    trade = TradeStore(sessions, channels)
    failures = FailureStore(sessions, channels)
    return [
        trade.project_trade,
        trade.close_tender,
        trade.create_trade_customer,
        store.sync_process,
        store.resolve_seats,
        store.unit_path,
        store.create_customer,
        failures.mark_process_failed,
        failures.record_repair,
        CalendarActivities(sessions, office_hours).working_day_deadline,
        Notifier(sessions, channels).notify,
        complaints.sync_complaint,
        complaints.compute_monthly_stats,
    ]
