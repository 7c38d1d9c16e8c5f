"""The deal's side of its children (the payment forms, the contract): it starts them, mirrors what
it must answer at once (a child's open tasks, decisions, work steps), hands each accepted act to the
child that owns it, and makes every write a child asks for (`child_messages.py` says why).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ApplicationError
from temporalio.workflow import ChildWorkflowHandle

with workflow.unsafe.imports_passed_through():
    from domain.models import AddSignerRequest, CalendarChanged, ClaimRequest, HandOverRequest, UrgeRequest
    from domain.trade_models import TradeView
    from workflows.approval import ApprovalHost
    from workflows.external_trade.base import DealBase
    from workflows.external_trade.child_messages import (
        ChildAct,
        ChildMirror,
        ChildReply,
        ChildStart,
        ChildSync,
        ChildWritten,
        child_id,
        started_id,
    )
    from workflows.external_trade.work import WorkStep


class DealChildren(DealBase):
    """What a deal does for any of its children."""

    def _child_start(self, name: str) -> ChildStart:
        return ChildStart(
            name=name,
            process_id=self.ref.process_id,
            workflow_id=self.ref.workflow_id,
            subject=self.ref.subject,
            applicant=self.applicant,
        )

    def _child_id(self, name: str) -> str:
        return child_id(self.ref.workflow_id, name)

    async def _start_child(self, mirror: ChildMirror, starting: Awaitable[ChildWorkflowHandle[Any, Any]]) -> None:
        """Start the child (its first write may arrive before the start's answer) and wait for its rest."""
        self._awaiting(mirror)
        mirror.handle = await starting
        await self._child_answer(mirror, started_id(mirror.name))

    def _child_owning(self, task_id: str) -> ChildMirror | None:
        return next((child for child in self._children() if task_id in child.owned), None)

    def _new_act(self, act: type[ChildAct] = ChildAct, **fields: Any) -> Any:
        return act(request_id=str(workflow.uuid4()), **fields)

    async def _child_act(self, mirror: ChildMirror, act: ChildAct) -> TradeView:
        """Hand an accepted act to its child; answer once the child (and the deal's main line, if
        the child is on it) rests again, or with the child's refusal."""
        assert mirror.handle is not None
        self._awaiting(mirror)
        await mirror.handle.signal("act", act)
        await self._child_answer(mirror, act.request_id)
        if mirror.moves_main:
            await self.kernel.rested(self.main)
        return self.view()

    def _awaiting(self, mirror: ChildMirror) -> None:
        """An answer of the child is awaited: a read-your-writes waits for it too."""
        mirror.pending += 1
        mirror.lane.move()
        if mirror.moves_main:
            self.main.move()

    async def _child_answer(self, mirror: ChildMirror, request_id: str) -> None:
        await workflow.wait_condition(lambda: request_id in self.child_replies)
        mirror.pending -= 1
        mirror.lane.settled = mirror.pending == 0
        if mirror.moves_main and not mirror.ended:
            self.main.settled = mirror.lane.settled  # the main line rests where the child rests
        reply = self.child_replies.pop(request_id)
        if reply.error is not None:
            raise ApplicationError(reply.error, *reply.details, type=reply.error_type)

    @workflow.signal
    def child_replied(self, reply: ChildReply) -> None:
        self.child_replies[reply.request_id] = reply

    def _absorb(self, mirror: ChildMirror, sync: ChildSync) -> None:
        """A child's moment: what the deal mirrors of it, and its outbox into the deal's."""
        mirror.decisions, mirror.chain_tasks, mirror.waiting = sync.decisions, sync.chain_tasks, sync.waiting
        mirror.current_step = sync.current_step
        mirror.owned.update(sync.owned)
        for key in mirror.work_keys:  # the child's open work steps, checked by the deal's Updates as before
            self.work.pop(key, None)
        mirror.work_keys = {step.key for step in sync.work}
        for step in sync.work:
            self.work[step.key] = WorkStep(step.spec, tuple(step.roles), mirror.lane)
        outbox = self.kernel.outbox
        for task in sync.tasks:
            outbox.put_task(task)
        outbox.closed += sync.closed
        outbox.notifications += sync.notifications
        outbox.watchers += sync.watchers
        outbox.deadlines += sync.deadlines
        for named in sync.named:
            outbox.name_rules(named.task_id, named.step, tuple(named.rules))

    async def _write_for(self, mirror: ChildMirror, sync: ChildSync) -> None:
        """Write the child's moment with the process, in one transaction; answer with its deadlines."""
        await self.kernel.flush()
        answers = self.kernel.answers
        counted = [d.model_copy(update={"answer": answers.pop(d.key)}) for d in sync.deadlines if d.key in answers]
        await workflow.wait_condition(lambda: mirror.handle is not None)
        assert mirror.handle is not None
        await mirror.handle.signal("written", ChildWritten(seq=sync.seq, deadlines=counted))

    async def _replan_own(self, change: CalendarChanged) -> bool:
        """A new year's schedule: each running child re-plans its chain's deadlines."""
        for child in self._children():
            if child.handle is not None and not child.ended:
                await child.handle.signal("calendar_changed", change)
        return False

    # --- step actions on a child's task (the deal's own tasks: as in every process) ----------------

    async def _step_action(self, name: str, request: Any, on_deal: Callable[[], Awaitable[Any]]) -> Any:
        child = self._child_owning(request.task_id)
        if child is None:
            return await on_deal()
        self._require_open()
        return await self._child_act(child, self._new_act(**{name: request}))

    def _check_step_action(self, request: Any, on_deal: Callable[[], None]) -> None:
        self._require_open()
        if self._child_owning(request.task_id) is None:
            on_deal()  # a child checks its chain's tasks itself

    @workflow.update
    async def hand_over(self, request: HandOverRequest) -> Any:
        """委托 / 转办 of an open task."""
        return await self._step_action("hand_over", request, lambda: ApprovalHost.hand_over(self, request))

    @hand_over.validator
    def validate_hand_over(self, request: HandOverRequest) -> None:
        self._check_step_action(request, lambda: ApprovalHost.validate_hand_over(self, request))

    @workflow.update
    async def add_signer(self, request: AddSignerRequest) -> Any:
        """加签 before or after the current step."""
        return await self._step_action("add_signer", request, lambda: ApprovalHost.add_signer(self, request))

    @add_signer.validator
    def validate_add_signer(self, request: AddSignerRequest) -> None:
        self._check_step_action(request, lambda: ApprovalHost.validate_add_signer(self, request))

    @workflow.update
    async def claim(self, request: ClaimRequest) -> Any:
        """Claim (or release) a role task."""
        return await self._step_action("claim", request, lambda: ApprovalHost.claim(self, request))

    @claim.validator
    def validate_claim(self, request: ClaimRequest) -> None:
        self._check_step_action(request, lambda: ApprovalHost.validate_claim(self, request))

    def _waiting_children(self) -> list[ChildMirror]:
        return [child for child in self._children() if child.waiting and not child.ended]

    @workflow.update
    async def urge(self, request: UrgeRequest) -> Any:
        """催办: nudge whoever holds the process's open approval tasks, a child's in the child."""
        children = self._waiting_children()
        if not children:
            return await ApprovalHost.urge(self, request)
        self.validate_urge(request)
        for chain in self._waiting_chains():
            chain.lane.move()
            await chain.urge(request)
        for child in children:
            await self._child_act(child, self._new_act(urge=request))
        for chain in self._chains():
            await self.kernel.rested(chain.lane)
        return self.view()

    @urge.validator
    def validate_urge(self, request: UrgeRequest) -> None:
        if not self._waiting_children():
            ApprovalHost.validate_urge(self, request)
            return
        self._require_open()
        for chain in self._waiting_chains():
            chain.validate_urge(request)
