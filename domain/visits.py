"""P9 visits — 拜访 (000 §12, §15; 002 rule 7): the monthly visit plan and the visit reports.

A salesperson submits next month's plan; the marketing manager approves it before the month starts
(the step is due on the last working day before the month, escalated to the business VP when not
approved). Each approved visit opens a report task for the salesperson on the visit day, due two
working days later (002 rule 7), with a reminder before and an escalation to the marketing manager
after — the step deadline of the approval engine.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated

from pydantic import BaseModel, Field, model_validator

from domain.approvals import ChainSpec, StepSpec
from domain.calendar import WorkingCalendar
from domain.china_time import CHINA
from domain.examples import FUTURE_DAY, FUTURE_MONTH, PAST_DAY, examples
from domain.models import Actor
from domain.roles import Role
from domain.rulebook import enforces
from domain.text import Fitted, Int32, StoredText

MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
REPORT_WORKING_DAYS = 2  # 002 rule 7: the visit report within 2 days of the visit
VISIT_DAY_STARTS = time(9, 0)  # the report clock counts from the visit day's opening hour
# Who reads every plan and visit: the supervisor who approves plans (000 §12) and the leaders above.
VISIT_SUPERVISORS = frozenset({Role.marketing_manager, Role.business_vp, Role.general_manager})


def visit_plan_workflow_id(plan_id: int, token: str) -> str:
    """Unique across databases that share one Temporal namespace (a test run's two databases)."""
    return f"visit-plan-{plan_id}-{token}"


def visit_workflow_id(plan_workflow_id: str, visit_id: int) -> str:
    return f"{plan_workflow_id}-visit-{visit_id}"


class VisitIn(BaseModel):
    customer_id: Int32 = Field(ge=1)
    planned_on: date
    purpose: StoredText = Field(min_length=1, max_length=500)


class VisitPlanIn(BaseModel):
    """Next month's visits of one salesperson (000 §12)."""

    model_config = examples(
        {
            "month": FUTURE_MONTH,
            "visits": [{"customer_id": 1, "planned_on": FUTURE_DAY, "purpose": "了解三季度用油计划, 回访投诉处理结果"}],
        }
    )

    month: str = Field(pattern=MONTH_PATTERN, description="YYYY-MM")
    visits: list[VisitIn] = Field(min_length=1, max_length=100)

    @model_validator(mode="after")
    def _in_month(self) -> VisitPlanIn:
        outside = [v.planned_on.isoformat() for v in self.visits if v.planned_on.strftime("%Y-%m") != self.month]
        if outside:
            raise ValueError(f"visits outside {self.month}: {', '.join(outside)}")
        return self


class VisitReportIn(BaseModel):
    """The visit report (002 rule 7): when, what was discussed, what was found."""

    model_config = examples(
        {
            "visited_on": PAST_DAY,
            "summary": "拜访郑州华豫石化, 与李娜经理沟通三季度用油计划",
            "findings": "客户计划新增 10 台配送车, 月用油量预计增加 50 吨",
        }
    )

    visited_on: date
    summary: StoredText = Field(min_length=1, max_length=4000)
    findings: StoredText = Field(default="", max_length=4000, description="problems, needs, competitor news")


@enforces("002-7-report-after-the-visit")
def future_visit_problem(visited_on: date, today: date) -> str | None:
    """002 rule 7: the report follows the visit ("拜访后"), so it tells of a visit already made: a
    visit dated after today (China time) cannot be reported yet."""
    if visited_on > today:
        return (
            f"the visit is dated {visited_on.isoformat()}, after today ({today.isoformat()}): "
            "a visit is reported after it took place (002 rule 7)"
        )
    return None


@enforces("002-7-report-within-two-days")
def report_due_after(calendar: WorkingCalendar, visited_on: date) -> datetime:
    """002 rule 7: the report is due 2 working days after the visit. Read as the day the visit
    actually took place (the report's `visited_on`), not the day it was planned: a visit made early
    is due early, one made late is not late for the days it waited. Until the report names that day,
    the report task counts from the planned day (the only day known)."""
    start = datetime.combine(visited_on, VISIT_DAY_STARTS, CHINA)
    return calendar.add_working_days(start, REPORT_WORKING_DAYS).deadline


# 000 §12: the plan is approved by the supervisor (the marketing manager); its deadline, the last
# working day before the month, is set per plan when it starts (`due_working_days`).
VISIT_PLAN_CHAIN = ChainSpec(
    process_type="visit_plan",
    title="月度拜访计划 Monthly visit plan",
    citation="000 §12, §15",
    steps=(
        StepSpec(
            key="manager_approval",
            title="营销业务部经理审批 Marketing manager approves the plan",
            role=Role.marketing_manager,
            escalate_to=(Role.business_vp,),
            citation="000 §12",
            rules=("002-7-visit-plan-approved-by-supervisor",),
        ),
    ),
)

# 002 rule 7: the salesperson who visited reports within 2 working days; late, the manager is told.
VISIT_REPORT_CHAIN = ChainSpec(
    process_type="visit_report",
    title="拜访报告 Visit report",
    citation="002 rule 7",
    steps=(
        StepSpec(
            key="report",
            title="提交拜访报告 Submit the visit report",
            named=True,
            due_working_days=REPORT_WORKING_DAYS,
            remind_before_hours=4,
            escalate_to=(Role.marketing_manager,),
            allow_return=False,
            citation="002 rule 7",
            rules=("002-7-report-within-two-days",),
        ),
    ),
)


class PlannedVisit(BaseModel):
    visit_id: int
    customer_id: int
    customer_name: Annotated[str, Fitted(200)]
    planned_on: date


class VisitPlanInput(BaseModel):
    plan_id: int
    month: str = Field(pattern=MONTH_PATTERN)
    salesperson: Actor
    unit_path: list[str] = Field(default_factory=list)
    visits: list[PlannedVisit]
    chain: ChainSpec = VISIT_PLAN_CHAIN


class VisitInput(BaseModel):
    visit_id: int
    plan_id: int
    salesperson: str
    unit: str | None = None
    customer_id: int
    customer_name: Annotated[str, Fitted(200)] = ""
    planned_on: date
    chain: ChainSpec = VISIT_REPORT_CHAIN


class ReportRequest(BaseModel):
    report: VisitReportIn
    actor: Actor


class PlanDueQuery(BaseModel):
    """How many working days from `at` to the last working day before `month` (0 when past)."""

    month: str = Field(pattern=MONTH_PATTERN)
    at: datetime
    longest: int = Field(default=60, ge=1, le=130)  # a quarter's meeting (000 §15) counts up to a quarter


class VisitReported(BaseModel):
    visit_id: int
    report: VisitReportIn
    reported_by: str
    reported_at: datetime
