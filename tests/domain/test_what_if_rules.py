"""The pure comparisons of the what-if (domain/what_if.py; issue 21 §4)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from domain.documents import ONBOARDING_REQUIRED, Document, DocumentType
from domain.what_if import (
    WhatIfAnswer,
    WhatIfCustomer,
    WhatIfProcess,
    onboarding_would_expire,
    onboarding_would_fail,
    readable_only,
)

ON = date(2030, 6, 1)
NEW = DocumentType.hazardous_chemicals_trading_license


def documents(*, drop: tuple[DocumentType, ...] = (), expiring: DocumentType | None = None) -> list[Document]:
    """Every listed document and NEW, in force past ON except `expiring` (valid until the day before)."""
    kept = [t for t in (*ONBOARDING_REQUIRED, NEW) if t not in drop]
    return [
        Document(type=t, number="NO-1", valid_until=ON - timedelta(days=1) if t is expiring else None) for t in kept
    ]


@pytest.mark.rule("000-6-documents")
def test_lacking_names_only_the_documents_the_application_lacks_and_expiry_is_told_apart() -> None:
    candidate = [*ONBOARDING_REQUIRED, NEW]
    assert onboarding_would_fail(documents(), candidate) == []
    assert onboarding_would_fail(documents(drop=(NEW,)), candidate) == [
        f"000 §6 (onboarding_documents candidate): missing document: {NEW.value} (危险化学品经营许可证)"
    ]
    first = ONBOARDING_REQUIRED[0]
    expiring = documents(expiring=first)
    assert onboarding_would_fail(expiring, candidate) == []  # present: not lacking, whatever its date
    [expired] = onboarding_would_expire(expiring, candidate, ON)
    assert expired.startswith(f"000 §6 validity on {ON.isoformat()}: expired document: {first.value}")
    assert onboarding_would_expire(expiring, candidate, ON - timedelta(days=1)) == []


def test_an_asker_sees_what_they_read_and_only_a_count_of_the_rest() -> None:
    def process(process_id: str) -> WhatIfProcess:
        return WhatIfProcess(
            process_id=process_id,
            workflow_id=f"wf-{process_id}",
            process_type="onboarding",
            subject="s",
            status="running",
        )

    answer = WhatIfAnswer(
        rule="onboarding_documents",
        effective_from=ON,
        processes=[process("p1"), process("p2"), process("p3")],
        customers=[WhatIfCustomer(customer_id=1, name="甲"), WhatIfCustomer(customer_id=2, name="乙")],
        summary="3 open onboarding processes.",
    )
    seen = readable_only(answer, {"p2"}, {1})
    assert [p.process_id for p in seen.processes] == ["p2"] and [c.customer_id for c in seen.customers] == [1]
    assert (seen.unreadable_processes, seen.unreadable_customers) == (2, 1)
    assert seen.summary.startswith("3 open onboarding processes. Of these, 2 open processes and 1 customers")
    everything = readable_only(answer, {"p1", "p2", "p3"}, {1, 2})
    assert everything == answer  # nothing withheld, nothing said
