"""What every part of a deal shares: its state, its inbox work steps, its lanes and its refusals.

The deal (`workflows/external_trade/__init__.py`) is one workflow composed of parts, one module per
sub-process of 000 §7: the partner review and inbox decisions (`partner.py`), the tender
(`tender.py`), the contract (`contract.py`), the payment forms (`payments.py`) and the read model
(`reading.py`). Each part is a mixin over `DealBase`, which owns the state they all read.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain import errors
    from domain.approvals import ChainSpec
    from domain.china_time import china_day, china_iso
    from domain.models import Actor, ProcessStatus
    from domain.trade import outstanding_amount
    from domain.trade_models import (
        Contract,
        LeadershipRecord,
        Payment,
        PaymentStatus,
        Tender,
        TenderStatus,
        TradeApplication,
        TradeStage,
        TradeView,
        WinnerReview,
    )
    from workflows.approval import ApprovalChain, ApprovalHost, ProcessRef
    from workflows.external_trade.child_messages import ChildMirror, ChildReply
    from workflows.external_trade.work import WorkDesk, approval_of, refuse
    from workflows.kernel import Kernel, Lane

# 000 §7 (四)/(五): a winning bidder who is not the reviewed partner gets the partner credit review
# before the award, and its customer record carries the documents reviewed. Deals whose history
# passed the award without it replay the way they ran.
WINNER_REVIEW_PATCH = "winner-partner-review"
# Issue 20 item 13: every trade approval step has its declared working-day deadline (domain/trade.py),
# reminder and escalation. A chain opened by a deal whose history predates it runs without, as it did.
STEP_DEADLINES_PATCH = "trade-step-deadlines"
ZERO = Decimal("0")


class DealBase(WorkDesk, ApprovalHost):
    """The deal's state (set by the workflow's `__init__`) and the helpers every part uses."""

    application: TradeApplication
    applicant: str
    ref: ProcessRef
    started_at: datetime
    status: ProcessStatus
    stage: TradeStage
    kernel: Kernel
    main: Lane
    version: int
    partner: ApprovalChain
    leadership: LeadershipRecord | None
    winner_reviews: dict[str, ApprovalChain]  # winners reviewed in this deal (000 §7 (四)), by credit code
    winner_files: dict[str, WinnerReview]
    reviewing: ApprovalChain  # the partner review under way
    tenders: list[Tender]
    award_chains: dict[int, ApprovalChain]
    customer_id: int | None
    contract: Contract | None
    contract_review: ApprovalChain | None
    payments: list[Payment]
    payment_lanes: dict[int, ApprovalChain]  # a deal's forms in lanes of its own (before the children)
    payment_forms: dict[int, ChildMirror]  # each form's child workflow, as the deal mirrors it
    contract_child: ChildMirror | None  # the contract's child workflow
    tender_child: ChildMirror | None  # the tender's child workflow
    child_replies: dict[str, ChildReply]  # the children's answers, until their act takes them

    def view(self) -> TradeView:
        raise NotImplementedError

    # --- chains and work steps --------------------------------------------------------------------

    def _chain(self, spec: ChainSpec, applicant: str, lane: Lane, what: str) -> ApprovalChain:
        if not workflow.patched(STEP_DEADLINES_PATCH):
            spec = spec.with_step_deadlines(None)  # the chain as declared before its steps had deadlines
        ref = approval_of(self.ref, applicant, what)
        return ApprovalChain(chain=spec, process=ref, kernel=self.kernel, lane=lane)

    def _require_open(self) -> None:
        self._require_running()

    async def _complete(self, key: str, actor: Actor, apply: Callable[[], None]) -> TradeView:
        """Record a work step's result, close its task, answer once the lane rests."""
        await self._finish_work(key, actor, apply)
        return self.view()

    # --- lanes and chains -------------------------------------------------------------------------

    def _quiet(self) -> bool:
        """Every lane rests, and no bidding deadline has passed without the tender being closed."""
        tender = self.tenders[-1] if self.tenders else None
        closing = (
            self.stage is TradeStage.bidding
            and tender is not None
            and tender.status is TenderStatus.bidding
            and workflow.now() >= tender.bidding_deadline
        )
        lanes = [self.main, *(chain.lane for chain in self.payment_lanes.values())]
        lanes += [child.lane for child in self._children()]
        return not closing and self.kernel.in_flight == 0 and all(lane.settled for lane in lanes)

    def _chains(self) -> list[ApprovalChain]:
        chains = [self.partner, *self.winner_reviews.values(), *self.award_chains.values()]
        if self.contract_review is not None:
            chains.append(self.contract_review)
        return chains + list(self.payment_lanes.values())

    def _children(self) -> list[ChildMirror]:
        """The deal's sub-processes run as child workflows, in the order of the deal's steps."""
        children = [self.tender_child, self.contract_child]
        return [*(child for child in children if child is not None), *self.payment_forms.values()]

    def _child_at_stage(self) -> ChildMirror | None:
        """The child running the approval the deal's stage waits for, if a child runs it."""
        if self.stage is TradeStage.contract_review:
            return self.contract_child
        tender = self.tender_child
        if self.stage in (TradeStage.partner_review, TradeStage.award_approval) and tender and not tender.ended:
            return tender
        return None

    def _owning_chain(self, task_id: str) -> ApprovalChain | None:
        return next((chain for chain in self._chains() if chain.owns(task_id)), None)

    # --- dates people write -----------------------------------------------------------------------

    @staticmethod
    def _china_today(now: datetime) -> date:
        """The China day of that instant, whatever its offset: dates people write (meetings,
        signatures) are China dates. A decision mirrored from a child arrives in China time (its
        `at` is `ChinaTime`, serialized `+08:00` on the way), so adding eight hours to its wall
        clock would date it a day ahead from 16:00 China on."""
        return china_day(now)

    def _not_future(self, day: date, what: str) -> None:
        if day > self._china_today(workflow.now()):
            raise refuse(f"{what} {day.isoformat()} lies in the future", errors.INVALID)

    def _future_deadline(self, deadline: datetime | None) -> datetime:
        if deadline is None:
            raise refuse("re-opening a tender needs a new bidding_deadline", errors.INVALID)
        if deadline <= workflow.now():
            raise refuse(f"bidding_deadline {china_iso(deadline)} must lie in the future", errors.INVALID)
        return deadline

    # --- money ------------------------------------------------------------------------------------

    def _total(self, *statuses: PaymentStatus) -> Decimal:
        return sum((p.amount for p in self.payments if p.status in statuses), ZERO)

    def _outstanding(self) -> Decimal | None:
        if self.contract is None or not self.contract.drafts:
            return None
        paid = self._total(PaymentStatus.paid, PaymentStatus.settled)
        pending = self._total(PaymentStatus.in_approval, PaymentStatus.approved)
        return outstanding_amount(self.contract.current.amount, paid, pending)
