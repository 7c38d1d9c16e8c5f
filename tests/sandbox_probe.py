"""A workflow module imported afresh inside the sandbox (as a workflow module is): it must import
nothing the sandbox refuses, so it stays apart from the test that runs it."""

from __future__ import annotations

import datetime

from temporalio import workflow


@workflow.defn(sandboxed=True)
class ClockProbe:
    """Answers what reading the wall clock inside the workflow came to."""

    @workflow.run
    async def run(self) -> str:
        try:
            datetime.datetime.now()
        except Exception as exc:  # RestrictedWorkflowAccessError, raised inside the sandbox
            return type(exc).__name__
        return "read the wall clock"
