"""The child workflow side of a deal's sub-process (STYLE.md "Long-lived processes"): a payment form
(`payment_child.py`) or the contract (`contract_child.py`) with its own history — its approval
chain, deadlines, escalations and work steps — while the deal stays the process
(`child_messages.py` says how they talk).
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.calendar import StepDeadline
    from domain.approvals import ChainSpec
    from domain.models import CalendarChanged, DecisionRequest, ProcessStatus
    from domain.trade import PROCESS_TYPE
    from workflows.approval import ApprovalChain, ProcessRef
    from workflows.external_trade.child_messages import (
        ChildAct,
        ChildReply,
        ChildStart,
        ChildSync,
        ChildWritten,
        NamedRules,
        OpenWork,
        started_id,
    )
    from workflows.external_trade.work import WorkDesk, approval_of, refuse
    from workflows.kernel import Kernel, Lane, Outbox

R = TypeVar("R")
DEAL_REPLIED = "child_replied"  # the deal's signal for a child's answers (children.py)
# An act on the child's chain: the field of `ChildAct` -> the chain's check and its action.
CHAIN_ACTS = {
    "decide": ("validate", "decide"),
    "hand_over": ("validate_hand_over", "hand_over"),
    "add_signer": ("validate_add_signer", "add_signer"),
    "claim": ("validate_claim", "claim"),
    "urge": ("validate_urge", "urge"),
}


@dataclass
class NamingOutbox(Outbox):
    """A child's outbox: the deal holds the audit entry of each act, so the rules a decision applied
    travel with the write, to be named on that entry there."""

    named: list[NamedRules] = field(default_factory=list)

    def name_rules(self, task_id: str, step: str, rules: tuple[str, ...]) -> None:
        self.named.append(NamedRules(task_id=task_id, step=step, rules=list(rules)))

    def take(self) -> NamingOutbox:
        taken = NamingOutbox(**vars(self))
        self.tasks, self.closed, self.notifications, self.watchers, self.audit, self.deadlines = [], [], [], [], [], []
        self.named = []
        return taken


class DealChild(WorkDesk):
    """A child of a deal: it writes through the deal and answers the acts the deal hands it."""

    DEAL_SYNCED: ClassVar[str]  # the deal's signal for this kind of child's writes
    chain: ApprovalChain | None

    def _begin(self, start: ChildStart) -> None:
        self.name = start.name
        self.applicant = start.applicant
        self.ref = ProcessRef(
            process_id=start.process_id,
            workflow_id=start.workflow_id,
            process_type=PROCESS_TYPE,
            subject=start.subject,
            applicant=start.applicant,
        )
        self.status = ProcessStatus.running
        self.kernel = Kernel(self._write, self.ref)
        self.kernel.outbox = NamingOutbox()
        self.main = self.kernel.main
        self.work = {}
        self.seq = 0
        self.answered: dict[int, list[StepDeadline]] = {}  # by write, the deadlines the deal counted
        parent = workflow.info().parent
        assert parent is not None, "a deal's sub-process runs as a child of its deal"
        self.deal = workflow.get_external_workflow_handle(parent.workflow_id, run_id=parent.run_id)

    async def _live(self, walk: Coroutine[Any, Any, R]) -> R:
        """Walk the sub-process; the deal hears of its first rest like an act's answer."""
        walking = asyncio.create_task(walk)
        await self.kernel.rested(self.main)
        await self.deal.signal(DEAL_REPLIED, ChildReply(request_id=started_id(self.name)))
        result = await walking
        await workflow.wait_condition(workflow.all_handlers_finished)
        return result

    # --- acts handed on by the deal ---------------------------------------------------------------

    async def _answer(self, act: ChildAct) -> None:
        try:
            await self._act(act)
        except ApplicationError as refused:  # the chain's own checks: nothing changed
            reply = ChildReply(
                request_id=act.request_id, error=refused.message, error_type=refused.type, details=list(refused.details)
            )
        else:
            reply = ChildReply(request_id=act.request_id)
        await self.deal.signal(DEAL_REPLIED, reply)

    def _chains(self) -> list[ApprovalChain]:
        """The child's approval chains (override when it has more than one)."""
        return [self.chain] if self.chain is not None else []

    def _chain(self, spec: ChainSpec, applicant: str, lane: Lane, what: str) -> ApprovalChain:
        """An approval of the child, in the deal's process (a child starts with every step's deadline)."""
        return ApprovalChain(chain=spec, process=approval_of(self.ref, applicant, what), kernel=self.kernel, lane=lane)

    def _check_decision(self, chain: ApprovalChain, request: DecisionRequest) -> None:
        """What the deal refuses before the chain's own checks (override)."""

    async def _act(self, act: ChildAct) -> None:
        """An act on one of the child's approval chains (a child handles its own acts first)."""
        name, request = next((name, getattr(act, name)) for name in CHAIN_ACTS if getattr(act, name) is not None)
        check, run = CHAIN_ACTS[name]
        if name == "urge":
            chains = [chain for chain in self._chains() if chain.waiting_for_decision]
        else:
            owner = next((chain for chain in self._chains() if chain.owns(request.task_id)), None)
            if owner is None:
                raise refuse(f"task {request.task_id} is not open in this process")
            chains = [owner]
        for chain in chains:
            if name == "decide":
                self._check_decision(chain, request)
            getattr(chain, check)(request)  # the chain's own checks, as the deal's validator ran them before
        self.main.move()
        for chain in chains:
            await getattr(chain, run)(request)
        await self.kernel.rested(self.main)

    @workflow.signal
    async def calendar_changed(self, change: CalendarChanged) -> None:
        """The deal passes on a new year's schedule: the chain's provisional deadlines re-plan."""
        async with self.kernel.busy():
            moved = [await chain.replan(change) for chain in self._chains()]
            if any(moved):
                await self.kernel.flush()

    # --- writes, made by the deal -----------------------------------------------------------------

    @workflow.signal
    def written(self, answer: ChildWritten) -> None:
        self.answered[answer.seq] = answer.deadlines

    def _current_chain_step(self) -> str | None:
        """The step of the approval under way, for the deal's `current_step` (override)."""
        return self.chain.current_step if self.chain is not None else None

    def _ended(self) -> bool:
        """The sub-process is over: this write is the child's last (override)."""
        raise NotImplementedError

    def _sync(self, fields: dict[str, Any]) -> ChildSync:
        """The child's write with what the deal mirrors of this kind of child (override)."""
        raise NotImplementedError

    async def _write(self, outbox: Outbox) -> None:
        """Hand the moment to the deal, which writes it with the process; wait for its answer."""
        self.seq += 1
        seq, chain, chains = self.seq, self.chain, self._chains()
        tasks = [task for each in chains for task in each.open_tasks]
        fields = {
            "name": self.name,
            "seq": seq,
            "decisions": list(chain.decisions) if chain else [],
            "chain_tasks": tasks,
            "owned": [t.task_id for t in tasks],  # the deal keeps every task it ever saw open
            "waiting": any(each.waiting_for_decision for each in chains),
            "current_step": self._current_chain_step(),
            "ended": self._ended(),
            "work": [OpenWork(key=k, spec=w.spec, roles=list(w.roles)) for k, w in self.work.items() if not w.done],
            "named": outbox.named if isinstance(outbox, NamingOutbox) else [],
            "tasks": outbox.tasks,
            "closed": outbox.closed,
            "notifications": outbox.notifications,
            "watchers": outbox.watchers,
            "deadlines": outbox.deadlines,
        }
        await self.deal.signal(self.DEAL_SYNCED, self._sync(fields))
        await workflow.wait_condition(lambda: seq in self.answered)
        self.kernel.answered(self.answered.pop(seq))
