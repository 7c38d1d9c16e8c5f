"""The contract's life (000 §7 (六)-(七), 003 §5): marketing drafts it, legal reviews it (a return
asks for a revision), marketing records the signing, then the title-transfer certificate — walked
the same by a deal that runs its contract in line (deals started before the contract became a child
workflow) and by the contract's child workflow (`contract_child.py`), with the messages that child
and its deal add to every child's (`child_messages.py`).
"""

from __future__ import annotations

from functools import partial

from pydantic import BaseModel
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.approvals import Outcome
    from domain.models import Actor
    from domain.trade import MARKETING_ROLES
    from domain.trade_models import Contract, ContractDraft, Signing, TitleTransfer, TradeStage
    from workflows.approval import ApprovalChain
    from workflows.external_trade.child_messages import ChildAct, ChildStart, ChildSync
    from workflows.external_trade.work import WorkDesk

CONTRACT = "contract"  # the contract child's name within its deal


class ContractStart(ChildStart):
    contract: Contract


class ContractSync(ChildSync):
    contract: Contract
    stage: TradeStage


class ContractAct(ChildAct):
    draft: ContractDraft | None = None
    signing: Signing | None = None
    title_transfer: TitleTransfer | None = None
    actor: Actor | None = None  # who recorded the draft, the signing or the certificate


class ContractOutcome(BaseModel):
    contract: Contract
    approved: bool  # legal approved it, and it was signed and its title transferred


class ContractWalk(WorkDesk):
    """The contract's steps, over the work desk of whichever workflow runs them."""

    contract: Contract | None
    contract_review: ApprovalChain | None

    def _review_chain(self, drafter: str) -> ApprovalChain:
        """Legal's review of the drafter's contract (003 §5), in the workflow that runs it (override)."""
        raise NotImplementedError

    async def _walk_contract(self) -> bool:
        """003 §5 before 000 §7 (六)-(七): approved by legal, then signed, then the title transferred."""
        if not await self._contract_approved():
            return False
        self.stage = TradeStage.contract_signing
        await self._await_work("contract_signing", "签订业务合同 Sign the contract", MARKETING_ROLES)
        self.stage = TradeStage.title_transfer
        await self._await_work("title_transfer", "签订物权转移证明 Title-transfer certificate", MARKETING_ROLES)
        return True

    async def _contract_approved(self) -> bool:
        """003 §5: legal reviews the draft before signing; a return sends it back for revision."""
        while True:
            self.stage = TradeStage.contract_drafting
            await self._await_work("contract_draft", "起草/修改业务合同 Draft the contract", MARKETING_ROLES)
            assert self.contract is not None
            if self.contract_review is None:
                self.contract_review = self._review_chain(self.contract.drafts[0].by)
            self.stage = TradeStage.contract_review
            outcome = await self.contract_review.run()
            if outcome is not Outcome.return_:
                return outcome is Outcome.approve
            self.contract_review.round += 1

    async def _record_on_contract(self, actor: Actor, record: ContractDraft | Signing | TitleTransfer) -> None:
        """Marketing's draft, signing or certificate, already validated by the deal's Update."""
        contract = self.contract
        assert contract is not None
        if isinstance(record, ContractDraft):
            await self._finish_work("contract_draft", actor, partial(contract.drafts.append, record))
        elif isinstance(record, Signing):
            await self._finish_work("contract_signing", actor, partial(setattr, contract, "signing", record))
        else:
            await self._finish_work("title_transfer", actor, partial(setattr, contract, "title_transfer", record))
