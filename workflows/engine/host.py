"""The step actions every process workflow offers (hand over, add signer, claim, urge, repair, the
calendar signal), dispatched to the chain of the process that owns the task."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.models import (
        AddSignerRequest,
        CalendarChanged,
        ClaimRequest,
        HandOverRequest,
        ProcessStatus,
        UrgeRequest,
    )
    from domain.repair import RepairOutcome, RepairRequest
    from workflows.engine.chain import ApprovalChain
    from workflows.engine.refusal import refuse
    from workflows.kernel import Kernel


class ApprovalHost:
    """The step actions every process workflow offers, dispatched to the chain that owns the task.

    A workflow inherits these Updates and the calendar signal; it lists its chains in `_chains`
    and says in `_require_open` when it takes no more actions.
    """

    kernel: Kernel

    def _chains(self) -> list[ApprovalChain]:
        raise NotImplementedError

    def _require_open(self) -> None:
        """Refuse every step action once the process has ended (override)."""

    def view(self) -> Any:
        raise NotImplementedError

    def _chain_for(self, task_id: str) -> ApprovalChain:
        for chain in self._chains():
            if chain.owns(task_id):
                return chain
        raise refuse(f"task {task_id} is not open in this process")

    async def _act(self, chain: ApprovalChain, action: Callable[[], Awaitable[Any]]) -> Any:
        chain.lane.move()
        await action()
        await self.kernel.rested(chain.lane)
        return self.view()

    @workflow.update
    async def hand_over(self, request: HandOverRequest) -> Any:
        """委托 / 转办 of an open task."""
        self.validate_hand_over(request)
        chain = self._chain_for(request.task_id)
        return await self._act(chain, lambda: chain.hand_over(request))

    @hand_over.validator
    def validate_hand_over(self, request: HandOverRequest) -> None:
        self._require_open()
        self._chain_for(request.task_id).validate_hand_over(request)

    @workflow.update
    async def add_signer(self, request: AddSignerRequest) -> Any:
        """加签 before or after the current step."""
        self.validate_add_signer(request)
        chain = self._chain_for(request.task_id)
        return await self._act(chain, lambda: chain.add_signer(request))

    @add_signer.validator
    def validate_add_signer(self, request: AddSignerRequest) -> None:
        self._require_open()
        self._chain_for(request.task_id).validate_add_signer(request)

    @workflow.update
    async def claim(self, request: ClaimRequest) -> Any:
        """Claim (or release) a role task."""
        self.validate_claim(request)
        chain = self._chain_for(request.task_id)
        return await self._act(chain, lambda: chain.claim(request))

    @claim.validator
    def validate_claim(self, request: ClaimRequest) -> None:
        self._require_open()
        self._chain_for(request.task_id).validate_claim(request)

    def _waiting_chains(self) -> list[ApprovalChain]:
        return [chain for chain in self._chains() if chain.waiting_for_decision]

    @workflow.update
    async def urge(self, request: UrgeRequest) -> Any:
        """催办: nudge whoever holds the process's open approval tasks."""
        self.validate_urge(request)
        for chain in self._waiting_chains():
            chain.lane.move()
            await chain.urge(request)
        for chain in self._chains():
            await self.kernel.rested(chain.lane)
        return self.view()

    @urge.validator
    def validate_urge(self, request: UrgeRequest) -> None:
        self._require_open()
        waiting = self._waiting_chains()
        if not waiting:
            raise refuse("no approval task of this process is open: nothing to urge")
        for chain in waiting:
            chain.validate_urge(request)

    @workflow.update
    async def repair(self, request: RepairRequest) -> RepairOutcome:
        """An administrator's decision on a process stopped by a refused write (workflows/repair.py)."""
        self.validate_repair(request)
        # The decision's audit row is written with it (activities/process_failures.py), even when
        # the process ends on it: not with the next write, which an abandoned process never makes.
        self.kernel.outbox.audit = [e for e in self.kernel.outbox.audit if e.name != "repair"]
        outcome = await self.kernel.repair.decide(request)
        if outcome.status == ProcessStatus.running.value:
            kernel = self.kernel

            def rested() -> bool:  # read-your-writes: the row shows the resumed process as it now is
                return (kernel.in_flight == 0 and kernel.main.settled) or kernel.repair.stopped

            await workflow.wait_condition(rested)
        return outcome

    @repair.validator
    def validate_repair(self, request: RepairRequest) -> None:
        self.kernel.repair.validate(request)

    @workflow.signal
    async def calendar_changed(self, change: CalendarChanged) -> None:
        """An administrator entered a year's schedule: provisional deadlines are computed again.
        A read arriving meanwhile (`current`) waits for the re-plan and its write."""
        async with self.kernel.busy():
            moved = False
            for chain in self._chains():
                moved = await chain.replan(change) or moved
            moved = await self._replan_own(change) or moved
            if moved:
                await self.kernel.flush()

    async def _replan_own(self, change: CalendarChanged) -> bool:
        """Deadlines a workflow keeps outside its chains (a complaint's) re-plan here (override)."""
        return False
