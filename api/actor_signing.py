"""The API signs the actor of every update it sends (issue 24 §2; checked by workflows/actor_check.py).

A Temporal client interceptor: whatever route sends an update (api/gateway.py, api/starts.py,
the services), the request's actor — the user the API authenticated — leaves with a short-lived
HMAC of who acts, on which process, by which update (its name and id: domain/actor_signature.py);
a start, the person it names as its applicant. A route cannot forget it, and a client without the key cannot
make one.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from temporalio.api.common.v1 import Payload
from temporalio.client import (
    Client,
    Interceptor,
    OutboundInterceptor,
    StartWorkflowInput,
    StartWorkflowUpdateInput,
    StartWorkflowUpdateWithStartInput,
    WorkflowHandle,
    WorkflowUpdateHandle,
)

from domain.actor_signature import HEADER, actor_of, sign, start_name, starter_of, with_header
from domain.models import Actor
from temporal_client import with_sealed_headers


class ActorSigner(Interceptor):
    """Signs with the newest key of the ring (`Settings.actor_signing_keys()[0]`) for the client's
    namespace (the worker checks its own)."""

    def __init__(self, key: bytes, namespace: str) -> None:
        self.key, self.namespace = key, namespace

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        return _SigningOutbound(next, self.key, self.namespace)


def signing_client(client: Client, key: bytes) -> Client:
    """The same connection, namespace and data converter, with every update's actor signed. A
    stand-in that is no Client (tests of pages that never reach Temporal) is left as it is."""
    if not isinstance(client, Client):
        return client
    config = with_sealed_headers(client).config()
    config["interceptors"] = [*config["interceptors"], ActorSigner(key, client.namespace)]
    return Client(**config)


class _SigningOutbound(OutboundInterceptor):
    def __init__(self, next: OutboundInterceptor, key: bytes, namespace: str) -> None:
        super().__init__(next)
        self.key, self.namespace = key, namespace

    def _signed(
        self, headers: Mapping[str, Payload], workflow_id: str, name: str, actor: Actor | None, update_id: str = ""
    ) -> Mapping[str, Payload]:
        if actor is None:
            return headers
        token = sign(self.key, self.namespace, workflow_id, name, actor, datetime.now(UTC), update_id=update_id)
        return with_header(headers, HEADER, token)

    async def start_workflow_update(self, input: StartWorkflowUpdateInput) -> WorkflowUpdateHandle[Any]:
        input.update_id = input.update_id or str(uuid4())  # signed: the signature opens this update only
        input.headers = self._signed(input.headers, input.id, input.update, actor_of(input.args), input.update_id)
        return await super().start_workflow_update(input)

    async def start_workflow(self, input: StartWorkflowInput) -> WorkflowHandle[Any, Any]:
        start = start_name(input.workflow)
        input.headers = self._signed(input.headers, input.id, start, starter_of(input.args))
        return await super().start_workflow(input)

    async def start_update_with_start_workflow(
        self, input: StartWorkflowUpdateWithStartInput
    ) -> WorkflowUpdateHandle[Any]:
        start, update = input.start_workflow_input, input.update_workflow_input
        start.headers = self._signed(start.headers, start.id, start_name(start.workflow), starter_of(start.args))
        update.update_id = update.update_id or str(uuid4())
        update.headers = self._signed(update.headers, start.id, update.update, actor_of(update.args), update.update_id)
        return await super().start_update_with_start_workflow(input)
