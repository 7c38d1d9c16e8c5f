"""Telling a month-end collection that the customer's ledger moved (000 §13).

Called after a receipt is booked: the collection looks up what came in since its round and, once
the month-end amount is paid, closes its collector's task itself ("cleared by receipts").
"""

from __future__ import annotations

from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from domain.credit import collection_workflow_id


async def notify_collection(temporal: Client, credit_code: str, month: str) -> None:
    """Signal the customer's collection of `month` (YYYY-MM); no such collection, or one already
    closed, is not an error: most receipts have no month end waiting for them."""
    await signal_collection(temporal, collection_workflow_id(credit_code, month))


async def signal_collection(temporal: Client, workflow_id: str) -> None:
    """Signal one collection; one that has closed meanwhile is not an error."""
    handle = temporal.get_workflow_handle(workflow_id)
    try:
        await handle.signal("ledger_changed")
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:  # NOT_FOUND: never started, or already completed
            raise
