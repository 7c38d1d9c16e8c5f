"""What every part of a deal shares: its state, its inbox work steps, its lanes and its refusals.

The deal (`workflows/external_trade/__init__.py`) is one workflow composed of parts, one module per
sub-process of 000 §7: the partner review and inbox decisions (`partner.py`), the tender
(`tender.py`), the contract (`contract.py`), the payment forms (`payments.py`) and the read model
(`reading.py`). Each part is a mixin over `DealBase`, which owns the state they all read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain import errors
    from domain.approvals import ChainSpec
    from domain.china_time import china_iso
    from domain.models import Actor, ProcessStatus, TaskClosure, TaskSpec
    from domain.roles import ROLE_TITLES, Role
    from domain.trade import MARKETING_ROLES, PROCESS_TYPE, outstanding_amount
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
    from workflows.kernel import Kernel, Lane

# 000 §7 (四)/(五): a winning bidder who is not the reviewed partner gets the partner credit review
# before the award, and its customer record carries the documents reviewed. Deals whose history
# passed the award without it replay the way they ran.
WINNER_REVIEW_PATCH = "winner-partner-review"
# Issue 20 item 13: every trade approval step has its declared working-day deadline (domain/trade.py),
# reminder and escalation. A chain opened by a deal whose history predates it runs without, as it did.
STEP_DEADLINES_PATCH = "trade-step-deadlines"
CHINA_OFFSET = timedelta(hours=8)  # dates people write (meetings, signatures) are China dates; no DST
ZERO = Decimal("0")


@dataclass
class WorkStep:
    """A non-approval step in someone's inbox (open the tender, draft the contract, pay, ...)."""

    spec: TaskSpec
    roles: tuple[Role, ...]
    lane: Lane
    done: bool = False


def refuse(message: str, kind: str = errors.CONFLICT) -> ApplicationError:
    return ApplicationError(message, type=kind)


class DealBase(ApprovalHost):
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
    payment_lanes: dict[int, ApprovalChain]
    work: dict[str, WorkStep]

    def view(self) -> TradeView:
        raise NotImplementedError

    # --- chains and work steps --------------------------------------------------------------------

    def _chain(self, spec: ChainSpec, applicant: str, lane: Lane, what: str) -> ApprovalChain:
        if not workflow.patched(STEP_DEADLINES_PATCH):
            spec = spec.with_step_deadlines(None)  # the chain as declared before its steps had deadlines
        ref = ProcessRef(
            process_id=self.ref.process_id,
            workflow_id=self.ref.workflow_id,
            process_type=PROCESS_TYPE,
            subject=f"{what}: {self.ref.subject}",
            applicant=applicant,
        )
        return ApprovalChain(chain=spec, process=ref, kernel=self.kernel, lane=lane)

    async def _await_work(
        self, key: str, title: str, roles: tuple[Role, ...], lane: Lane | None = None, step: str | None = None
    ) -> None:
        """Open an inbox task, rest, and wait until its update did the work."""
        marketing = roles == MARKETING_ROLES
        spec = TaskSpec(
            task_id=str(workflow.uuid4()),
            process_id=self.ref.process_id,
            workflow_id=self.ref.workflow_id,
            process_type=PROCESS_TYPE,
            step=step or key,
            step_title=title,
            role=roles[0],
            assignee=self.applicant if marketing else None,  # the deal's marketing handler
            subject=self.ref.subject,
            created_at=workflow.now(),
        )
        work = WorkStep(spec, roles, lane or self.main)
        self.work[key] = work
        self.kernel.outbox.put_task(spec)
        await self._rest(work.lane)
        await workflow.wait_condition(lambda: work.done)
        del self.work[key]

    def _require_work(self, key: str, actor: Actor, action: str) -> WorkStep:
        self._require_running()
        work = self.work.get(key)
        if work is None or work.done:
            raise refuse(f"{action} does not fit now: the deal is at stage {self.stage.value}")
        self._require_role(actor, work.roles, action)
        return work

    @staticmethod
    def _require_role(actor: Actor, roles: tuple[Role, ...], action: str) -> None:
        if not any(actor.has(role) for role in roles):
            wanted = ", ".join(f"{r.value} ({ROLE_TITLES[r]})" for r in roles)
            raise refuse(f"{action} needs one of the roles {wanted}; {actor.username} holds none", errors.FORBIDDEN)

    def _require_running(self) -> None:
        if self.status is not ProcessStatus.running:
            raise refuse(f"the deal is {self.status.value}")

    def _require_open(self) -> None:
        self._require_running()

    async def _complete(self, key: str, actor: Actor, apply: Callable[[], None]) -> TradeView:
        """Record a work step's result (already validated), close its task, answer once the lane rests."""
        work = self.work[key]
        work.lane.move()
        apply()
        work.done = True
        closure = TaskClosure(
            task_id=work.spec.task_id, status="done", decided_by=actor.username, decided_at=workflow.now()
        )
        self.kernel.outbox.close(closure)  # written with whatever opens next, in one sync
        await self.kernel.rested(work.lane)
        return self.view()

    def _end(self, status: ProcessStatus, stage: TradeStage) -> None:
        self.status, self.stage = status, stage

    async def _rest(self, lane: Lane) -> None:
        """The lane now waits for a human (or has ended): write, then answer pending updates."""
        await self.kernel.rest(lane)

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
        return not closing and self.kernel.in_flight == 0 and all(lane.settled for lane in lanes)

    def _chains(self) -> list[ApprovalChain]:
        chains = [self.partner, *self.winner_reviews.values(), *self.award_chains.values()]
        if self.contract_review is not None:
            chains.append(self.contract_review)
        return chains + list(self.payment_lanes.values())

    def _owning_chain(self, task_id: str) -> ApprovalChain | None:
        return next((chain for chain in self._chains() if chain.owns(task_id)), None)

    # --- dates people write -----------------------------------------------------------------------

    @staticmethod
    def _china_today(now: datetime) -> date:
        return (now + CHINA_OFFSET).date()

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
