"""Sign modes (single, countersign 会签, or-sign 或签): when the decisions of a step's seats decide it."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.approvals import Outcome, SignMode
    from domain.models import DecisionRecord
    from workflows.engine.step_run import StepResult, StepRun


def step_result(run: StepRun, record: DecisionRecord, return_to: str | None) -> StepResult | None:
    """Single and or-sign: the decision decides. Countersign: the first reject or return decides;
    approval once every seat approved (a seat waiting for its added signer has not)."""
    if run.step.mode is not SignMode.all or record.outcome is not Outcome.approve:
        return StepResult(record.outcome, return_to if record.outcome is Outcome.return_ else None)
    if run.pending_before or any(not s.closed for s in run.seats):
        return None
    return StepResult(Outcome.approve)
