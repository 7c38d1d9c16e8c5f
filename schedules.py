"""Temporal Schedules the product relies on; created idempotently when the worker starts."""

from __future__ import annotations

import contextlib

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleSpec,
)

from activities.complaint_store import StatsRequest

COMPLAINT_STATS_SCHEDULE = "complaint-monthly-stats"
# 002 rule 2 §27: statistics by the 10th; produced on the 1st at 08:00 China time, for the month before.
COMPLAINT_STATS_CRON = "0 8 1 * *"


async def ensure_schedules(client: Client, task_queue: str) -> None:
    schedule = Schedule(
        action=ScheduleActionStartWorkflow(
            "ComplaintStats", StatsRequest(), id="complaint-monthly-stats", task_queue=task_queue
        ),
        spec=ScheduleSpec(cron_expressions=[COMPLAINT_STATS_CRON], time_zone_name="Asia/Shanghai"),
    )
    with contextlib.suppress(ScheduleAlreadyRunningError):
        await client.create_schedule(COMPLAINT_STATS_SCHEDULE, schedule)
