"""Credit reviews in the database (001 信用审核; 003 §6): the review form prepared from the ledger and
the account, the approved outcome applied to the credit terms, and the customers a round or the
daily risk sweep reviews."""

from __future__ import annotations

from calendar import monthrange
from datetime import UTC, date, datetime, time
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from activities.customer_gate import customer_applying
from activities.data_errors import fails_visibly_on_bad_data
from activities.notifications import Channel, NotificationSpec, deliver_all, record_notification
from db.models import CreditAccount, CreditDecision, Customer, CustomerBalance, CustomerLedgerEntry, Process, User
from db.session import write_transaction
from domain.china_time import CHINA
from domain.credit import CreditCustomer, CreditHold, ReviewOccasion, RiskLevel, Settlement, credit_review_workflow_id
from domain.credit_review import (
    FORM_MONTHS,
    Batch,
    FormRequest,
    ReviewApplied,
    ReviewForm,
    ReviewOutcome,
    RiskReviewDue,
    review_operation,
    risk_key,
)
from domain.ledger import ZERO, LedgerKind
from domain.models import ProcessStatus
from domain.roles import Role
from domain.rulebook import enforces

# 评审成果要及时通报办事处、财务部 (001 信用审核): finance by role, the customer's unit by its people.
FINANCE_RECIPIENT = Role.finance_reviewer


def months_before(day: date, months: int) -> date:
    """The same day `months` earlier (the month's last day when that month is shorter)."""
    year, index = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(year, index + 1, min(day.day, monthrange(year, index + 1)[1]))


def credit_customer(customer: Customer) -> CreditCustomer:
    return CreditCustomer(
        customer_id=customer.id, credit_code=customer.credit_code, name=customer.name, unit=customer.unit_code
    )


async def _with_closed_reviews(session: AsyncSession, due: RiskReviewDue) -> RiskReviewDue | None:
    """`due` with the count of its episode's closed risk reviews; None while one is still open."""
    prefix = credit_review_workflow_id(due.customer.credit_code, ReviewOccasion.risk, risk_key(due.risk_since))
    rows = await session.execute(
        select(Process.status, func.count())
        .where(Process.workflow_id.startswith(prefix, autoescape=True))
        .group_by(Process.status)
    )
    counts = dict(rows.tuples().all())
    # open, or failed and waiting for an admin's repair (which may resume it): not another one now
    if any(ProcessStatus(status).is_open or status == ProcessStatus.failed.value for status in counts):
        return None
    return due.model_copy(update={"closed_reviews": sum(counts.values())})


class CreditReviewStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], channels: list[Channel] | None = None) -> None:
        self.sessions = sessions
        self.channels = channels or []

    @activity.defn
    async def prepare_form(self, request: FormRequest) -> ReviewForm:
        """The 客户升(降)级评审表 of a customer on `request.today`: receipts and deliveries of the
        last FORM_MONTHS months, what is owed and overdue, risk, grade and current terms."""
        since = months_before(request.today, FORM_MONTHS)
        since_at = datetime.combine(since, time(0), CHINA).astimezone(UTC)
        customer_id = request.customer.customer_id
        async with self.sessions() as session:
            customer = await session.get(Customer, customer_id)
            if customer is None:
                raise LookupError(f"customer {customer_id} not found")
            account = await session.get(CreditAccount, customer_id)
            balance = await session.scalar(
                select(CustomerBalance.balance).where(CustomerBalance.customer_id == customer_id)
            )
            sums = {
                kind: (count, Decimal(total or 0))
                for kind, count, total in (
                    await session.execute(
                        select(
                            CustomerLedgerEntry.kind,
                            func.count(CustomerLedgerEntry.id),
                            func.sum(CustomerLedgerEntry.amount),
                        )
                        .where(
                            CustomerLedgerEntry.customer_id == customer_id, CustomerLedgerEntry.occurred_at >= since_at
                        )
                        .group_by(CustomerLedgerEntry.kind)
                    )
                ).all()
            }
        balance = Decimal(balance) if balance is not None else ZERO
        receipts = sums.get(LedgerKind.receipt.value, (0, ZERO))
        deliveries = sums.get(LedgerKind.delivery.value, (0, ZERO))
        return ReviewForm(
            customer_id=customer_id,
            credit_code=customer.credit_code,
            name=customer.name,
            unit=customer.unit_code,
            occasion=request.occasion,
            key=request.key,
            prepared_on=request.today,
            period_from=since,
            receipts_count=receipts[0],
            receipts_total=receipts[1],
            deliveries_count=deliveries[0],
            deliveries_total=deliveries[1],
            balance=balance,
            outstanding=-balance if balance < ZERO else ZERO,
            overdue_amount=account.overdue_amount if account else ZERO,
            overdue_days=account.overdue_days if account else 0,
            risk_level=RiskLevel(account.risk_level) if account else RiskLevel.low,
            risk_since=account.risk_since if account else None,
            review_required=account.review_required if account else False,
            grade=customer.grade,
            settlement=Settlement(account.settlement) if account else Settlement.prepaid,
            credit_limit=account.credit_limit if account else ZERO,
            term_days=account.term_days if account else 0,
        )

    @enforces("001-credit-review-results-notified")
    @activity.defn
    @fails_visibly_on_bad_data
    async def apply_review(self, applied: ReviewApplied) -> None:
        """The leaders approved the review: new terms on the account, the decision for the auditors,
        and the result told to finance and the customer's unit — once per process, in one transaction."""
        async with write_transaction(self.sessions) as session:
            seen = await session.scalar(
                select(CreditDecision.id).where(CreditDecision.process_id == applied.process_id)
            )
            if seen is not None:
                return
            # 004 §6; a raise needs a trading customer (domain.credit_review.review_operation)
            await customer_applying(session, applied.customer_id, review_operation(applied.assessment.outcome))
            account = await session.get(CreditAccount, applied.customer_id, with_for_update=True)
            now = datetime.now(UTC)
            old_settlement = account.settlement if account else None
            old_limit = account.credit_limit if account else None
            assessment = applied.assessment
            if account is not None:
                if assessment.outcome is ReviewOutcome.lower_:
                    if assessment.new_limit is not None:
                        account.credit_limit = assessment.new_limit
                    if assessment.new_term_days is not None:
                        account.term_days = assessment.new_term_days
                elif assessment.outcome is ReviewOutcome.raise_ and assessment.new_limit is not None:
                    account.credit_limit = assessment.new_limit  # 升级评审 (001 信用审核)
                elif assessment.outcome is ReviewOutcome.withdraw:
                    account.settlement = Settlement.prepaid.value
                    account.credit_limit = ZERO
                # every approved outcome decides the review a blocked customer waited for (003 §6), and
                # the terms after a refused ratification (domain.credit.CreditHold); a pending one stays
                account.review_required = False
                if account.credit_hold == CreditHold.ratification_refused.value:
                    account.credit_hold = None
                account.updated_at = now
            session.add(
                CreditDecision(
                    customer_id=applied.customer_id,
                    process_id=applied.process_id,
                    kind="review",
                    outcome=assessment.outcome.value,
                    old_settlement=old_settlement,
                    new_settlement=account.settlement if account else Settlement.prepaid.value,
                    old_limit=old_limit,
                    new_limit=account.credit_limit if account else ZERO,
                    term_days=account.term_days if account else 0,
                    form=applied.form.model_dump(mode="json") | {"assessment": assessment.model_dump(mode="json")},
                    reason=assessment.comment,
                    decided_by=",".join([applied.assessed_by, *applied.approved_by])[:80],
                    decided_at=applied.approved_at,
                )
            )
            notes = self._result_notes(applied, account)
            if applied.unit:
                people = await session.scalars(
                    select(User.username).where(User.unit_code == applied.unit, User.is_active.is_(True))
                )
                notes += [self._note(applied, account, recipient=name) for name in people]
            new = [n for n in notes if await record_notification(session, n, self.channels)]
        await deliver_all(new, self.channels)

    def _result_notes(self, applied: ReviewApplied, account: CreditAccount | None) -> list[NotificationSpec]:
        return [self._note(applied, account, role=FINANCE_RECIPIENT.value)]

    def _note(
        self,
        applied: ReviewApplied,
        account: CreditAccount | None,
        *,
        role: str | None = None,
        recipient: str | None = None,
    ) -> NotificationSpec:
        terms = (
            f"{account.settlement}, limit {account.credit_limit:.2f}, term {account.term_days} days"
            if account
            else "prepaid"
        )
        return NotificationSpec(
            notification_id=f"credit-review-{applied.process_id}-{role or recipient}"[:80],
            process_id=applied.process_id,
            recipient_role=role,
            recipient=recipient,
            kind="credit_review_result",
            subject=f"{applied.subject}: {applied.assessment.outcome.value}",
            body=f"评审成果 (001 信用审核) {applied.assessment.outcome.value}: {terms}. {applied.assessment.comment}",
        )

    @activity.defn
    async def periodic_customers(self, batch: Batch) -> list[CreditCustomer]:
        """Credit customers (periodic settlement) after `batch.after_customer_id`, in id order."""
        async with self.sessions() as session:
            rows = await session.scalars(
                select(Customer)
                .join(CreditAccount, CreditAccount.customer_id == Customer.id)
                .where(CreditAccount.settlement == Settlement.periodic.value, Customer.id > batch.after_customer_id)
                .order_by(Customer.id)
                .limit(batch.limit)
            )
            return [credit_customer(c) for c in rows]

    @activity.defn
    async def reviews_due(self, batch: Batch) -> list[RiskReviewDue]:
        """Customers blocked by high risk (review_required), in id order, with no review of this
        episode open: each gets a risk review (the next one after a rejected one)."""
        async with self.sessions() as session:
            rows = await session.execute(
                select(Customer, CreditAccount.risk_since)
                .join(CreditAccount, CreditAccount.customer_id == Customer.id)
                .where(
                    CreditAccount.review_required.is_(True),
                    CreditAccount.risk_since.is_not(None),
                    Customer.id > batch.after_customer_id,
                )
                .order_by(Customer.id)
                .limit(batch.limit)
            )
            due = [RiskReviewDue(customer=credit_customer(c), risk_since=since) for c, since in rows.all()]
            return [d for d in [await _with_closed_reviews(session, d) for d in due] if d is not None]
