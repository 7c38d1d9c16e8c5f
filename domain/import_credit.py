"""Credit control over the ERP ledger import (000 §13; 001 信用管理措施 §3; 000 §9 (一)), free of I/O.

An import books deliveries finance already made in its ERP: facts, booked even beyond what the
customer could take (refusing them would make the ledger lie). But no gate is skipped by importing:

- a credit customer (periodic settlement) taken beyond what it had available gets the general
  manager's over-limit approval all the same — as a ratification (追认), since the goods are gone —
  and takes nothing more on credit until the GM decides (`domain.credit.CreditHold`);
- a prepaid customer (000 §9 (一) 先款后货) whose balance the import took below zero is never
  overdrawn silently: the import names the rows that overdrew, and finance gets a task to settle it.

Which rows went beyond is read running through the file in order from each customer's standing
before the import: receipts add to what is available, deliveries take from it.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel

from domain.approvals import ChainSpec, StepSpec
from domain.credit import CreditCustomer, Settlement
from domain.credit_application import OVER_LIMIT_PROCESS, OVER_LIMIT_WORKING_DAYS, REMIND_BEFORE_HOURS
from domain.ledger import ZERO, LedgerKind
from domain.roles import Role

PREPAID_OVERDRAWN_PROCESS = "prepaid_overdrawn"


class FollowUp(StrEnum):
    ratification = "ratification"  # the GM ratifies a credit customer's deliveries beyond the limit (001 §3)
    finance = "finance"  # finance settles a prepaid balance the import overdrew (000 §9 (一))


def follow_up(settlement: Settlement) -> FollowUp:
    """A customer on periodic settlement went over its limit; anyone else paid before goods."""
    return FollowUp.ratification if settlement is Settlement.periodic else FollowUp.finance


class Beyond(BaseModel):
    """One customer's rows of one import that went beyond what it had available."""

    customer_id: int
    follow_up: FollowUp
    rows: list[int]
    amount: Decimal  # the deliveries of those rows, together
    available_before: Decimal  # what the customer could take before the import

    @property
    def rows_text(self) -> str:
        return ", ".join(str(r) for r in self.rows)


def beyond_available(available: dict[int, Decimal], moves: Iterable[tuple[int, LedgerKind, Decimal]]) -> list[int]:
    """The positions of the deliveries in `moves` (customer, kind, amount, in file order) that take
    more than the customer has available at that point; `available` is each one's before the file."""
    left = dict(available)
    beyond: list[int] = []
    for position, (customer_id, kind, amount) in enumerate(moves):
        if kind is LedgerKind.receipt:
            left[customer_id] += amount
            continue
        if amount > left[customer_id]:
            beyond.append(position)
        left[customer_id] = max(left[customer_id] - amount, ZERO)
    return beyond


# 001 §3 the GM approves a delivery beyond the credit range; imported, it is ratified. No return.
RATIFICATION_CHAIN = ChainSpec(
    process_type=OVER_LIMIT_PROCESS,
    title="超信用范围发货追认 Ratify imported deliveries beyond the credit limit",
    citation="001 信用管理措施 §3",
    steps=(
        StepSpec(
            key="gm_ratification",
            title="总经理追认超信用范围发货 General manager ratifies deliveries beyond the limit",
            role=Role.general_manager,
            due_working_days=OVER_LIMIT_WORKING_DAYS,
            remind_before_hours=REMIND_BEFORE_HOURS,
            allow_return=False,
            citation="001 信用管理措施 §3",
            rules=("001-credit-3-gm-ratifies-import",),
        ),
    ),
)

# 000 §9 (一) 先款后货 / 确认款项到账 is finance's: an overdrawn prepaid balance is finance's to settle.
# ASSUMPTION (the seeds give no figure): due in one working day, like the over-limit approval.
PREPAID_OVERDRAWN_CHAIN = ChainSpec(
    process_type=PREPAID_OVERDRAWN_PROCESS,
    title="预付余额透支处理 Prepaid balance overdrawn by an ERP import",
    citation="000 §9 (一)",
    steps=(
        StepSpec(
            key="finance_settle",
            title="财务资产部核实并收回透支款 Finance verifies and recovers the overdrawn amount",
            role=Role.finance_reviewer,
            due_working_days=OVER_LIMIT_WORKING_DAYS,
            remind_before_hours=REMIND_BEFORE_HOURS,
            allow_return=False,
            citation="000 §9 (一)",
        ),
    ),
)


def overdrawn_subject(customer: CreditCustomer, beyond: Beyond, import_id: int) -> str:
    return (
        f"{customer.name} 预付余额透支 {beyond.amount:.2f}: ERP import {import_id} rows {beyond.rows_text}, "
        f"available before {beyond.available_before:.2f} (000 §9 (一))"
    )[:200]


def ratification_reference(import_id: int, beyond: Beyond) -> str:
    return f"ERP import {import_id} rows {beyond.rows_text}"[:100]
