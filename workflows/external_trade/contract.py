"""The contract of a deal (000 §7 (六)-(七), 003 §5): drafted by marketing, reviewed by legal (a
return asks for a revision), signed, then the title-transfer certificate (`contract_walk.py`).

A deal started after `CONTRACT_CHILD_PATCH` runs its contract as a child workflow
(`contract_child.py`); a deal whose history ran it in line replays that way.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain import errors
    from domain.models import Actor
    from domain.rulebook import enforces
    from domain.trade import CONTRACT_REVIEW_CHAIN
    from domain.trade_models import (
        ContractDraft,
        ContractRequest,
        Signing,
        SigningRequest,
        TitleTransfer,
        TitleTransferRequest,
        TradeView,
    )
    from workflows.approval import ApprovalChain
    from workflows.external_trade.child_messages import ChildMirror
    from workflows.external_trade.children import DealChildren
    from workflows.external_trade.contract_child import ContractWorkflow
    from workflows.external_trade.contract_walk import (
        CONTRACT,
        ContractAct,
        ContractOutcome,
        ContractStart,
        ContractSync,
        ContractWalk,
    )
    from workflows.external_trade.work import refuse


# Issue 22: the contract is a child workflow with its own history. Deals that reached the contract
# before ran it in line, and replay so.
CONTRACT_CHILD_PATCH = "trade-contract-child"


class ContractSteps(ContractWalk, DealChildren):
    """The contract's drafts, legal review, signing and title transfer."""

    def _review_chain(self, drafter: str) -> ApprovalChain:
        return self._chain(CONTRACT_REVIEW_CHAIN, drafter, self.main, "合同审查")

    async def _contract_in_child(self) -> bool:
        """The contract as a child workflow; the deal's main line rests where the child rests."""
        assert self.contract is not None
        child = ChildMirror(name=CONTRACT, moves_main=True)
        self.contract_child = child
        start = ContractStart(**self._child_start(CONTRACT).model_dump(), contract=self.contract)
        await self._start_child(
            child, workflow.start_child_workflow(ContractWorkflow.run, start, id=self._child_id(CONTRACT))
        )
        assert child.handle is not None
        outcome = ContractOutcome.model_validate(await child.handle)
        self.contract = outcome.contract
        return outcome.approved

    @workflow.signal
    async def contract_synced(self, sync: ContractSync) -> None:
        """The contract's moment: mirrored here, written with the process in one transaction, answered."""
        child = self.contract_child
        assert child is not None
        self._absorb(child, sync)
        child.ended = sync.ended
        self.contract, self.stage = sync.contract, sync.stage
        await self._write_for(child, sync)

    async def _contract_act(self, actor: Actor, record: ContractDraft | Signing | TitleTransfer) -> TradeView:
        child = self.contract_child
        if child is None:  # a deal that runs its contract in line
            await self._record_on_contract(actor, record)
            return self.view()
        field = {ContractDraft: "draft", Signing: "signing", TitleTransfer: "title_transfer"}[type(record)]
        return await self._child_act(child, self._new_act(ContractAct, actor=actor, **{field: record}))

    @workflow.update
    async def draft_contract(self, request: ContractRequest) -> TradeView:
        """The business contract with the awarded counterpart (000 §7 (六)); a revision after a return."""
        self.validate_draft_contract(request)
        assert self.contract is not None
        draft = ContractDraft(
            **request.contract.model_dump(),
            revision=len(self.contract.drafts) + 1,
            by=request.actor.username,
            at=workflow.now(),
        )
        return await self._contract_act(request.actor, draft)

    @draft_contract.validator
    def validate_draft_contract(self, request: ContractRequest) -> None:
        self._require_work("contract_draft", request.actor, "drafting the contract")

    @workflow.update
    async def sign_contract(self, request: SigningRequest) -> TradeView:
        self.validate_sign_contract(request)
        signing = Signing(**request.signing.model_dump(), by=request.actor.username, at=workflow.now())
        return await self._contract_act(request.actor, signing)

    @sign_contract.validator
    def validate_sign_contract(self, request: SigningRequest) -> None:
        self._require_work("contract_signing", request.actor, "recording the signed contract")
        self._not_future(request.signing.signed_on, "signed_on")

    @workflow.update
    async def record_title_transfer(self, request: TitleTransferRequest) -> TradeView:
        """000 §7 (七): after signing, the title-transfer certificate 物权转移证明."""
        self.validate_record_title_transfer(request)
        record = TitleTransfer(**request.certificate.model_dump(), by=request.actor.username, at=workflow.now())
        return await self._contract_act(request.actor, record)

    @record_title_transfer.validator
    @enforces("000-7-title-transfer")
    def validate_record_title_transfer(self, request: TitleTransferRequest) -> None:
        self._require_work("title_transfer", request.actor, "recording the title transfer")
        self._not_future(request.certificate.signed_on, "signed_on")
        assert self.contract is not None and self.contract.signing is not None
        if request.certificate.signed_on < self.contract.signing.signed_on:
            raise refuse("the title transfer cannot precede the contract's signing", errors.INVALID)
