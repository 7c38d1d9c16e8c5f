"""The credit hold in the database (001 信用管理措施 §3; issue 20): set by an ERP import that took a
credit customer beyond its limit, lifted by the general manager's ratification, kept by a refusal
until a credit review decides (domain.credit.CreditHold)."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from activities.notifications import NotificationSpec, record_notification
from db.models import CreditAccount, Customer, Process
from domain.credit import RATIFICATION_PREFIX, CreditHold
from domain.credit_application import OVER_LIMIT_PROCESS
from domain.models import ProcessStatus
from domain.roles import Role

# A refused ratification leaves the customer's terms to a credit review: the marketing manager opens it.
REVIEW_OPENER = Role.marketing_manager


class RatificationDecided(BaseModel):
    customer_id: int
    process_id: str
    workflow_id: str
    ratified: bool


async def hold_credit(session: AsyncSession, customer_ids: list[int]) -> None:
    """Credit sales stop for these customers until the GM ratifies (in the import's transaction)."""
    if customer_ids:
        await session.execute(
            update(CreditAccount)
            .where(CreditAccount.customer_id.in_(customer_ids))
            .values(credit_hold=CreditHold.ratification.value, updated_at=datetime.now(UTC))
        )


async def _other_ratifications_open(session: AsyncSession, decided: RatificationDecided) -> bool:
    found = await session.scalar(
        select(Process.process_id)
        .where(
            Process.process_type == OVER_LIMIT_PROCESS,
            Process.customer_id == decided.customer_id,
            Process.status == ProcessStatus.running.value,
            Process.workflow_id.startswith(RATIFICATION_PREFIX),
            Process.process_id != decided.process_id,
        )
        .limit(1)
    )
    return found is not None


async def settle_ratification(session: AsyncSession, decided: RatificationDecided) -> None:
    """Ratified: the hold lifts once no other ratification of the customer is open (a refused one
    stays). Refused: the hold stays, as `ratification_refused`, and the marketing manager is told to
    open a credit review, whose approval lifts it (activities/credit_review_store.apply_review).
    Idempotent: a retried activity writes the same values and the same notification id."""
    account = await session.get(CreditAccount, decided.customer_id)
    if account is None:
        return
    if not decided.ratified:
        account.credit_hold = CreditHold.ratification_refused.value
        customer = await session.get(Customer, decided.customer_id)
        name = customer.name if customer else str(decided.customer_id)
        await record_notification(
            session,
            NotificationSpec(
                notification_id=f"ratification-refused-{decided.process_id}"[:80],
                process_id=decided.process_id,
                recipient_role=REVIEW_OPENER.value,
                kind="credit_hold",
                subject=f"客户 {name}: 总经理未追认超信用范围发货, 赊销暂停 (001 §3)",
                body=(
                    "credit stays held until a credit review decides: "
                    f"POST /customers/{decided.customer_id}/credit-reviews"
                ),
            ),
            [],
        )
    elif account.credit_hold == CreditHold.ratification.value and not await _other_ratifications_open(session, decided):
        account.credit_hold = None
    account.updated_at = datetime.now(UTC)
    await session.flush()
