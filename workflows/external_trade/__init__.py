"""P2 external purchase and sale — 外采外销 (000 §7; contract review 003 §5).

One workflow carries the whole deal for weeks: the partner's credit approval (marketing →
business VP → leadership meeting), the tender with a durable bidding deadline (three or more
bidders, else re-open or cancel), the ranking and its approval, the counterpart becoming a
customer, the contract (legal may return it), signing, the title-transfer certificate, and any
number of payment forms, each approved by finance → division leader → chief accountant, then
paid and settled. Every approval runs through `ApprovalChain`, one instance per approval, so
"one person cannot decide two steps" holds per chain.

This module is the deal as the regulation lists its steps; each sub-process is a part of its own
(`partner.py`, `tender.py` and `tender_updates.py`, `contract.py`, `payments.py`, `reading.py`,
all over the shared state and helpers of `base.py`). The tender, the contract and each payment
form live in child workflows of the deal (`tender_child.py`, `contract_child.py`, `payment_child.py`;
`child_messages.py` says how a deal and its children talk), behind `TENDER_CHILD_PATCH`,
`CONTRACT_CHILD_PATCH` and `PAYMENT_FORM_CHILD_PATCH`: deals that reached them before run them in
line, as they did. The deal stays the process: every Update
and task is the deal's, and the deal makes every write, so the API, the inbox and the audit record
read the same either way.

A deal has lanes that rest on their own: the main line and each payment form (or child). An update
waits until the lane it moved rests again (its next task is in an inbox), so the API reads its writes.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.trade_store import TradeStore
    from domain.approvals import Outcome
    from domain.models import CustomerCreation, CustomerKind, ProcessStatus
    from domain.rulebook import enforces
    from domain.trade import MARKETING_ROLES, PARTNER_CHAIN, PROCESS_TYPE
    from domain.trade_models import Bid, Contract, TradeInput, TradeStage, TradeView
    from workflows.activity_calls import store
    from workflows.approval import ProcessRef
    from workflows.external_trade.base import STEP_DEADLINES_PATCH, WINNER_REVIEW_PATCH
    from workflows.external_trade.contract import CONTRACT_CHILD_PATCH, ContractSteps
    from workflows.external_trade.partner import PartnerSteps
    from workflows.external_trade.payment_forms import PAYMENT_FORM_CHILD_PATCH
    from workflows.external_trade.payments import PaymentSteps
    from workflows.external_trade.reading import DealReading
    from workflows.external_trade.tender_updates import TENDER_CHILD_PATCH, TenderUpdates
    from workflows.kernel import Kernel

__all__ = [
    "CONTRACT_CHILD_PATCH",
    "PAYMENT_FORM_CHILD_PATCH",
    "STEP_DEADLINES_PATCH",
    "TENDER_CHILD_PATCH",
    "WINNER_REVIEW_PATCH",
    "ExternalTradeWorkflow",
]


@workflow.defn(name="ExternalTrade")
class ExternalTradeWorkflow(PartnerSteps, TenderUpdates, ContractSteps, PaymentSteps, DealReading):
    @workflow.init
    def __init__(self, start: TradeInput) -> None:
        info = workflow.info()
        self.application = start.application
        self.applicant = start.applicant.username
        self.ref = ProcessRef(
            process_id=info.run_id,
            workflow_id=info.workflow_id,
            process_type=PROCESS_TYPE,
            subject=start.application.partner.name,
            applicant=start.applicant.username,
        )
        self.started_at = workflow.now()
        self.status = ProcessStatus.running
        self.stage = TradeStage.partner_review
        self.kernel = Kernel(self._write, self.ref)
        self.main = self.kernel.main
        self.version = 0
        self.partner = self._chain(PARTNER_CHAIN, self.applicant, self.main, "资信审批")
        self.leadership = None
        self.winner_reviews = {}
        self.winner_files = {}
        self.reviewing = self.partner
        self.tenders = []
        self.award_chains = {}
        self.customer_id = None
        self.contract = None
        self.contract_review = None
        self.payments = []
        self.payment_lanes = {}
        self.payment_forms = {}
        self.contract_child = None
        self.tender_child = None
        self.child_replies = {}
        self.work = {}

    # --- the deal ---------------------------------------------------------------------------------

    @workflow.run
    async def run(self, start: TradeInput) -> TradeView:
        return await self.kernel.guard(self._run(start))

    @enforces("000-7-business-after-meeting")
    async def _run(self, start: TradeInput) -> TradeView:
        if await self.partner.run() is Outcome.approve:  # 000 §7 (四): "通过后方可开展业务"
            await self._deal()
        else:
            self._end(ProcessStatus.rejected, TradeStage.rejected)
        await self._rest(self.main)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.view()

    @enforces("000-7-customer-after-award")
    async def _deal(self) -> None:
        self.stage = TradeStage.tender_opening
        await self._await_work("open_tender", "发布招标条件 Open the tender", MARKETING_ROLES)
        in_child = workflow.patched(TENDER_CHILD_PATCH)
        winner = await (self._tender_in_child() if in_child else self._select_counterpart())
        if winner is None:
            return
        await self._create_customer(winner)
        self.contract = Contract(counterpart_credit_code=winner.bidder.credit_code, counterpart_name=winner.bidder.name)
        in_child = workflow.patched(CONTRACT_CHILD_PATCH)
        if not await (self._contract_in_child() if in_child else self._walk_contract()):
            self._end(ProcessStatus.rejected, TradeStage.rejected)
            return
        self.stage = TradeStage.payment
        await self._rest(self.main)
        await workflow.wait_condition(lambda: self.stage is TradeStage.completed)
        await self._payment_forms_ended()

    async def _create_customer(self, winner: Bid) -> None:
        """000 §7 (六): "通过招标确定合作后, 创建客户" — the onboarding's customer creation."""
        approval = self._award_approval()
        same_as_partner = winner.bidder.credit_code == self.application.partner.credit_code
        documents = winner.documents or (self.application.documents if same_as_partner else [])
        if workflow.patched(WINNER_REVIEW_PATCH):  # the documents the partner review examined
            reviewed = self.winner_files.get(winner.bidder.credit_code)
            documents = reviewed.documents if reviewed is not None else self.application.documents
        creation = CustomerCreation(
            process_id=self.ref.process_id,
            customer=winner.bidder.model_copy(update={"kind": CustomerKind.external_trade}),
            documents=documents,
            created_by=approval.actor,
            approved_at=approval.at,
        )
        self.customer_id = await self.kernel.stored(lambda: store(TradeStore.create_trade_customer, creation))
