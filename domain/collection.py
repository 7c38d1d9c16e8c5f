"""Month-end collection — 月末收回 (000 §13), free of I/O.

000 §13: 对于实行月度定期结算的业务, 应指定业务人员负责货款回收, 全部货款必须在月末收回, 严禁发生
应收账款未回收的情况. On the last working day of each month every credit customer (periodic
settlement) that owes money gets a collection task for its designated collector (the marketing
manager when none is designated). The task is closed when the amount owed at the round has come in —
by the collector's "collected", refused while money is still missing, or by the system once the
receipts cover it. Not collected by the deadline (the credit policy's `collection_working_days`,
configuration), it escalates to the marketing manager, then to the business VP (000 §16).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, Field

from domain.approvals import ChainSpec, StepSpec
from domain.credit import CreditCustomer, collection_workflow_id
from domain.ledger import ZERO
from domain.roles import Role

PROCESS_TYPE = "credit_collection"
STEP = "collect"
# 000 §16 "nobody may shirk": an uncollected month end goes up the line, one level per missed period.
COLLECTION_LADDER = (Role.marketing_manager, Role.business_vp)
# ASSUMPTION (the seeds give no hour): the round runs at 09:00 China time, the office's opening,
# on the 20th to the 31st — the last working day of a month never falls before the 20th (the longest
# official holiday, Spring Festival, is nine days).
ROUND_CRON = "0 9 20-31 * *"
# Who is collected: every customer whose balance is below zero, whatever its terms now. Reading of
# 000 §13 (严禁发生应收账款未回收的情况): the duty follows the money owed, not the current terms — a
# customer whose credit was withdrawn (back to prepaid) or lowered, or a prepaid customer an ERP
# import overdrew, still owes what it took, and that is collected at month end like any credit.
OWES_BELOW = ZERO


def collection_chain(working_days: int) -> ChainSpec:
    """The collector's one step: named (the customer's designated collector, 000 §13 指定业务人员);
    without a collector, or one who is no longer active, the marketing manager's role holds it."""
    return ChainSpec(
        process_type=PROCESS_TYPE,
        title="月末货款回收 Month-end collection",
        citation="000 §13",
        steps=(
            StepSpec(
                key=STEP,
                title="月末收回全部货款 Collect the outstanding amount by month end",
                role=Role.marketing_manager,
                named=True,
                due_working_days=working_days,
                remind_before_hours=2,
                escalate_to=COLLECTION_LADDER,
                allow_return=False,
                citation="000 §13",
                rules=("000-13-collected-by-month-end", "000-13-named-collector"),
            ),
        ),
    )


def month_of(day: date) -> str:
    return day.strftime("%Y-%m")


def remaining(amount: Decimal, received: Decimal) -> Decimal:
    """What is still missing of the month-end amount: receipts since the round pay it, nothing else."""
    return amount - received if received < amount else ZERO


class CollectionRoundInput(BaseModel):
    """What the schedule starts; `day` (China date) defaults to today in China — tests give it."""

    day: date | None = None
    after_customer_id: int = Field(default=0, ge=0)  # a round continued-as-new goes on from here


class MonthEnd(BaseModel):
    """The calendar's answer for a day: is it the last working day of its month?"""

    day: date
    last_working_day: date
    is_last: bool
    provisional: bool = Field(description="the year is beyond the official schedule: weekends only")


class CollectionDue(BaseModel):
    """A credit customer owing money at the round: the amount, and the last ledger entry it covers."""

    customer: CreditCustomer
    amount: Decimal
    collector: str | None = None
    last_entry_id: int = 0


class DuePage(BaseModel):
    after_customer_id: int = 0
    limit: int = Field(default=200, ge=1, le=1000)
    month: str | None = None  # the round's month: its dues are recorded (issue 20); None in older histories


class CollectionInput(BaseModel):
    """One customer's collection of one month end."""

    due: CollectionDue
    month: str = Field(pattern=r"^\d{4}-\d{2}$")
    round_day: date
    chain: ChainSpec

    @property
    def workflow_id(self) -> str:
        return collection_workflow_id(self.due.customer.credit_code, self.month)


class CollectionCheck(BaseModel):
    customer_id: int
    after_entry_id: int
    amount: Decimal
    month: str | None = None  # None in older histories: every receipt since the round counts


class RecordedDue(BaseModel):
    """A month's collection as its round recorded it (`credit_collection_dues`)."""

    month: str
    amount: Decimal
    last_entry_id: int


def allocate(dues: list[RecordedDue], receipts: list[tuple[int, Decimal]]) -> dict[str, Decimal]:
    """What each month's collection received: a receipt counts toward ONE collection only (issue 20).

    Receipts (ledger id, amount), in id order, pay the dues oldest month first; a receipt pays only a
    collection whose round it followed (id above the round's last entry). A newer month's amount is
    what the customer owed beyond the older collections still open (`carried`), so the months never
    claim the same money twice and the collector is never asked for more than is owed (000 §13)."""
    ids = [receipt_id for receipt_id, _ in receipts]
    left = [amount for _, amount in receipts]
    received: dict[str, Decimal] = {}
    for due in sorted(dues, key=lambda d: d.month):
        got = ZERO
        for i, receipt_id in enumerate(ids):
            if got >= due.amount:
                break
            if receipt_id <= due.last_entry_id or left[i] <= ZERO:
                continue
            take = min(left[i], due.amount - got)
            left[i] -= take
            got += take
        received[due.month] = got
    return received


def carried(older: list[RecordedDue], receipts: list[tuple[int, Decimal]]) -> Decimal:
    """What older months' collections still miss: owed already, collected by them, not by a new one."""
    received = allocate(older, receipts)
    return sum((remaining(d.amount, received[d.month]) for d in older), ZERO)


class CollectionStatus(BaseModel):
    """The month-end amount, what came in since the round, and what is still missing."""

    amount: Decimal
    received: Decimal
    remaining: Decimal
    balance: Decimal

    @property
    def cleared(self) -> bool:
        return self.remaining <= ZERO

    def figures(self) -> str:
        return (
            f"month-end amount {self.amount:.2f}, received since {self.received:.2f}, "
            f"still unpaid {self.remaining:.2f}, balance now {self.balance:.2f}"
        )


class CollectionRoundResult(BaseModel):
    day: date
    month: str
    is_last_working_day: bool
    provisional: bool = False
    opened: list[str] = Field(default_factory=list)


class Cleared(BaseModel):
    """Who closed the collection, when and why (the collector, or the system on receipts)."""

    by: str
    at: datetime
    reason: str
    status: CollectionStatus
