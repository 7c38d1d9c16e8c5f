"""What a ledger booking sets going once it is written (000 §13, 001 §3, 003 §6): the general
manager's approval of a delivery beyond the limit, the GM's ratification or finance's task for an
import that went beyond, the credit review of a customer whose risk turned high, and the month-end
collections a receipt may pay. Each is best effort after the booking: Temporal down, the booking
stands and the daily sweeps (or a later post) catch up."""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from activities.credit_store import Booked, RiskChange
from api.collection_signal import signal_collection
from api.credit_review_start import start_credit_review
from api.over_limit import start_over_limit_approval
from api.services.backends import Backends
from db.models import Customer, Process
from domain.collection import PROCESS_TYPE as COLLECTION_PROCESS_TYPE
from domain.credit import CreditCustomer, CreditReviewInput, ReviewOccasion
from domain.ledger import LedgerEntry
from domain.models import Actor, ProcessStatus

log = logging.getLogger(__name__)


async def start_over_limit(
    backends: Backends, customer: Customer, entry: LedgerEntry, booked: Booked, actor: Actor
) -> str:
    """001 §3: the general manager approves a delivery beyond the limit (api/over_limit.py)."""
    return await start_over_limit_approval(
        backends.temporal, backends.task_queue, subject(customer), entry, booked.standing, booked.detail or "", actor
    )


def subject(customer: Customer) -> CreditCustomer:
    return CreditCustomer(
        customer_id=customer.id, credit_code=customer.credit_code, name=customer.name, unit=customer.unit_code
    )


async def review_if_high(backends: Backends, customer: Customer, risk: RiskChange | None) -> None:
    """003 §6: the risk turned high — the credit review starts now (best effort: the daily sweep
    starts it otherwise; the review's id makes a second start harmless)."""
    if risk is None or not risk.turned_high or risk.risk_since is None:
        return
    review = CreditReviewInput(
        customer=subject(customer), occasion=ReviewOccasion.risk, key=risk.risk_since.strftime("%Y%m%dT%H%M%S")
    )
    try:
        await start_credit_review(backends.temporal, backends.task_queue, review)
    except Exception:  # Temporal down: the booking stands, the sweep starts the review
        log.exception("credit review of customer %s not started; the daily sweep will", customer.id)


async def open_collections(session: AsyncSession, customer_ids: set[int]) -> list[str]:
    """The month-end collections still open for these customers, whatever month they are of."""
    if not customer_ids:
        return []
    query = select(Process.workflow_id).where(
        Process.process_type == COLLECTION_PROCESS_TYPE,
        Process.customer_id.in_(customer_ids),
        Process.status == ProcessStatus.running.value,
    )
    return list(await session.scalars(query))


async def tell_collections(temporal: Client, workflow_ids: list[str]) -> None:
    """000 §13: a receipt may pay a month-end collection, which then closes its task itself (best
    effort: the collector's approval re-checks the receipts anyway)."""
    for workflow_id in workflow_ids:
        try:
            await signal_collection(temporal, workflow_id)
        except Exception:  # Temporal unavailable: the booking stands
            log.exception("month-end collection %s not told of the receipt", workflow_id)
