"""What may happen to a customer in each status (004 §4-§6): one table, one check, read by every
route and every store step that touches a customer.

004 §4 (四): a customer that is dissolved or whose relationship ended is taken off the register and
its file kept apart; §6: files of ended trade are kept as 交易中止 (suspended) or 交易过去 (past), and
a file with no hope of renewed trade is destroyed with the competent manager's approval. The articles
name the statuses, not the acts; the reading chosen here:

- nothing new is started with a customer that does not trade now: new deliveries, top-ups, credit
  applications, gradings, tender awards and visit plans need an active customer (a prospect may be
  surveyed, visited, developed and may bid; 004 §4 (一) the survey opens trade);
- what keeps the file true stays open for every file not destroyed: reads, card changes, status
  changes (their moves are domain/customer_record.py's STATUS_MOVES), hand-over, borrowing, credit
  reviews (they lower or withdraw credit, 003 §6) and development research (000 §12: win a
  suspended or past customer back; a terminated one is dissolved, 004 §4 (四));
- money owed is collected, a wrong ledger entry is reversed and complaints are taken whatever the
  status, destroyed files included (000 §13 all receivables collected; 000 §16 nobody may shirk a
  complaint);
- a VAT special invoice for fuel already paid for is owed whatever the status now (000 §9 (三)), but
  no longer once the file is destroyed;
- only a past file is destroyed (004 §6), once.

A destroyed file (`customers.destroyed_at`) counts as its own status, `destroyed`, whatever its
status column says.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Protocol

from domain.customer_record import CustomerStatus
from domain.errors import CONFLICT, Refused
from domain.rulebook import enforces

DESTROYED = "destroyed"


class CustomerOperation(StrEnum):
    """Every kind of act on an existing customer, whichever route or process performs it."""

    read = "read"
    change_card = "change_card"  # 000 §10 (四)
    change_status = "change_status"  # 004 §4-§6
    hand_over = "hand_over"  # 000 §10 (四)
    borrow_file = "borrow_file"  # 002 rule 1, 004 §3
    survey = "survey"  # 004 §4 (一) 交易开始调查书
    destroy_file = "destroy_file"  # 004 §6
    deliver = "deliver"  # goods on the ledger (000 §9 (一), §13)
    collect = "collect"  # money received or collected (000 §13)
    correct_ledger = "correct_ledger"  # a reversing entry: the money record kept true (000 §13)
    top_up = "top_up"  # prepaid funds (000 §9 (一))
    credit_application = "credit_application"  # 000 §13
    credit_review = "credit_review"  # 001 信用审核, 003 §6
    # a review's raise (001 信用审核 升级): more credit is granted only to a trading customer, as an
    # application is (000 §13); lowering or withdrawing stays open to every file (credit_review)
    raise_credit = "raise_credit"
    grade = "grade"  # 001 §1
    complain = "complain"  # 000 §16
    visit_plan = "visit_plan"  # 000 §15
    develop = "develop"  # 000 §12 development plans and research
    award = "award"  # 000 §7 (五)-(六): win a tender
    invoice = "invoice"  # 000 §9 (三): a VAT special invoice for fuel already paid for


_S = CustomerStatus
EVERY = frozenset({*(s.value for s in CustomerStatus), DESTROYED})
ON_FILE = EVERY - {DESTROYED}
TRADING = frozenset({_S.active.value})

ALLOWED: dict[CustomerOperation, frozenset[str]] = {
    CustomerOperation.read: EVERY,
    CustomerOperation.change_card: ON_FILE,
    CustomerOperation.change_status: ON_FILE,
    CustomerOperation.hand_over: ON_FILE,
    CustomerOperation.borrow_file: ON_FILE,
    CustomerOperation.survey: frozenset({_S.prospect.value, _S.active.value}),
    CustomerOperation.destroy_file: frozenset({_S.past.value}),
    CustomerOperation.deliver: TRADING,
    CustomerOperation.collect: EVERY,
    CustomerOperation.correct_ledger: EVERY,
    CustomerOperation.top_up: TRADING,
    CustomerOperation.credit_application: TRADING,
    CustomerOperation.credit_review: ON_FILE,
    CustomerOperation.raise_credit: TRADING,
    CustomerOperation.grade: TRADING,
    CustomerOperation.complain: EVERY,
    CustomerOperation.visit_plan: frozenset({_S.prospect.value, _S.active.value}),
    CustomerOperation.develop: ON_FILE - {_S.terminated.value},
    CustomerOperation.award: frozenset({_S.prospect.value, _S.active.value}),
    CustomerOperation.invoice: ON_FILE,
}


class GatedCustomer(Protocol):
    """What the check reads of a customer (the ORM row satisfies it)."""

    @property
    def status(self) -> str: ...

    @property
    def destroyed_at(self) -> datetime | None: ...


def gate_status(status: str, destroyed_at: datetime | None) -> str:
    """The status the table is read with: `destroyed` once the file is destroyed (004 §6)."""
    return DESTROYED if destroyed_at is not None else status


@enforces("004-4-nothing-new-unless-trading")
def customer_problem(operation: CustomerOperation, status: str, destroyed_at: datetime | None = None) -> str | None:
    """Why `operation` may not happen to a customer in this status (004 §4-§6); None when it may."""
    now = gate_status(status, destroyed_at)
    if now in ALLOWED[operation]:
        return None
    return f"the customer is {now}: {operation.value} is not allowed for a {now} customer (004 §4-§6)"


def customer_may(operation: CustomerOperation, customer: GatedCustomer) -> bool:
    return customer_problem(operation, customer.status, customer.destroyed_at) is None


def ensure_customer_may(operation: CustomerOperation, customer: GatedCustomer) -> None:
    """Raise the domain's 409 refusal naming the status when `operation` may not happen."""
    problem = customer_problem(operation, customer.status, customer.destroyed_at)
    if problem is not None:
        raise Refused(problem, CONFLICT)
