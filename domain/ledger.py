"""The customer ledger: money received from a customer and goods delivered against it (000 §9 (一)).

Payment before goods 先款后货 (000 §9 (一), §13): a customer draws only against funds finance has
confirmed. The balance is receipts minus deliveries; the credit issue (000 §13) extends this ledger
with a credit limit that lets the balance go below zero — `draw_problem` takes that limit already.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, Field

from domain.rulebook import enforces
from domain.text import StoredText

ZERO = Decimal("0.00")


class LedgerKind(StrEnum):
    receipt = "receipt"  # funds finance confirmed arrived (000 §9 (一) 确认款项到账)
    delivery = "delivery"  # goods drawn against the balance (加油 / 提货)


SIGN: dict[LedgerKind, int] = {LedgerKind.receipt: 1, LedgerKind.delivery: -1}


class LedgerEntry(BaseModel):
    """One booking, as an activity or the API writes it."""

    customer_id: int
    kind: LedgerKind
    amount: Decimal = Field(gt=0, max_digits=18, decimal_places=2)
    reference: StoredText = Field(min_length=1, max_length=100)
    occurred_at: datetime
    recorded_by: str
    process_id: str | None = None  # the top-up process that confirmed a receipt


def signed(kind: LedgerKind, amount: Decimal) -> Decimal:
    return SIGN[kind] * amount


def balance(entries: Iterable[tuple[LedgerKind, Decimal]]) -> Decimal:
    """Receipts minus deliveries."""
    return sum((signed(kind, amount) for kind, amount in entries), ZERO)


@enforces("000-9-payment-before-goods")
def draw_problem(confirmed: Decimal, amount: Decimal, credit_limit: Decimal = ZERO) -> str | None:
    """Why a draw of `amount` is refused against the confirmed balance; None when it may go ahead."""
    available = confirmed + credit_limit
    if amount <= available:
        return None
    return (
        f"payment before goods (000 §9 (一) 先款后货): the confirmed balance is {confirmed:.2f}, "
        f"the draw is {amount:.2f}, short by {amount - available:.2f}"
    )


# --- corrections (issue 20): a booked entry is never edited; a reversing entry cancels it ----------

OPPOSITE: dict[LedgerKind, LedgerKind] = {
    LedgerKind.receipt: LedgerKind.delivery,
    LedgerKind.delivery: LedgerKind.receipt,
}


def reversal_problem(*, is_reversal: bool, reversed_by: int | None) -> str | None:
    """Why an entry may not be reversed: once only, and a reversal is not itself reversed (book the
    entry again instead). The ledger is evidence for the auditors (000 §9 (一), §13): it only grows."""
    if reversed_by is not None:
        return f"the entry is reversed already (entry {reversed_by}): an entry is reversed once"
    if is_reversal:
        return "the entry is itself a reversal: book the original again rather than reversing a reversal"
    return None


def reversal_reference(entry_id: int, reference: str) -> str:
    return f"冲销 #{entry_id} {reference}"[:100]
