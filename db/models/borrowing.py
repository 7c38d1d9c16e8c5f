"""File borrowing (002 rule 1, 004 §3) and the half-yearly register reviews (004)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base

# --- issue 11 §3 part 2: file borrowing (002 rule 1, 004 §3) and register reviews (004) ----------


class Borrowing(Base):
    """借阅登记: one loan of a customer file, from request to return (002 rule 1, 004 §3). While
    `status` is `lent` the borrower reads the file (api/visibility/); never writes it."""

    __tablename__ = "borrowings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    process_id: Mapped[str] = mapped_column(String(64), unique=True)
    workflow_id: Mapped[str] = mapped_column(String(120))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    borrower: Mapped[str] = mapped_column(String(80), index=True)
    borrower_unit: Mapped[str | None] = mapped_column(String(40))
    owner_unit: Mapped[str] = mapped_column(String(40))
    purpose: Mapped[str] = mapped_column(String(500))
    return_by: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))  # requested | lent | returned | refused | withdrawn
    requested_at: Mapped[datetime] = mapped_column()
    lent_at: Mapped[datetime | None] = mapped_column()
    approved_by: Mapped[str | None] = mapped_column(String(80))
    returned_at: Mapped[datetime | None] = mapped_column()
    return_recorded_by: Mapped[str | None] = mapped_column(String(80))
    overdue_level: Mapped[int] = mapped_column(Integer, default=0)
    # issue 20 item 9 (002 rule 1 第二节): an outsider's reading, with their unit's introduction letter.
    outsider_name: Mapped[str | None] = mapped_column(String(80))
    outsider_organisation: Mapped[str | None] = mapped_column(String(200))
    introduction_letter: Mapped[str | None] = mapped_column(String(100))


class RegisterReview(Base):
    """One customer's line in a unit's February/August register review (004): confirm, suspend or
    move to past; `result` is empty until the unit's reviewer decides."""

    __tablename__ = "register_reviews"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    review_id: Mapped[str] = mapped_column(String(64), index=True)  # the review process (run id)
    unit_code: Mapped[str] = mapped_column(String(40), index=True)
    period: Mapped[str] = mapped_column(String(7))  # e.g. 2027-02
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    result: Mapped[str | None] = mapped_column(String(20))  # confirm | suspend | past
    decided_by: Mapped[str | None] = mapped_column(String(80))
    decided_at: Mapped[datetime | None] = mapped_column()

    __table_args__ = (UniqueConstraint("review_id", "customer_id", name="uq_register_reviews_customer"),)
