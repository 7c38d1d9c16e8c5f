"""The customer record (000 §10; 004): the card and its documents, the record a creation step ended
in, the change log and the transaction-start survey."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.models.base import Base


class Customer(Base):
    """The customer card 客户档案卡 (000 §10, 001 summary form), created once onboarding is approved."""

    __tablename__ = "customers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default="active")
    grade: Mapped[str] = mapped_column(String(2), default="C")  # 001 §1: new customers are C in year one
    address: Mapped[str] = mapped_column(String(300))
    legal_representative: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(40))
    registered_capital: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    card: Mapped[dict[str, object]] = mapped_column(JSON)  # every archive field as submitted
    onboarding_process_id: Mapped[str] = mapped_column(String(64), unique=True)
    trading_since: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column()
    created_by: Mapped[str] = mapped_column(String(80))
    # The owning unit (000 §5 分级实施; 004 §3): it and the units above it read the file, another
    # depot or station does not. The unit of the process that created it, else its applicant's.
    unit_code: Mapped[str] = mapped_column(String(40), index=True)
    # --- issue 11 §3: the customer record (000 §10 (三), 001 summary form, 004 §4-§6) ---------
    # Nullable: files created before 0011, and by processes that do not collect them, lack them.
    postcode: Mapped[str | None] = mapped_column(String(6))
    fax: Mapped[str | None] = mapped_column(String(40))
    owner: Mapped[str | None] = mapped_column(String(100))  # 所有者
    manager: Mapped[str | None] = mapped_column(String(100))  # 经营管理者
    organisation_form: Mapped[str | None] = mapped_column(String(100))
    industry: Mapped[str | None] = mapped_column(String(100))
    scale: Mapped[str | None] = mapped_column(String(100))
    business_scope: Mapped[str | None] = mapped_column(String(2000))
    registration_authority: Mapped[str | None] = mapped_column(String(200))
    registered_on: Mapped[date | None] = mapped_column(Date)
    employees: Mapped[int | None] = mapped_column(Integer)
    revenue: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    net_assets: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    bank_name: Mapped[str | None] = mapped_column(String(200))
    bank_account: Mapped[str | None] = mapped_column(String(64))
    foreign_currency_account: Mapped[str | None] = mapped_column(String(64))
    bank_rating: Mapped[str | None] = mapped_column(String(20))
    # The person responsible for the customer (000 §10 (四)): moves only by a recorded hand-over.
    owner_person: Mapped[str | None] = mapped_column(String(80), index=True)
    destroyed_at: Mapped[datetime | None] = mapped_column()  # 004 §6: the file destroyed, the log kept
    destroyed_by: Mapped[str | None] = mapped_column(String(80))
    # --- end issue 11 §3 -------------------------------------------------------------------------
    documents: Mapped[list[CustomerDocument]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="CustomerDocument.id"
    )


class CustomerDocument(Base):
    __tablename__ = "customer_documents"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(40))
    number: Mapped[str] = mapped_column(String(64))
    issuer: Mapped[str | None] = mapped_column(String(128))
    valid_until: Mapped[date | None] = mapped_column(Date)
    stamped_copy: Mapped[bool] = mapped_column(Boolean, default=True)
    original: Mapped[bool] = mapped_column(Boolean, default=False)  # 原件 handed over (000 §6 item 9)


# --- issue 11 §4: one customer creation (000 §6 (五), §7 (六), §8, §9) ------------------------------


class CustomerLink(Base):
    """The customer record a process's creation step ended in: the one it created, or, its credit
    code being on file already, the existing record it was linked to (one customer per credit code)."""

    __tablename__ = "customer_links"
    process_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    credit_code: Mapped[str] = mapped_column(String(18))
    process_type: Mapped[str] = mapped_column(String(40))
    created: Mapped[bool] = mapped_column(Boolean)  # False: linked to a record that already existed
    linked_at: Mapped[datetime] = mapped_column()
    linked_by: Mapped[str] = mapped_column(String(80))


# --- issue 11 §3 part 1: the customer record — change log and transaction-start survey ------------


class CustomerChange(Base):
    """The change log of a file (000 §10 (四)): every approved card change field by field, every
    status change, hand-over and destruction, with who asked, who approved, when and why. Rows are
    only ever added; a destroyed file keeps its log."""

    __tablename__ = "customer_changes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # card | status | hand_over | destruction
    field: Mapped[str] = mapped_column(String(60))
    old_value: Mapped[Any | None] = mapped_column(JSON)
    new_value: Mapped[Any | None] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(String(2000))
    evidence: Mapped[str | None] = mapped_column(String(2000))
    process_id: Mapped[str | None] = mapped_column(String(64), index=True)  # the approving process
    requested_by: Mapped[str] = mapped_column(String(80))
    approved_by: Mapped[str | None] = mapped_column(String(80))
    changed_at: Mapped[datetime] = mapped_column()

    __table_args__ = (UniqueConstraint("process_id", "field", name="uq_customer_changes_process_field"),)


class CustomerSurvey(Base):
    """交易开始调查书 (004 §4 (一)): recorded once, before the first transaction."""

    __tablename__ = "customer_surveys"
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), primary_key=True, autoincrement=False)
    direction: Mapped[str] = mapped_column(String(10))
    products: Mapped[str] = mapped_column(String(200))
    development_potential: Mapped[str | None] = mapped_column(String(2000))
    business_direction: Mapped[str | None] = mapped_column(String(2000))
    cooperation_attitude: Mapped[str | None] = mapped_column(String(2000))
    reputation: Mapped[str | None] = mapped_column(String(2000))
    credit_standing: Mapped[str] = mapped_column(String(2000))
    trade_conditions: Mapped[str] = mapped_column(String(2000))
    expected_monthly_tonnes: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    surveyed_by: Mapped[str] = mapped_column(String(80))
    surveyed_at: Mapped[datetime] = mapped_column()
    # issue 20 item 9 (004 §4 (一)): the unit head's approval; NULL on surveys recorded before it.
    process_id: Mapped[str | None] = mapped_column(String(64))
    approved_by: Mapped[str | None] = mapped_column(String(80))
    approved_at: Mapped[datetime | None] = mapped_column()
