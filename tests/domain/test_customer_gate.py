"""The status gate as a table (004 §4-§6): every operation × every status, against the reading the
module's docstring states, written out here a second time so a change of the table is a decision."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.customer_gate import (
    DESTROYED,
    CustomerOperation,
    customer_may,
    customer_problem,
    ensure_customer_may,
)
from domain.customer_record import CustomerStatus
from domain.errors import CONFLICT, HTTP_STATUS, Refused

Op = CustomerOperation
STATUSES = [*(s.value for s in CustomerStatus), DESTROYED]
# Which statuses each operation is refused in (the rest allow it).
NOT_TRADING = {"prospect", "suspended", "past", "terminated", DESTROYED}
REFUSED: dict[CustomerOperation, set[str]] = {
    Op.read: set(),
    Op.collect: set(),
    Op.correct_ledger: set(),
    Op.complain: set(),
    Op.change_card: {DESTROYED},
    Op.change_status: {DESTROYED},
    Op.hand_over: {DESTROYED},
    Op.borrow_file: {DESTROYED},
    Op.invoice: {DESTROYED},
    Op.credit_review: {DESTROYED},
    Op.develop: {"terminated", DESTROYED},
    Op.survey: {"suspended", "past", "terminated", DESTROYED},
    Op.visit_plan: {"suspended", "past", "terminated", DESTROYED},
    Op.award: {"suspended", "past", "terminated", DESTROYED},
    Op.destroy_file: {"prospect", "active", "suspended", "terminated", DESTROYED},
    Op.deliver: NOT_TRADING,
    Op.top_up: NOT_TRADING,
    Op.credit_application: NOT_TRADING,
    Op.raise_credit: NOT_TRADING,
    Op.grade: NOT_TRADING,
}


class Row:
    def __init__(self, status: str) -> None:
        self.status = CustomerStatus.past.value if status == DESTROYED else status
        self.destroyed_at = datetime.now(UTC) if status == DESTROYED else None


def test_every_operation_is_decided() -> None:
    assert set(REFUSED) == set(CustomerOperation)


@pytest.mark.parametrize("operation", list(CustomerOperation))
@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.rule("004-4-nothing-new-unless-trading")
def test_every_operation_in_every_status(operation: CustomerOperation, status: str) -> None:
    refused = status in REFUSED[operation]
    assert customer_may(operation, Row(status)) is not refused
    problem = customer_problem(operation, Row(status).status, Row(status).destroyed_at)
    if not refused:
        assert problem is None
        ensure_customer_may(operation, Row(status))
        return
    assert problem is not None and f"is {status}" in problem and "004 §4-§6" in problem
    with pytest.raises(Refused) as caught:
        ensure_customer_may(operation, Row(status))
    assert HTTP_STATUS[caught.value.kind] == 409 and caught.value.kind == CONFLICT


def test_a_destroyed_file_reads_as_destroyed_whatever_its_status_column() -> None:
    problem = customer_problem(Op.destroy_file, CustomerStatus.past.value, datetime.now(UTC))
    assert problem is not None and "destroyed" in problem  # 004 §6: destroyed once
