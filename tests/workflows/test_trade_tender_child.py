"""Issue 22: a deal's tender (000 §7 (四)-(五)) runs as a child workflow of the deal, with its own
history — bids, the bidding deadline, the ranking, the winner's partner review and the award — while
the deal stays the one process its users and auditors see."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from api.history import build_history
from domain import errors
from domain.models import DecisionRequest
from domain.trade_models import NoAwardDecisionRequest
from temporal_client import DATA_CONVERTER
from tests.support import WorkerControl, record_history
from tests.workflows.test_external_trade import LEADERSHIP, actor, approved_partner, tender_with_bids
from workflows.external_trade.child_messages import child_id
from workflows.external_trade.tender_child import TENDER, TenderOutcome
from workflows.registry import WORKFLOWS

pytestmark = pytest.mark.asyncio(loop_scope="session")

# The deal's history is saved under its workflow id: the replay runs it under that name, and its
# children's ids derive from it.
SAVED_AS = "trade_tender_as_child"


@pytest.mark.rule("000-7-three-bidders", "000-7-award-by-procedure")
async def test_the_tender_is_a_child_of_its_deal(
    time_env: WorkflowEnvironment, clock_worker: WorkerControl, sessions: async_sessionmaker[AsyncSession]
) -> None:
    deal = await approved_partner(time_env, clock_worker, sessions, SAVED_AS)
    codes = await tender_with_bids(deal)
    child = time_env.client.get_workflow_handle(child_id(deal.handle.id, TENDER))
    assert (await child.describe()).parent_id == deal.handle.id
    assert len((await deal.state()).tenders[0].bids) == 3

    closed = await deal.pass_deadline()  # the child's durable timer closes the round
    assert (closed.stage, closed.current_step) == ("evaluation", "evaluation")
    await deal.evaluate()
    view = await deal.update("current")
    assert (view.stage, view.current_step) == ("partner_review", "marketing_credit_review")  # the winner's review
    await deal.decide("marketing_reviewer")
    await deal.decide("business_vp")
    # The meeting's task is refused at the inbox's decision, as before: it has its own endpoint.
    meeting = await deal.task("leadership_meeting")
    at_inbox = DecisionRequest(
        task_id=meeting.task_id, step=meeting.step, outcome="approve", comment="ok", actor=LEADERSHIP
    )
    refused = await deal.refused("decide", at_inbox)
    assert refused.type == errors.INVALID and "leadership-decision" in refused.message
    view = await deal.leadership()
    assert (view.stage, view.current_step) == ("award_approval", "award_approval")
    view = await deal.decide("business_vp", "approve", "同意定标")
    assert view.stage == "contract_drafting" and view.customer_id is not None  # the deal went on once the child ended

    outcome = TenderOutcome.model_validate(await child.result())
    assert outcome.winner is not None and outcome.winner.bidder.credit_code == codes[1]
    state = await deal.state()
    assert state.tenders[0].award_decisions[0].actor == "business_vp"
    assert state.winner_reviews[0].passed and state.winner_reviews[0].leadership is not None
    assert [d.step for d in state.winner_reviews[0].decisions] == [
        "marketing_credit_review",
        "vp_review",
        "leadership_meeting",
    ]
    actions = [(e.actor, e.action, e.step) for e in build_history((await deal.handle.fetch_history()).events)]
    assert [a for a in actions if a[1] == "bid"] == [("sales_clerk", "bid", "bidding")] * 3
    assert ("system", "tender_closed", "bidding") in actions and ("system", "customer_created", None) in actions

    histories = [await deal.handle.fetch_history(), await child.fetch_history()]
    record_history(SAVED_AS, histories[0])
    record_history("trade_tender_child_reviewed_winner_awarded", histories[1])
    replayer = Replayer(workflows=WORKFLOWS, data_converter=DATA_CONVERTER)
    for history in histories:
        assert (await replayer.replay_workflow(history)).replay_failure is None


async def test_a_cancelled_tender_child_ends_the_deal(
    time_env: WorkflowEnvironment, clock_worker: WorkerControl, sessions: async_sessionmaker[AsyncSession]
) -> None:
    deal = await approved_partner(time_env, clock_worker, sessions)
    await deal.open_tender()
    assert (await deal.pass_deadline()).stage == "no_award"
    body = {"decision": "cancel", "reason": "无人投标, 取消本次外采"}
    view = await deal.update("no_award_decision", NoAwardDecisionRequest(actor=actor("sales_clerk"), decision=body))  # type: ignore[arg-type]
    assert (view.status, view.stage) == ("withdrawn", "cancelled")
    child = time_env.client.get_workflow_handle(child_id(deal.handle.id, TENDER))
    assert TenderOutcome.model_validate(await child.result()).winner is None
    assert (await deal.handle.result())["status"] == "withdrawn"
