"""Starting a credit review 客户升(降)级评审 from the API (001 信用审核; 003 §6).

The ledger route (api/routes/credit.py) calls `start_credit_review` after a posting turned a
customer's risk high; the review's id names the customer, the occasion and its key, so a second
start of the same review — from the route, the daily sweep or a retry — is harmless: None.
"""

from __future__ import annotations

from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from domain.credit import CreditReviewInput, credit_review_workflow_id


async def start_credit_review(temporal: Client, task_queue: str, review: CreditReviewInput) -> str | None:
    """Start the "CreditReview" process; its process id (run id), or None when this review (same
    customer, occasion and key) was already started — open or closed, it is not started twice."""
    try:
        handle = await temporal.start_workflow(
            "CreditReview",
            review,
            id=credit_review_workflow_id(review.customer.credit_code, review.occasion, review.key),
            task_queue=task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
    except WorkflowAlreadyStartedError:
        return None
    return handle.result_run_id
