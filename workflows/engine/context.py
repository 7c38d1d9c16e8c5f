"""What every part of one chain shares: the process it acts for, the kernel it writes through, the
lane its updates rest on and the 督办 tasks of its overdue steps. The parts own their own state;
this only names the common ground they stand on."""

from __future__ import annotations

from dataclasses import dataclass

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows.clock import Supervision
    from workflows.engine.process_ref import ProcessRef
    from workflows.kernel import Kernel, Lane, Outbox


@dataclass(frozen=True)
class ChainContext:
    process: ProcessRef
    kernel: Kernel
    lane: Lane
    supervision: Supervision

    @property
    def outbox(self) -> Outbox:
        return self.kernel.outbox

    async def rest(self) -> None:
        """The chain's lane waits for a human again: write, then answer the updates waiting on it."""
        await self.kernel.rest(self.lane)
