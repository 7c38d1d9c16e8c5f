"""The bare-Temporal baseline: one durable timer and one activity per workflow, nothing else."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from temporalio import activity, workflow

FIRED: list[float] = []  # wall-clock moments the baseline activities ran (same process as the worker)


@activity.defn
async def baseline_fire(label: str) -> None:
    FIRED.append(time.time())


@workflow.defn(name="BaselineTimer")
class BaselineTimerWorkflow:
    @workflow.run
    async def run(self, fire_at: datetime) -> None:
        delay = (fire_at - workflow.now()).total_seconds()
        if delay > 0:
            await workflow.sleep(delay)
        await workflow.execute_activity(baseline_fire, "fire", start_to_close_timeout=timedelta(seconds=60))
