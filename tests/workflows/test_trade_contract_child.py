"""Issue 22: a deal's contract (000 §7 (六)-(七), 003 §5) runs as a child workflow of the deal, with
its own history, while the deal stays the one process its users and auditors see: the same Updates,
the same tasks (decided through the deal), the same stages and refusals, the same audit record."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from db.models import AuditRecord
from domain import errors
from domain.models import ClaimRequest
from temporal_client import DATA_CONVERTER
from tests.support import WorkerControl, record_history
from tests.workflows.test_external_trade import Deal, actor, approved_partner, awarded
from workflows.external_trade.child_messages import child_id
from workflows.external_trade.contract_walk import CONTRACT, ContractOutcome
from workflows.registry import WORKFLOWS

pytestmark = pytest.mark.asyncio(loop_scope="session")

# The deal's history is saved under its workflow id: the replay runs it under that name, and its
# contract child's id derives from it.
SAVED_AS = "trade_contract_as_child"


async def legal_decisions(deal: Deal) -> list[AuditRecord]:
    async with deal.sessions() as session:
        rows = await session.scalars(
            select(AuditRecord)
            .where(AuditRecord.process_id == deal.process_id, AuditRecord.step == "legal_review")
            .order_by(AuditRecord.position)
        )
        return [row for row in rows if row.action == "decision"]


@pytest.mark.rule("003-5-legal-review-before-signing")
async def test_the_contract_is_a_child_of_its_deal(
    time_env: WorkflowEnvironment, clock_worker: WorkerControl, sessions: async_sessionmaker[AsyncSession]
) -> None:
    deal = await approved_partner(time_env, clock_worker, sessions, SAVED_AS)
    await awarded(deal)
    child = time_env.client.get_workflow_handle(child_id(deal.handle.id, CONTRACT))
    assert (await child.describe()).parent_id == deal.handle.id
    view = await deal.draft("31000000.00")
    assert (view.stage, view.current_step) == ("contract_review", "legal_review")

    # Legal's task is the deal's; the chain's checks run in the child and refuse as before.
    task = await deal.task("legal_reviewer")
    assert (task.workflow_id, task.process_id) == (deal.handle.id, deal.process_id)
    not_legal = await deal.decision(actor("sales_clerk"), "legal_reviewer")
    assert (await deal.refused("decide", not_legal)).type == errors.FORBIDDEN
    await deal.update("claim", ClaimRequest(task_id=task.task_id, actor=actor("legal_reviewer")))
    view = await deal.decide("legal_reviewer", "return", "金额与中标价不一致")
    assert (view.stage, view.current_step) == ("contract_drafting", "contract_drafting")
    await deal.draft("30000000.00")
    view = await deal.decide("legal_reviewer", "approve", "修改后合规")
    assert (view.stage, view.current_step) == ("contract_signing", "contract_signing")
    view = await deal.sign_and_transfer()
    assert (view.stage, view.outstanding) == ("payment", 30000000)  # the deal went on once the child ended

    outcome = ContractOutcome.model_validate(await child.result())
    assert outcome.approved and outcome.contract.title_transfer is not None
    state = await deal.state()
    assert state.contract is not None and state.contract.title_transfer is not None
    assert [(d.round, d.outcome) for d in state.contract.review_decisions] == [(1, "return"), (2, "approve")]
    decisions = await legal_decisions(deal)
    assert [(r.actor, r.outcome) for r in decisions] == [("legal_reviewer", "return"), ("legal_reviewer", "approve")]
    assert [r.details.get("rules") for r in decisions] == [["003-5-legal-review-before-signing"]] * 2

    histories = [await deal.handle.fetch_history(), await child.fetch_history()]
    record_history(SAVED_AS, histories[0])
    record_history("trade_contract_child_returned_then_signed", histories[1])
    replayer = Replayer(workflows=WORKFLOWS, data_converter=DATA_CONVERTER)
    for history in histories:
        assert (await replayer.replay_workflow(history)).replay_failure is None


async def test_legal_refusal_in_the_child_ends_the_deal(
    time_env: WorkflowEnvironment, clock_worker: WorkerControl, sessions: async_sessionmaker[AsyncSession]
) -> None:
    deal = await approved_partner(time_env, clock_worker, sessions)
    await awarded(deal)
    await deal.draft()
    view = await deal.decide("legal_reviewer", "reject", "合同违法")
    assert (view.status, view.stage, view.current_step) == ("rejected", "rejected", None)
    child = time_env.client.get_workflow_handle(child_id(deal.handle.id, CONTRACT))
    assert not ContractOutcome.model_validate(await child.result()).approved
    assert (await deal.handle.result())["status"] == "rejected"
