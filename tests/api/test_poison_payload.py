"""Issue 24 §1 review: one garbage "sealed" payload must not wedge a process (sealing.py).

A raw signal, sent straight to Temporal by someone who reaches it, whose payload claims to be sealed
(`binary/encrypted`) but names a key the ring does not hold, or is too short, or names its key in
bytes that are not text: the codec used to raise out of the activation's decoding, so the worker
failed the workflow task every 10 s for ever and the next decision through the API answered 503.
Now the worker drops that signal (logged), the process takes the next decision, and the auditor's
history still reads."""

from __future__ import annotations

import pytest
from temporalio.api.common.v1 import Payload, Payloads, WorkflowExecution
from temporalio.api.enums.v1 import EventType
from temporalio.api.workflowservice.v1 import SignalWorkflowExecutionRequest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from sealing import ENCODING, KEY_ID_FIELD
from tests.support import Api

pytestmark = pytest.mark.asyncio(loop_scope="session")

POISON = [
    Payload(metadata={"encoding": ENCODING, KEY_ID_FIELD: b"nope"}, data=b"\x01" * 64),
    Payload(metadata={"encoding": ENCODING, KEY_ID_FIELD: b"demo"}, data=b"short"),
    Payload(metadata={"encoding": ENCODING, KEY_ID_FIELD: b"\xff\xfe"}, data=b"\x01" * 64),
]


async def test_a_raw_poison_signal_is_dropped_and_the_process_takes_the_next_decision(api: Api) -> None:
    started = await api.submit()
    assert started.status_code == 201, started.text
    process_id = started.json()["process_id"]
    workflow_id = (await api.get(f"/api/v1/processes/{process_id}", "auditor")).json()["workflow_id"]
    client = api.worker.client
    for poison in POISON:
        await client.workflow_service.signal_workflow_execution(
            SignalWorkflowExecutionRequest(
                namespace=client.namespace,
                workflow_execution=WorkflowExecution(workflow_id=workflow_id, run_id=process_id),
                signal_name="calendar_changed",  # a real handler: the signal reaches the workflow's code
                input=Payloads(payloads=[poison]),
                identity="someone who reached Temporal",
            )
        )

    decided = await api.decide("marketing_reviewer", process_id, "approve", "ok after the poison")
    assert decided.status_code == 200, decided.text
    assert decided.json()["current_step"] == "finance_recheck"
    history = await api.get(f"/api/v1/processes/{process_id}/history", "auditor")
    assert history.status_code == 200, history.text
    audit = await api.get(f"/api/v1/audit/processes/{process_id}", "auditor")  # Temporal's events, read
    assert audit.status_code == 200, audit.text
    assert audit.json()["temporal_history_available"] is True
    actions = [e["action"] for e in audit.json()["temporal_events"]]
    assert "calendar_changed" not in actions and actions.count("decision") == 1  # dropped, not an entry

    plain = Client(**(client.config() | {"data_converter": pydantic_data_converter}))
    events = (await plain.get_workflow_handle(workflow_id, run_id=process_id).fetch_history()).events
    kinds = [event.event_type for event in events]
    assert kinds.count(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED) == len(POISON)
    assert EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED not in kinds  # no workflow task failed on them
