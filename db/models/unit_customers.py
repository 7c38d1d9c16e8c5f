"""Depot and station customers (000 §8, §9): the customer ledger, its running balance, the invoice register."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base

# --- issue 11 §1-§2: depot and station customers (000 §8, §9): customer ledger, invoice register --


class CustomerLedgerEntry(Base):
    """One booking of the customer ledger (000 §9 (一) 先款后货): a receipt finance confirmed, or a
    delivery drawn against it. General on purpose: the credit issue (000 §13) books here too."""

    __tablename__ = "customer_ledger"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # domain.ledger.LedgerKind: receipt | delivery
    amount: Mapped[Decimal] = mapped_column(Numeric(18, 2))  # always positive; the kind gives the sign
    reference: Mapped[str] = mapped_column(String(100))
    occurred_at: Mapped[datetime] = mapped_column()
    recorded_by: Mapped[str] = mapped_column(String(80))
    process_id: Mapped[str | None] = mapped_column(String(64))  # the top-up that confirmed a receipt
    created_at: Mapped[datetime] = mapped_column()
    # issue 12 §1 (000 §13): when a delivery falls due — the day it is made for a prepaid customer,
    # after the term for a credit customer; NULL for receipts. The import that booked the row, if any.
    due_on: Mapped[date | None] = mapped_column(Date)
    import_id: Mapped[int | None] = mapped_column(Integer)
    # issue 20: a correction is a reversing entry (the opposite kind) naming the entry it reverses; never an edit.
    reverses_id: Mapped[int | None] = mapped_column(
        ForeignKey("customer_ledger.id", name="fk_customer_ledger_reverses")
    )

    # A retried activity finds its receipt instead of booking it twice (NULLs never collide).
    __table_args__ = (
        UniqueConstraint("process_id", "kind", name="uq_customer_ledger_process_kind"),
        UniqueConstraint("reverses_id", name="uq_customer_ledger_reverses"),
        Index("ix_customer_ledger_due", "customer_id", "kind", "due_on"),
        Index("ix_customer_ledger_reference", "customer_id", "kind", "reference"),
    )


class CustomerBalance(Base):
    """The running balance of the ledger, one row per customer: a draw is one guarded UPDATE
    (`balance >= amount`), so two concurrent draws can never both spend the same money."""

    __tablename__ = "customer_balances"
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), primary_key=True)
    balance: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    updated_at: Mapped[datetime] = mapped_column()


class InvoiceRegisterEntry(Base):
    """发票登记 (000 §9 (三)): the VAT special-invoice certificate form of an approved customer; each
    invoice issued against it is registered here with its collection (领取)."""

    __tablename__ = "invoice_register"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    process_id: Mapped[str] = mapped_column(String(64))
    unit_code: Mapped[str] = mapped_column(String(40), index=True)
    entry: Mapped[str] = mapped_column(String(20))  # certificate | invoice
    certificate: Mapped[dict[str, object]] = mapped_column(JSON)  # domain.unit_customers.VatInvoiceInfo
    invoice_no: Mapped[str | None] = mapped_column(String(40))
    amount: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    collected_by: Mapped[str | None] = mapped_column(String(80))
    collected_at: Mapped[datetime | None] = mapped_column()
    registered_by: Mapped[str] = mapped_column(String(80))
    registered_at: Mapped[datetime] = mapped_column()
    # issue 20 item 8: an invoice entry is a process of its own (domain/vat_invoices.py); NULL on certificates.
    workflow_id: Mapped[str | None] = mapped_column(String(120))
    status: Mapped[str | None] = mapped_column(String(20))  # requested | issued | collected | refused | withdrawn
    issued_by: Mapped[str | None] = mapped_column(String(80))
    issued_at: Mapped[datetime | None] = mapped_column()

    __table_args__ = (UniqueConstraint("process_id", "entry", name="uq_invoice_register_process_entry"),)
