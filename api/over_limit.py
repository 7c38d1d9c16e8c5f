"""Starting the general manager's approval of a delivery beyond the credit limit (001 信用管理措施 §3).

`POST /customers/{id}/ledger` calls this when a credit customer's delivery is refused as over the
limit: the delivery waits for the GM, and is booked by the process once approved.
"""

from __future__ import annotations

import uuid

from temporalio.client import Client

from api.starts import start_process
from domain.credit import CreditCustomer, CreditStanding, over_limit_workflow_id
from domain.credit_application import OVER_LIMIT_CHAIN, OverLimitInput, OverLimitView
from domain.ledger import LedgerEntry
from domain.models import Actor


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
