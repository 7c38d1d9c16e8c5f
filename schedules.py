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
from domain.borrowing import ReviewRound

COMPLAINT_STATS_SCHEDULE = "complaint-monthly-stats"
# 002 rule 2 §27: statistics by the 10th; produced on the 1st at 08:00 China time, for the month before.
COMPLAINT_STATS_CRON = "0 8 1 * *"

REGISTER_REVIEW_SCHEDULE = "customer-register-review"
# 004 §4 (二): the register is reviewed twice a year, in February and August. Assumption (the day is
# not given): the review opens on the 1st of those months at 09:00 China time.
REGISTER_REVIEW_CRON = "0 9 1 2,8 *"


GRADING_CLOCK_SCHEDULE = "grading-clock-sweep"
# 001 §1: every customer's first-year clock; customers created the day before get theirs at 01:00.
GRADING_CLOCK_CRON = "0 1 * * *"


def grading_clock_schedule(task_queue: str) -> Schedule:
    """The daily sweep that starts a grading clock for each new customer (workflows/grading.py)."""
    return Schedule(
        action=ScheduleActionStartWorkflow("GradingClockSweep", id="grading-clock-sweep", task_queue=task_queue),
        spec=ScheduleSpec(cron_expressions=[GRADING_CLOCK_CRON], time_zone_name="Asia/Shanghai"),
    )


def register_review_schedule(task_queue: str) -> Schedule:
    """The February/August review round: one review per unit (workflows/register_review.py)."""
    return Schedule(
        action=ScheduleActionStartWorkflow(
            "RegisterReviewRound", ReviewRound(), id="customer-register-review-round", task_queue=task_queue
        ),
        spec=ScheduleSpec(cron_expressions=[REGISTER_REVIEW_CRON], time_zone_name="Asia/Shanghai"),
    )


async def ensure_schedules(client: Client, task_queue: str) -> None:
    schedule = Schedule(
        action=ScheduleActionStartWorkflow(
            "ComplaintStats", StatsRequest(), id="complaint-monthly-stats", task_queue=task_queue
        ),
        spec=ScheduleSpec(cron_expressions=[COMPLAINT_STATS_CRON], time_zone_name="Asia/Shanghai"),
    )
    with contextlib.suppress(ScheduleAlreadyRunningError):
        await client.create_schedule(COMPLAINT_STATS_SCHEDULE, schedule)
    with contextlib.suppress(ScheduleAlreadyRunningError):
        await client.create_schedule(REGISTER_REVIEW_SCHEDULE, register_review_schedule(task_queue))
    with contextlib.suppress(ScheduleAlreadyRunningError):
        await client.create_schedule(GRADING_CLOCK_SCHEDULE, grading_clock_schedule(task_queue))
