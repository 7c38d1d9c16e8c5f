"""External purchase and sale (000 §7): deals, the people each names, and their tenders."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base


class TradeDeal(Base):
    """Projection of one external purchase/sale deal (000 §7): partner, stage, contract, payments."""

    __tablename__ = "trade_deals"
    process_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    workflow_id: Mapped[str] = mapped_column(String(200))
    partner_name: Mapped[str] = mapped_column(String(200))
    partner_credit_code: Mapped[str] = mapped_column(String(18), index=True)
    ownership: Mapped[str] = mapped_column(String(20))
    preferred: Mapped[bool] = mapped_column(Boolean)  # 000 §7 (二): state-owned/controlled first
    direction: Mapped[str] = mapped_column(String(10))
    products: Mapped[str] = mapped_column(String(100))
    applicant: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(20))
    stage: Mapped[str] = mapped_column(String(30))
    customer_id: Mapped[int | None] = mapped_column(Integer)
    counterpart_name: Mapped[str | None] = mapped_column(String(200))
    contract_amount: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    paid_amount: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    contract: Mapped[dict[str, object] | None] = mapped_column(JSON)
    payments: Mapped[list[dict[str, object]]] = mapped_column(JSON)
    started_at: Mapped[datetime] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column()
    version: Mapped[int] = mapped_column(Integer)

    __table_args__ = (Index("ix_trade_deals_status_preferred", "status", "preferred"),)


class TradeHandler(Base):
    """A person a deal names (000 §7): its applicant, the handler 经办人, and the co-handlers the
    application lists. Only they act on the deal as marketing; they read it too."""

    __tablename__ = "trade_handlers"
    process_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(String(80), primary_key=True, index=True)


class TradeTender(Base):
    """One tender of a deal (000 §7 (五)) with every bid and revision and the ranking, for auditors."""

    __tablename__ = "trade_tenders"
    tender_id: Mapped[str] = mapped_column(String(80), primary_key=True)  # "<process_id>:<number>"
    process_id: Mapped[str] = mapped_column(String(64), index=True)
    workflow_id: Mapped[str] = mapped_column(String(200))
    number: Mapped[int] = mapped_column(Integer)
    subject: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), index=True)
    conditions: Mapped[str] = mapped_column(Text)
    invited_range: Mapped[str] = mapped_column(Text)
    bidding_deadline: Mapped[datetime] = mapped_column()
    opened_by: Mapped[str] = mapped_column(String(80))
    opened_at: Mapped[datetime] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column()
    bidder_count: Mapped[int] = mapped_column(Integer)
    bids: Mapped[list[dict[str, object]]] = mapped_column(JSON)
    ranking: Mapped[list[dict[str, object]]] = mapped_column(JSON)
    winner_credit_code: Mapped[str | None] = mapped_column(String(18))
    winner_name: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column()
    version: Mapped[int] = mapped_column(Integer)
