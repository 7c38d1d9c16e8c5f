"""Registers the processes' typed search attributes on a Temporal namespace (idempotent).

Adds one at a time and treats "already exists" as done: that works on a real cluster, on the
dev server and on the time-skipping test server (which cannot list them).
"""

from __future__ import annotations

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from domain.search import ALL_KEYS


async def ensure_search_attributes(client: Client) -> None:
    for key in ALL_KEYS:
        request = AddSearchAttributesRequest(
            namespace=client.namespace,
            search_attributes={key.name: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD},
        )
        try:
            await client.operator_service.add_search_attributes(request)
        except RPCError as exc:
            if exc.status != RPCStatusCode.ALREADY_EXISTS and "already exists" not in exc.message:
                raise
