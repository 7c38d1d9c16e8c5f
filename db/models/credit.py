"""Credit (000 §13; 001; 003 §6): each customer's terms and risk, the decisions that changed them,
monthly collections, and the ERP files finance imported into the ledger."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base

# --- issue 12 §1: credit (000 §13; 001 信用管理措施; 003 §6) --------------------------------------


class CreditAccount(Base):
    """A customer's credit terms and risk (000 §13, 003 §6); no row means payment before goods.
    The balance itself stays in `customer_balances`: one running figure, one guarded UPDATE."""

    __tablename__ = "credit_accounts"
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), primary_key=True, autoincrement=False)
    settlement: Mapped[str] = mapped_column(String(10), index=True)  # domain.credit.Settlement
    credit_limit: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    term_days: Mapped[int] = mapped_column(Integer)
    collateral: Mapped[str | None] = mapped_column(String(500))  # 资产抵押、担保 (000 §13)
    collector: Mapped[str | None] = mapped_column(String(80))  # 指定业务人员负责货款回收 (000 §13)
    risk_level: Mapped[str] = mapped_column(String(10), index=True)  # domain.credit.RiskLevel
    overdue_amount: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    overdue_days: Mapped[int] = mapped_column(Integer)
    review_required: Mapped[bool] = mapped_column(Boolean)  # high risk: credit sales blocked until reviewed
    risk_since: Mapped[datetime | None] = mapped_column()
    granted_process_id: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column()
    # issue 20 (001 §3): an imported delivery beyond the limit awaits the GM's ratification, or was refused it
    credit_hold: Mapped[str | None] = mapped_column(String(20))  # domain.credit.CreditHold


class CreditDecision(Base):
    """Every change of a customer's credit terms, with who decided, when and why: an application
    granted, a semiannual or risk review's outcome (keep / lower / withdraw), for the auditors."""

    __tablename__ = "credit_decisions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    process_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # application | review
    outcome: Mapped[str] = mapped_column(String(20))  # granted | keep | lower | withdraw
    old_settlement: Mapped[str | None] = mapped_column(String(10))
    new_settlement: Mapped[str] = mapped_column(String(10))
    old_limit: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    new_limit: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    term_days: Mapped[int] = mapped_column(Integer)
    form: Mapped[dict[str, Any]] = mapped_column(JSON)  # the application or the review form as decided
    reason: Mapped[str] = mapped_column(String(2000))
    decided_by: Mapped[str] = mapped_column(String(80))
    decided_at: Mapped[datetime] = mapped_column()


class CreditCollectionDue(Base):
    """A month's collection of a customer as its round opened it (000 §13; issue 20): the amount asked
    beyond older collections still open, and the last ledger entry the round saw — so receipts are
    shared out over the months once (domain.collection.allocate)."""

    __tablename__ = "credit_collection_dues"
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), primary_key=True, autoincrement=False)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # YYYY-MM
    amount: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    last_entry_id: Mapped[int] = mapped_column(Integer)
    recorded_at: Mapped[datetime] = mapped_column()


class LedgerImport(Base):
    """One file finance imported from its ERP; every row it booked names it (`customer_ledger.import_id`)."""

    __tablename__ = "ledger_imports"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    filename: Mapped[str] = mapped_column(String(200))
    format: Mapped[str] = mapped_column(String(10))  # csv | xlsx
    rows: Mapped[int] = mapped_column(Integer)
    imported_by: Mapped[str] = mapped_column(String(80))
    imported_at: Mapped[datetime] = mapped_column()
