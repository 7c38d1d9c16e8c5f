"""Issue 24 §1: the histories on the Temporal server hold no customer data in clear (sealing.py).

Read straight from the server with a client that has no codec, an approved onboarding's history
names neither the customer, nor their legal representative, nor their bank account, nor — outside
the workflow id — their credit code; every payload is sealed with the ring's key; the
API still reads the same history for the auditor (api/history.py opens what it fetched)."""

from __future__ import annotations

from typing import Any

import pytest
from google.protobuf.message import Message
from temporalio.api.common.v1 import Payload
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client, WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter

from domain.search import NO_CUSTOMER_DATA_PATCH
from sealing import DEMO_KEY_ID, ENCODING, KEY_ID_FIELD
from tests.api.test_onboarding import approve_all
from tests.support import HISTORIES, Api, application, random_credit_code, record_history

pytestmark = pytest.mark.asyncio(loop_scope="session")
SEALED_HISTORY = "onboarding_sealed_approved"  # sealed with the demo key, no CustomerCreditCode (patched)

CUSTOMER = {
    "name": "封存测试石化贸易有限公司",
    "legal_representative": "密封测试人",
    "bank_account": "6222020200112233445",
}


async def history_as_the_server_holds_it(api: Api, process_id: str) -> WorkflowHistory:
    """The history fetched by a client without the codec: what anyone who reaches Temporal reads."""
    detail = (await api.get(f"/api/v1/processes/{process_id}", "auditor")).json()
    plain = Client(**(api.worker.client.config() | {"data_converter": pydantic_data_converter}))
    return await plain.get_workflow_handle(detail["workflow_id"], run_id=process_id).fetch_history()


def payloads_of(message: Any) -> list[Payload]:
    """Every Payload in a protobuf message, however deep (inputs, results, update arguments, markers,
    failures' details, search attributes)."""
    if isinstance(message, Payload):
        return [message]
    found: list[Payload] = []
    for field, value in message.ListFields():
        if field.message_type is None:
            continue
        if isinstance(value, Message):
            values: Any = [value]
        elif field.message_type.GetOptions().map_entry:
            values = value.values()
        else:
            values = value
        for item in values:
            if hasattr(item, "ListFields"):
                found.extend(payloads_of(item))
    return found


def search_attribute_payloads(events: list[HistoryEvent]) -> list[Payload]:
    attributes = []
    for event in events:
        if event.HasField("upsert_workflow_search_attributes_event_attributes"):
            fields = event.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields
            attributes.extend(fields.values())
        if event.HasField("workflow_execution_started_event_attributes"):
            attributes.extend(
                event.workflow_execution_started_event_attributes.search_attributes.indexed_fields.values()
            )
    return attributes


async def test_a_history_read_straight_from_the_server_holds_no_customer_data_in_clear(api: Api) -> None:
    code = random_credit_code()
    started = await api.submit(body=application(code, **CUSTOMER))
    assert started.status_code == 201, started.text
    process_id = started.json()["process_id"]
    assert (await approve_all(api, process_id))["status"] == "approved"

    history = await history_as_the_server_holds_it(api, process_id)
    raw = b"".join(event.SerializeToString() for event in history.events)
    for value in CUSTOMER.values():
        assert value.encode() not in raw, f"{value} in clear in the history"
    # The credit code is in the workflow id (`onboarding-<code>`: one open onboarding per customer,
    # enforced by Temporal) and nowhere else: docs/operations/sealing.md, "What stays in clear".
    assert code.encode() not in raw.replace(history.workflow_id.encode(), b"")

    attributes = search_attribute_payloads(history.events)
    assert attributes, "the process still carries its search attributes"
    sealable = [p for p in payloads_of_events(history.events) if p not in attributes]
    assert not [p for p in attributes + sealable if code.encode() in p.SerializeToString()]
    assert sealable and all(p.metadata["encoding"] == ENCODING for p in sealable)
    assert {p.metadata[KEY_ID_FIELD].decode() for p in sealable} == {DEMO_KEY_ID}

    record_history(SEALED_HISTORY, history)  # replayed by tests/workflows/test_saved_histories.py

    # The API opens what it fetched: the auditor still reads every decision.
    read = await api.get(f"/api/v1/processes/{process_id}/history", "auditor")
    assert read.status_code == 200, read.text
    assert len([entry for entry in read.json() if entry["action"] == "decision"]) == 4


def payloads_of_events(events: list[HistoryEvent]) -> list[Payload]:
    """The payloads the codec seals: all but the search attributes (indexed by the server, in clear)
    and what the SDK's core writes in a marker (a local activity's type and attempt, a patch's id):
    of a marker only a local activity's result."""
    found = []
    for event in events:
        if event.HasField("marker_recorded_event_attributes"):
            details = event.marker_recorded_event_attributes.details
            found.extend(details["result"].payloads if "result" in details else [])
            continue
        found.extend(payloads_of(event))
    return [p for p in found if p not in search_attribute_payloads(events)]


def test_a_sealed_history_is_among_the_saved_ones() -> None:
    """The replay test then replays a sealed history (opened with the demo key) beside the older,
    unsealed ones, and the run that no longer sets CustomerCreditCode beside the runs that did."""
    history = WorkflowHistory.from_json(SEALED_HISTORY, (HISTORIES / f"{SEALED_HISTORY}.json").read_text())
    sealed = payloads_of_events(list(history.events))
    assert sealed and all(p.metadata["encoding"] == ENCODING for p in sealed)
    patches = [
        e.marker_recorded_event_attributes.details["patch-data"].SerializeToString()
        for e in history.events
        if e.marker_recorded_event_attributes.marker_name == "core_patch"
    ]
    assert any(NO_CUSTOMER_DATA_PATCH.encode() in patch for patch in patches)
