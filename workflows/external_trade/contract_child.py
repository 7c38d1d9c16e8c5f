"""The child workflow of a deal's contract (000 §7 (六)-(七), 003 §5; STYLE.md "Long-lived processes").

Its own history holds the drafts, legal's review chain (with its returns, deadlines and
escalations), the signing and the title-transfer certificate. The deal remains the process: it
takes the Updates, checks what it can (marketing's work steps, the dates), and hands each act here.
"""

from __future__ import annotations

from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.trade import CONTRACT_REVIEW_CHAIN
    from domain.trade_models import TradeStage
    from workflows.approval import ApprovalChain
    from workflows.external_trade.child import DealChild
    from workflows.external_trade.child_messages import ChildAct
    from workflows.external_trade.contract_walk import (
        ContractAct,
        ContractOutcome,
        ContractStart,
        ContractSync,
        ContractWalk,
    )
    from workflows.external_trade.work import approval_of


@workflow.defn(name="ExternalTradeContract")
class ContractWorkflow(DealChild, ContractWalk):
    DEAL_SYNCED = "contract_synced"

    @workflow.init
    def __init__(self, start: ContractStart) -> None:
        self._begin(start)
        self.contract = start.contract
        self.contract_review = None
        self.chain = None
        self.stage = TradeStage.contract_drafting
        self.over = False

    @workflow.run
    async def run(self, start: ContractStart) -> ContractOutcome:
        approved = await self._live(self._walk_to_its_end())
        assert self.contract is not None
        return ContractOutcome(contract=self.contract, approved=approved)

    async def _walk_to_its_end(self) -> bool:
        approved = await self._walk_contract()
        self.over = True
        await self._rest(self.main)  # the last step's closing, written before the deal goes on
        return approved

    def _review_chain(self, drafter: str) -> ApprovalChain:
        self.chain = ApprovalChain(
            chain=CONTRACT_REVIEW_CHAIN,
            process=approval_of(self.ref, drafter, "合同审查"),
            kernel=self.kernel,
            lane=self.main,
        )
        return self.chain

    @workflow.signal
    async def act(self, act: ContractAct) -> None:
        await self._answer(act)

    async def _act(self, act: ChildAct) -> None:
        assert isinstance(act, ContractAct)
        record = act.draft or act.signing or act.title_transfer
        if record is None:
            await super()._act(act)
            return
        assert act.actor is not None
        await self._record_on_contract(act.actor, record)

    def _ended(self) -> bool:
        return self.over

    def _sync(self, fields: dict[str, Any]) -> ContractSync:
        assert self.contract is not None
        return ContractSync(contract=self.contract, stage=self.stage, **fields)
