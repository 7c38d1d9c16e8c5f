"""The approval engine's public names, for the process workflows: the engine itself is the package
`workflows/engine/` (its `__init__` describes the parts)."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows.engine.chain import ApprovalChain
    from workflows.engine.correction import CORRECTION_STEP
    from workflows.engine.deadlines import DEADLINE_IN_WRITE
    from workflows.engine.host import ApprovalHost
    from workflows.engine.process import CORRECTION_TASK, OUTCOME_STATUS, SingleChainHost
    from workflows.engine.process_ref import ProcessRef
    from workflows.engine.read_model import holders_of
    from workflows.engine.refusal import refuse
    from workflows.engine.step_run import SeatTask, StepResult, StepRun

__all__ = [
    "CORRECTION_STEP",
    "CORRECTION_TASK",
    "DEADLINE_IN_WRITE",
    "OUTCOME_STATUS",
    "ApprovalChain",
    "ApprovalHost",
    "ProcessRef",
    "SeatTask",
    "SingleChainHost",
    "StepResult",
    "StepRun",
    "holders_of",
    "refuse",
]
