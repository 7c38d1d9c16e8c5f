"""Issue 24 §2: a deal hands each act to its child workflow by a signal, and a signal has no
validator; a client that reached Temporal's port signalled `act` to `<deal>/tender` with a bid of its
own after the bidding closed, and the bid was recorded (the API had refused it with 409). Now the
workflows seal the signals they send each other and the child drops one that is not sealed
(workflows/actor_check.py): real API, real worker with the running API's key ring, real dev server,
both databases."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.api.common.v1 import Payload
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, Interceptor, OutboundInterceptor, SignalWorkflowInput

from db.models import Process
from domain.actor_signature import SIGNAL_HEADER, seal_signal
from domain.trade_models import BidIn, BidRevision
from tests import trade_support as data
from tests.api.test_trade_api import _BIDS, BIDDING_SECONDS, deal_state, ok, today, wait_for_stage
from tests.support import Api, production_replayer
from workflows.external_trade.child_messages import child_id
from workflows.external_trade.tender_child import TENDER, TenderAct

pytestmark = pytest.mark.asyncio(loop_scope="session")


class _FixedSeal(Interceptor, OutboundInterceptor):
    """An intruder's client: the seal header it chose (or none) on every signal it sends."""

    def __init__(self, seal: str | None) -> None:
        self.seal = seal

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        OutboundInterceptor.__init__(self, next)
        return self

    def _headers(self, headers: Mapping[str, Payload]) -> Mapping[str, Payload]:
        if self.seal is None:
            return headers
        return {**headers, SIGNAL_HEADER: Payload(metadata={"encoding": b"binary/plain"}, data=self.seal.encode())}

    async def signal_workflow(self, input: SignalWorkflowInput) -> None:
        input.headers = self._headers(input.headers)
        await super().signal_workflow(input)


def intruder(client: Client, seal: str | None) -> Client:
    config = client.config()
    config["interceptors"] = [_FixedSeal(seal)]
    return Client(**config)


async def _deal_after_bidding(api: Api) -> str:
    started = await ok(await api.post("/api/v1/trade", "sales_clerk", json=data.trade_application()), 201)
    pid: str = started["process_id"]
    await ok(await api.decide("marketing_reviewer", pid, "approve", "资质齐全"))
    await ok(await api.decide("business_vp", pid, "approve", "同意上会"))
    meeting = data.leadership(today())
    await ok(await api.post(f"/api/v1/trade/{pid}/leadership-decision", "leadership_secretary", json=meeting))
    deadline = datetime.now(UTC) + timedelta(seconds=BIDDING_SECONDS)
    await ok(await api.post(f"/api/v1/trade/{pid}/tender", "sales_clerk", json=data.tender(deadline)))
    for name, amount, ownership in _BIDS:
        await ok(await api.post(f"/api/v1/trade/{pid}/bids", "sales_clerk", json=data.bid(name, amount, ownership)))
    await wait_for_stage(api, pid, "evaluation")
    return pid


async def test_a_forged_act_signalled_to_the_tender_child_is_dropped(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    pid = await _deal_after_bidding(api)
    late = await api.post(f"/api/v1/trade/{pid}/bids", "sales_clerk", json=data.bid("迟到石化", "1.00"))
    assert late.status_code == 409  # the API refuses the late bid ...
    async with sessions() as session:
        process = await session.get(Process, pid)
    assert process is not None
    tender_id = child_id(process.workflow_id, TENDER)

    # ... and the reviewer's attack: the same bid as an `act` signal straight to the tender's child.
    def forged(request_id: str) -> TenderAct:
        bid = BidIn.model_validate(data.bid("伪造石化", "1.00"))
        revision = BidRevision(revision=1, amount=bid.amount, terms=bid.terms, by="sales_clerk", at=datetime.now(UTC))
        return TenderAct(request_id=request_id, bid=bid, revision=revision)

    wrong_key = seal_signal(b"not-the-worker-key", tender_id, "act", "0" * 64)
    for n, seal in enumerate((None, wrong_key, "v1.")):
        handle = intruder(api.worker.client, seal).get_workflow_handle(tender_id)
        await handle.signal("act", forged(f"forged-{n}"))

    # The API's own act after the forgeries goes through (so they were handled before it): the
    # ranking names the three real bidders only, and the forged bid was recorded nowhere.
    view = await ok(await api.post(f"/api/v1/trade/{pid}/evaluation", "sales_clerk", json={"rationale": "价格合理"}))
    assert view["stage"] == "partner_review"
    tender = (await deal_state(api, pid))["tenders"][0]
    assert sorted(b["bidder"]["name"] for b in tender["bids"]) == sorted(name for name, _, _ in _BIDS)
    history = await api.worker.client.get_workflow_handle(tender_id).fetch_history()
    signalled = [
        e.workflow_execution_signaled_event_attributes.signal_name
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED
    ]
    assert signalled.count("act") >= 4  # the three forgeries reached the child (and were dropped), then the API's

    # The seals are checked again on replay: the child's history (forgeries dropped, the deal's acts
    # taken) and the deal's replay as they ran, with the production worker's interceptors.
    replayer = production_replayer()
    deal_history = await api.worker.client.get_workflow_handle(process.workflow_id).fetch_history()
    for each in (history, deal_history):
        result = await replayer.replay_workflow(each, raise_on_replay_failure=False)
        assert result.replay_failure is None, str(result.replay_failure)[:3000]
