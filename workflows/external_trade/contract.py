"""The contract of a deal (000 §7 (六)-(七), 003 §5): drafted by marketing, reviewed by legal (a
return asks for a revision), signed, then the title-transfer certificate.
"""

from __future__ import annotations

from functools import partial

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain import errors
    from domain.approvals import Outcome
    from domain.rulebook import enforces
    from domain.trade import CONTRACT_REVIEW_CHAIN, MARKETING_ROLES
    from domain.trade_models import (
        ContractDraft,
        ContractRequest,
        Signing,
        SigningRequest,
        TitleTransfer,
        TitleTransferRequest,
        TradeStage,
        TradeView,
    )
    from workflows.external_trade.base import DealBase
    from workflows.external_trade.work import refuse


class ContractSteps(DealBase):
    """The contract's drafts, legal review, signing and title transfer."""

    async def _contract_approved(self) -> bool:
        """003 §5: legal reviews the draft before signing; a return sends it back for revision."""
        while True:
            self.stage = TradeStage.contract_drafting
            await self._await_work("contract_draft", "起草/修改业务合同 Draft the contract", MARKETING_ROLES)
            assert self.contract is not None
            if self.contract_review is None:
                drafter = self.contract.drafts[0].by
                self.contract_review = self._chain(CONTRACT_REVIEW_CHAIN, drafter, self.main, "合同审查")
            self.stage = TradeStage.contract_review
            outcome = await self.contract_review.run()
            if outcome is not Outcome.return_:
                return outcome is Outcome.approve
            self.contract_review.round += 1

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
        return await self._complete("contract_draft", request.actor, partial(self.contract.drafts.append, draft))

    @draft_contract.validator
    def validate_draft_contract(self, request: ContractRequest) -> None:
        self._require_work("contract_draft", request.actor, "drafting the contract")

    @workflow.update
    async def sign_contract(self, request: SigningRequest) -> TradeView:
        self.validate_sign_contract(request)
        signing = Signing(**request.signing.model_dump(), by=request.actor.username, at=workflow.now())
        return await self._complete("contract_signing", request.actor, partial(self._set_contract, "signing", signing))

    @sign_contract.validator
    def validate_sign_contract(self, request: SigningRequest) -> None:
        self._require_work("contract_signing", request.actor, "recording the signed contract")
        self._not_future(request.signing.signed_on, "signed_on")

    @workflow.update
    async def record_title_transfer(self, request: TitleTransferRequest) -> TradeView:
        """000 §7 (七): after signing, the title-transfer certificate 物权转移证明."""
        self.validate_record_title_transfer(request)
        record = TitleTransfer(**request.certificate.model_dump(), by=request.actor.username, at=workflow.now())
        return await self._complete(
            "title_transfer", request.actor, partial(self._set_contract, "title_transfer", record)
        )

    @record_title_transfer.validator
    @enforces("000-7-title-transfer")
    def validate_record_title_transfer(self, request: TitleTransferRequest) -> None:
        self._require_work("title_transfer", request.actor, "recording the title transfer")
        self._not_future(request.certificate.signed_on, "signed_on")
        assert self.contract is not None and self.contract.signing is not None
        if request.certificate.signed_on < self.contract.signing.signed_on:
            raise refuse("the title transfer cannot precede the contract's signing", errors.INVALID)

    def _set_contract(self, name: str, value: object) -> None:
        assert self.contract is not None
        setattr(self.contract, name, value)
