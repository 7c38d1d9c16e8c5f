"""The API signs the actor of every update it sends (issue 24 §2; checked by workflows/actor_check.py).

A Temporal client interceptor: whatever route sends an update (api/gateway.py, api/starts.py,
the services), the request's actor — the user the API authenticated — leaves with a short-lived
HMAC of who acts, on which process, by which update (domain/actor_signature.py). A route cannot
forget it, and a client without the key cannot make one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from temporalio.api.common.v1 import Payload
from temporalio.client import (
    Client,
    Interceptor,
    OutboundInterceptor,
    StartWorkflowUpdateInput,
    StartWorkflowUpdateWithStartInput,
    WorkflowUpdateHandle,
)

from domain.actor_signature import HEADER, actor_of, sign


class ActorSigner(Interceptor):
    """Signs with the newest key of the ring (`Settings.actor_signing_keys()[0]`) for the client's
    namespace (the worker checks its own)."""

    def __init__(self, key: bytes, namespace: str) -> None:
        self.key, self.namespace = key, namespace

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        return _SigningOutbound(next, self.key, self.namespace)


def signing_client(client: Client, key: bytes) -> Client:
    """The same connection, namespace and data converter, with every update's actor signed."""
    config = client.config()
    config["interceptors"] = [*config["interceptors"], ActorSigner(key, client.namespace)]
    return Client(**config)


class _SigningOutbound(OutboundInterceptor):
    def __init__(self, next: OutboundInterceptor, key: bytes, namespace: str) -> None:
        super().__init__(next)
        self.key, self.namespace = key, namespace

    def _signed(
        self, headers: Mapping[str, Payload], workflow_id: str, name: str, args: Sequence[Any]
    ) -> Mapping[str, Payload]:
        actor = actor_of(args)
        if actor is None:
            return headers
        token = sign(self.key, self.namespace, workflow_id, name, actor, datetime.now(UTC))
        return {**headers, HEADER: Payload(metadata={"encoding": b"binary/plain"}, data=token.encode())}

    async def start_workflow_update(self, input: StartWorkflowUpdateInput) -> WorkflowUpdateHandle[Any]:
        input.headers = self._signed(input.headers, input.id, input.update, input.args)
        return await super().start_workflow_update(input)

    async def start_update_with_start_workflow(
        self, input: StartWorkflowUpdateWithStartInput
    ) -> WorkflowUpdateHandle[Any]:
        update = input.update_workflow_input
        update.headers = self._signed(update.headers, input.start_workflow_input.id, update.update, update.args)
        return await super().start_update_with_start_workflow(input)
