"""Issue 24 §1: a payload key is rotated without breaking a running workflow (sealing.py).

An onboarding starts with the ring [A]; then the API and the worker restart with [B, A] (B seals,
A still opens) and the process finishes. Its history then holds payloads of both keys, and the
new processes' payloads are sealed with B."""

from __future__ import annotations

import os

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from sealing import KEY_ID_FIELD, KeyRing, SealingCodec, UnknownKey
from temporal_client import sealed_converter
from tests.api.test_onboarding import approve_all_from
from tests.api.test_sealed_histories import payloads_of_events
from tests.support import running_api

pytestmark = pytest.mark.asyncio(loop_scope="session")


def client_with(env: WorkflowEnvironment, ring: KeyRing) -> Client:
    return Client(**(env.client.config() | {"data_converter": sealed_converter(SealingCodec(ring))}))


async def test_a_process_started_under_key_a_finishes_after_the_ring_becomes_b_a(
    temporal_env: WorkflowEnvironment,
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
    task_queue: str,
) -> None:
    key_a, key_b = ("a", os.urandom(32)), ("b", os.urandom(32))
    async with running_api(client_with(temporal_env, KeyRing([key_a])), sessions, task_queue, database_url) as api:
        started = await api.submit()
        assert started.status_code == 201, started.text
        process_id = started.json()["process_id"]
        assert (await api.decide("marketing_reviewer", process_id, "approve", "ok")).status_code == 200
        workflow_id = (await api.get(f"/api/v1/processes/{process_id}", "auditor")).json()["workflow_id"]

    rotated = client_with(temporal_env, KeyRing([key_b, key_a]))
    async with running_api(rotated, sessions, task_queue, database_url) as api:
        final = await approve_all_from(api, process_id, start=1)
        assert final["status"] == "approved"
        history = (await api.get(f"/api/v1/processes/{process_id}/history", "auditor")).json()
        assert len([entry for entry in history if entry["action"] == "decision"]) == 4

    plain = Client(**(temporal_env.client.config() | {"data_converter": pydantic_data_converter}))
    events = (await plain.get_workflow_handle(workflow_id, run_id=process_id).fetch_history()).events
    keys = [p.metadata[KEY_ID_FIELD].decode() for p in payloads_of_events(list(events))]
    assert set(keys) == {"a", "b"}
    assert keys[0] == "a" and keys[-1] == "b"  # the start under A, the end under B

    # A process that kept only [A] would not read what B sealed: rotate every process together
    # (docs/operations/sealing.md: add B everywhere first, then let it seal).
    sealed_by_b = [p for p in payloads_of_events(list(events)) if p.metadata[KEY_ID_FIELD] == b"b"]
    with pytest.raises(UnknownKey):
        SealingCodec(KeyRing([key_a])).open(sealed_by_b[:1])
