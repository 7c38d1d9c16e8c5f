"""Temporal Schedules the product relies on; created, or updated to their definition, when the worker starts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
)

from activities.complaint_store import StatsRequest
from domain.borrowing import ReviewRound
from domain.collection import ROUND_CRON, CollectionRoundInput
from domain.credit_review import RoundInput, SweepInput
from domain.development import MeetingRound
from domain.rulebook import enforces

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


@enforces("004-4-register-review-february-august")
def register_review_schedule(task_queue: str) -> Schedule:
    """The February/August review round: one review per unit (workflows/register_review.py)."""
    return Schedule(
        action=ScheduleActionStartWorkflow(
            "RegisterReviewRound", ReviewRound(), id="customer-register-review-round", task_queue=task_queue
        ),
        spec=ScheduleSpec(cron_expressions=[REGISTER_REVIEW_CRON], time_zone_name="Asia/Shanghai"),
    )


BIG_CUSTOMER_MEETING_SCHEDULE = "big-customer-meeting"
# 000 §15 每季度开展大客户座谈会: the quarter's meeting opens on the 1st of January, April, July and
# October at 09:00 China time (the first working day is hard for cron; the task's deadline, the last
# working day of the quarter, is on the working-day calendar).
BIG_CUSTOMER_MEETING_CRON = "0 9 1 1,4,7,10 *"


@enforces("000-15-quarterly-big-customer-meeting")
def big_customer_meeting_schedule(task_queue: str) -> Schedule:
    """The quarterly meeting (workflows/development.py): the round opens the quarter's meeting once."""
    return Schedule(
        action=ScheduleActionStartWorkflow(
            "BigCustomerMeetingRound", MeetingRound(), id="big-customer-meeting-round", task_queue=task_queue
        ),
        spec=ScheduleSpec(cron_expressions=[BIG_CUSTOMER_MEETING_CRON], time_zone_name="Asia/Shanghai"),
    )


CREDIT_COLLECTION_SCHEDULE = "credit-collection-round"
# 000 §13 全部货款必须在月末收回: the round fires at 09:00 China time on the 20th-31st; only on the last
# working day of the month (the working-day calendar decides, workflows/collection.py) does it open
# the collections. Each fire's workflow id carries its time, and the collections' ids the month.
CREDIT_COLLECTION_CRON = ROUND_CRON


def credit_collection_schedule(task_queue: str) -> Schedule:
    """The month-end collection round (workflows/collection.py)."""
    return Schedule(
        action=ScheduleActionStartWorkflow(
            "CreditCollectionRound", CollectionRoundInput(), id="credit-collection-round", task_queue=task_queue
        ),
        spec=ScheduleSpec(cron_expressions=[CREDIT_COLLECTION_CRON], time_zone_name="Asia/Shanghai"),
    )


CREDIT_REVIEW_SCHEDULE = "credit-review-round"
# 001 信用审核 每年两次: the semiannual credit review opens on 1 January and 1 July at 09:00 China time
# (ASSUMPTION: the seed names no day). The reviews' ids carry the half year (2027H1): a second
# round of the same half opens nothing twice.
CREDIT_REVIEW_CRON = "0 9 1 1,7 *"
CREDIT_RISK_SWEEP_SCHEDULE = "credit-risk-sweep"
# 003 §6: overdue days grow with no ledger change; the risk is recomputed daily at 00:30 China time.
CREDIT_RISK_SWEEP_CRON = "30 0 * * *"


def credit_review_schedule(task_queue: str) -> Schedule:
    """The January/July round: one credit review per credit customer (workflows/credit_review.py)."""
    return Schedule(
        action=ScheduleActionStartWorkflow(
            "CreditReviewRound", RoundInput(), id="credit-review-round", task_queue=task_queue
        ),
        spec=ScheduleSpec(cron_expressions=[CREDIT_REVIEW_CRON], time_zone_name="Asia/Shanghai"),
    )


def credit_risk_sweep_schedule(task_queue: str) -> Schedule:
    """The daily risk sweep: risks recomputed, risk reviews opened (workflows/credit_review.py)."""
    return Schedule(
        action=ScheduleActionStartWorkflow(
            "CreditRiskSweep", SweepInput(), id="credit-risk-sweep", task_queue=task_queue
        ),
        spec=ScheduleSpec(cron_expressions=[CREDIT_RISK_SWEEP_CRON], time_zone_name="Asia/Shanghai"),
    )


@enforces("002-2-27-monthly-statistics")
def complaint_stats_schedule(task_queue: str) -> Schedule:
    """The monthly complaint statistics (002 rule 2 §27), for the month before."""
    return Schedule(
        action=ScheduleActionStartWorkflow(
            "ComplaintStats", StatsRequest(), id="complaint-monthly-stats", task_queue=task_queue
        ),
        spec=ScheduleSpec(cron_expressions=[COMPLAINT_STATS_CRON], time_zone_name="Asia/Shanghai"),
    )


def product_schedules(task_queue: str) -> dict[str, Schedule]:
    """Every schedule the product relies on, by schedule id."""
    return {
        COMPLAINT_STATS_SCHEDULE: complaint_stats_schedule(task_queue),
        REGISTER_REVIEW_SCHEDULE: register_review_schedule(task_queue),
        GRADING_CLOCK_SCHEDULE: grading_clock_schedule(task_queue),
        BIG_CUSTOMER_MEETING_SCHEDULE: big_customer_meeting_schedule(task_queue),
        CREDIT_COLLECTION_SCHEDULE: credit_collection_schedule(task_queue),
        CREDIT_REVIEW_SCHEDULE: credit_review_schedule(task_queue),
        CREDIT_RISK_SWEEP_SCHEDULE: credit_risk_sweep_schedule(task_queue),
    }


async def ensure_schedules(client: Client, task_queue: str) -> None:
    """Create each schedule, or bring an existing one up to its current definition: a deployment
    that moves the worker to another task queue, or changes a cron, must not leave a schedule
    starting workflows nobody polls for. Its state (paused, recent actions) is kept."""
    for schedule_id, schedule in product_schedules(task_queue).items():
        try:
            await client.create_schedule(schedule_id, schedule)
        except ScheduleAlreadyRunningError:
            await client.get_schedule_handle(schedule_id).update(_replace_with(schedule))


def _replace_with(schedule: Schedule) -> Callable[[ScheduleUpdateInput], ScheduleUpdate]:
    def update(current: ScheduleUpdateInput) -> ScheduleUpdate:
        return ScheduleUpdate(schedule=replace(schedule, state=current.description.schedule.state))

    return update
