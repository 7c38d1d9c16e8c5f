"""Database side of file borrowing (002 rule 1, 004 §3) and the register reviews (004 §4): the loan
register written with the process's one sync, the units to review, a review's customer list and
its results. Idempotent like every activity: a retried write finds its rows.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session
from temporalio import activity

from activities.data_errors import fails_visibly_on_bad_data
from activities.notifications import deliver_all
from activities.process_store import ProjectionStore, _insert
from activities.process_sync import ProcessSync
from db.models import Borrowing, Customer, CustomerChange, OrgUnit, RegisterReview
from db.session import run_write, write_transaction
from domain.borrowing import (
    RESULT_STATUS,
    LoanRow,
    ReviewOpening,
    ReviewRecord,
    ReviewRound,
    ReviewUnits,
    UnitToReview,
)
from domain.customer_gate import CustomerOperation, customer_problem
from domain.customer_record import ChangeKind, CustomerStatus, status_problem

# Customers the register still lists (004 §4 (四): dissolved or ended ones leave it).
REVIEWED_STATUSES = ("active", "suspended")


class BorrowingSync(ProcessSync):
    """A moment of a loan: the process sync plus the register line, in one transaction."""

    loan: LoanRow | None = None


def write_loan(session: Session, loan: LoanRow) -> None:
    values: dict[str, Any] = loan.model_dump(mode="python")
    values["status"] = loan.status.value
    table = Borrowing.__table__
    insert = _insert(session, table)
    session.execute(
        insert.values(values).on_conflict_do_update(
            index_elements=[table.c.process_id],
            set_={key: insert.excluded[key] for key in values if key not in {"process_id", "requested_at"}},
        )
    )


class BorrowingStore(ProjectionStore):
    def write_borrowing(self, session: Session, sync: BorrowingSync) -> list[Any]:
        new = self.write_moment(session, sync)
        if sync.loan is not None:
            write_loan(session, sync.loan)
        return new

    @activity.defn
    @fails_visibly_on_bad_data
    async def sync_borrowing(self, sync: BorrowingSync) -> BorrowingSync:
        new = await run_write(self.sessions, partial(self.write_borrowing, sync=sync))
        await deliver_all(new, self.channels)
        return sync.echo()

    @activity.defn
    async def units_to_review(self, start: ReviewRound) -> ReviewUnits:
        """Every unit whose register lists a customer, with its kind (it names the reviewer), unless
        its review of the period is open already (a second trigger of the schedule opens nothing)."""
        reviewed = select(RegisterReview.unit_code).where(RegisterReview.period == start.period)
        listed = select(Customer.unit_code).where(Customer.status.in_(REVIEWED_STATUSES))
        async with self.sessions() as session:
            rows = await session.execute(
                select(OrgUnit.code, OrgUnit.kind)
                .where(OrgUnit.code.in_(listed), OrgUnit.code.not_in(reviewed))
                .order_by(OrgUnit.code)
            )
            return ReviewUnits(units=[UnitToReview(unit=code, kind=kind) for code, kind in rows.all()])

    @activity.defn
    @fails_visibly_on_bad_data
    async def open_review(self, opening: ReviewOpening) -> list[int]:
        """The unit's customers as the review opens, one line each without a result (004 §4 (二))."""
        async with write_transaction(self.sessions) as session:
            listed = list(
                await session.scalars(
                    select(RegisterReview.customer_id).where(RegisterReview.review_id == opening.review_id)
                )
            )
            if listed:
                return sorted(listed)
            ids = list(
                await session.scalars(
                    select(Customer.id)
                    .where(Customer.unit_code == opening.unit, Customer.status.in_(REVIEWED_STATUSES))
                    .order_by(Customer.id)
                )
            )
            session.add_all(
                RegisterReview(
                    review_id=opening.review_id, unit_code=opening.unit, period=opening.period, customer_id=i
                )
                for i in ids
            )
            return ids

    @activity.defn
    @fails_visibly_on_bad_data
    async def record_review(self, record: ReviewRecord) -> None:
        """Each customer's result, and the card's status where the result changes it (004 §4, §6)."""
        async with write_transaction(self.sessions) as session:
            for customer_id, result in record.results.items():
                written: CursorResult[Any] = await session.execute(  # type: ignore[assignment]
                    update(RegisterReview)
                    .where(
                        RegisterReview.review_id == record.review_id,
                        RegisterReview.customer_id == customer_id,
                        RegisterReview.result.is_(None),
                    )
                    .values(result=result.value, decided_by=record.decided_by, decided_at=record.decided_at)
                )
                status = RESULT_STATUS[result]
                if status is None or written.rowcount != 1:  # confirmed, or already recorded by a retry
                    continue
                customer = await session.get(Customer, customer_id)
                if (
                    customer is None
                    or status_problem(customer.status, CustomerStatus(status)) is not None
                    or customer_problem(CustomerOperation.change_status, customer.status, customer.destroyed_at)
                ):
                    continue  # terminated or destroyed meanwhile: the result stays recorded, the card as is
                session.add(
                    CustomerChange(
                        customer_id=customer_id,
                        kind=ChangeKind.status.value,
                        field="status",
                        old_value=customer.status,
                        new_value=status,
                        reason=f"register review {record.period} ({record.review_id}), 004 §4 (二)",
                        evidence=record.comment,
                        process_id=None,  # one review changes many files: the reason names it
                        requested_by=record.decided_by,
                        approved_by=record.decided_by,
                        changed_at=record.decided_at,
                    )
                )
                customer.status = status
