"""Starting the general manager's approval of a delivery beyond the credit limit (001 信用管理措施 §3).

`POST /customers/{id}/ledger` calls this when a credit customer's delivery is refused as over the
limit: the delivery waits for the GM, and is booked by the process once approved. `POST
/ledger/imports` calls it for deliveries booked already: the same approval, as a ratification; or,
for a prepaid balance the import overdrew, finance's task (domain/import_credit.py).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from temporalio.client import Client

from api.starts import start_process
from domain.credit import CreditCustomer, CreditStanding, over_limit_workflow_id, ratification_workflow_id
from domain.credit_application import OVER_LIMIT_CHAIN, OverLimitInput, OverLimitView
from domain.import_credit import (
    PREPAID_OVERDRAWN_CHAIN,
    RATIFICATION_CHAIN,
    Beyond,
    FollowUp,
    overdrawn_subject,
    ratification_reference,
)
from domain.ledger import LedgerEntry, LedgerKind
from domain.models import Actor, ApprovalInput, ProcessView

# finance's task is the regulation's duty, nobody's application: the importer (finance) may decide it
SYSTEM = Actor(username="system")


async def start_over_limit_approval(
    temporal: Client,
    task_queue: str,
    customer: CreditCustomer,
    entry: LedgerEntry,
    standing: CreditStanding,
    detail: str,
    actor: Actor,
) -> str:
    """Start `OverLimitApproval` for `entry`, posted by `actor`; the process id (run id) once the
    GM's task is in the inbox. Each refused posting is its own request: a fresh token per start."""
    view = await start_process(
        temporal,
        "OverLimitApproval",
        OverLimitInput(
            customer=customer,
            entry=entry.model_copy(update={"process_id": None}),
            standing=standing,
            detail=detail[:2000],
            applicant=actor,
            chain=OVER_LIMIT_CHAIN,
        ),
        workflow_id=over_limit_workflow_id(customer.credit_code, uuid.uuid4().hex[:12]),
        task_queue=task_queue,
        result_type=OverLimitView,
    )
    return view.process_id


async def start_import_follow_up(
    temporal: Client,
    task_queue: str,
    customer: CreditCustomer,
    beyond: Beyond,
    standing: CreditStanding,
    import_id: int,
    actor: Actor,
) -> str:
    """The process that answers for `beyond` (one customer of import `import_id`): its process id."""
    token = uuid.uuid4().hex[:12]
    detail = (
        f"ERP import {import_id} by {actor.username}: rows {beyond.rows_text} delivered {beyond.amount:.2f}, "
        f"available before {beyond.available_before:.2f}; booked as ERP facts"
    )
    if beyond.follow_up is FollowUp.ratification:
        entry = LedgerEntry(
            customer_id=customer.customer_id,
            kind=LedgerKind.delivery,
            amount=beyond.amount,
            reference=ratification_reference(import_id, beyond),
            occurred_at=datetime.now(UTC),
            recorded_by=actor.username,
        )
        start = OverLimitInput(
            customer=customer,
            entry=entry,
            standing=standing,
            detail=detail,
            applicant=actor,
            chain=RATIFICATION_CHAIN,
            ratification=True,
        )
        held = await start_process(
            temporal,
            "OverLimitApproval",
            start,
            workflow_id=ratification_workflow_id(customer.credit_code, token),
            task_queue=task_queue,
            result_type=ProcessView,
        )
        return held.process_id
    task = ApprovalInput(
        chain=PREPAID_OVERDRAWN_CHAIN,
        subject=overdrawn_subject(customer, beyond, import_id),
        applicant=SYSTEM,
        unit=customer.unit,
        detail=detail,
    )
    view = await start_process(
        temporal,
        "Approval",
        task,
        workflow_id=f"prepaid-overdrawn-{customer.credit_code}-{token}",
        task_queue=task_queue,
        result_type=ProcessView,
    )
    return view.process_id
