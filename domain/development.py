"""P9 market development — 市场开发 (000 §5 (一)6, §12, §15): the quarterly big-customer meeting,
the monthly development plan and the monthly research notes.

- 000 §15 每季度开展大客户座谈会, organised by 营销业务部 (000 §5 (一)6): a Schedule opens one
  meeting per quarter; the marketing manager organises it and records the minutes by the end of
  the quarter (a step deadline on the working-day calendar, escalated to the business VP).
- 000 §12 编制月度市场开发计划书, 设定客户开发指标, 分解到具体销售人员 … 月底考核兑现: the
  marketing department drafts next month's plan; the marketing manager approves it before the
  month starts, like the visit plan; the manager's own plan goes to the business VP.
- 000 §15 一般每月开展客户调研 (§12 调研和走访): a salesperson's research notes, approved by the
  marketing manager within a configured number of working days (assumption 3).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field, model_validator

from domain.approvals import ChainSpec, StepSpec
from domain.examples import FUTURE_MONTH, PAST_DAY, examples
from domain.models import Actor
from domain.roles import Role
from domain.rulebook import enforces
from domain.text import Fitted, Int32, StoredText, Username
from domain.visits import MONTH_PATTERN

QUARTER_PATTERN = r"^\d{4}Q[1-4]$"
# 000 §5 (一)6: 营销业务部 drafts the plan and organises the meetings; its manager approves.
DEVELOPMENT_DESK = frozenset({Role.marketing_reviewer, Role.marketing_manager})
# Who reads every meeting, plan and note: the marketing department and the leaders above it.
DEVELOPMENT_READERS = DEVELOPMENT_DESK | {Role.business_vp, Role.general_manager}
# P6: grade drives treatment — the A and B customers are the meeting's suggested invitees.
INVITED_GRADES = ("A", "B")


def quarter_of(day: date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def month_after_quarter(quarter: str) -> str:
    """The first month after `quarter`: the meeting is due on the last working day before it."""
    year, number = int(quarter[:4]), int(quarter[-1])
    return f"{year + 1}-01" if number == 4 else f"{year}-{number * 3 + 1:02d}"


def meeting_workflow_id(quarter: str, namespace_token: str = "") -> str:
    """One meeting per quarter: a second fire of the schedule finds it started and does nothing.
    `namespace_token` keeps test databases that share one Temporal namespace apart."""
    return f"big-customer-meeting-{quarter}{namespace_token}"


def development_workflow_id(kind: str, record_id: int, token: str) -> str:
    """Unique across databases that share one Temporal namespace (a test run's two databases)."""
    return f"{kind.replace('_', '-')}-{record_id}-{token}"


# --- the quarterly big-customer meeting (000 §15, §5 (一)6) -------------------------------------

MEETING_CHAIN = ChainSpec(
    process_type="big_customer_meeting",
    title="大客户座谈会 Quarterly big-customer meeting",
    citation="000 §15, §5 (一)6",
    steps=(
        StepSpec(
            key="minutes",
            title="组织座谈会并记录纪要 Organise the meeting and record the minutes",
            role=Role.marketing_manager,
            remind_before_hours=24,
            escalate_to=(Role.business_vp,),
            allow_return=False,
            citation="000 §15",
            rules=("000-15-quarterly-big-customer-meeting",),
        ),
    ),
)


class AttendeeIn(BaseModel):
    name: StoredText = Field(min_length=1, max_length=100)
    organisation: StoredText = Field(min_length=1, max_length=200)
    customer_id: Int32 | None = Field(default=None, ge=1)


class MinutesIn(BaseModel):
    """The meeting's record (000 §15): when, who came, what was said, what follows."""

    model_config = examples(
        {
            "held_on": PAST_DAY,
            "attendees": [
                {"name": "王建国", "organisation": "郑州华豫石化贸易有限公司", "customer_id": 1},
                {"name": "刘振华", "organisation": "本公司营销业务部"},
            ],
            "minutes": "通报一季度供应情况, 听取大客户对配送时效的意见",
            "follow_ups": "营销业务部两周内反馈配送改进方案",
        }
    )

    held_on: date
    attendees: list[AttendeeIn] = Field(min_length=1, max_length=200)
    minutes: StoredText = Field(min_length=1, max_length=20000)
    follow_ups: StoredText = Field(default="", max_length=4000)


class MeetingRound(BaseModel):
    """What the schedule starts; `quarter` from the fire moment unless given (a manual run)."""

    quarter: str | None = Field(default=None, pattern=QUARTER_PATTERN)
    namespace_token: str = ""


class MeetingInput(BaseModel):
    quarter: str = Field(pattern=QUARTER_PATTERN)
    chain: ChainSpec = MEETING_CHAIN


class MeetingOpened(BaseModel):
    quarter: str
    workflow_id: str
    opened_at: datetime


class MinutesRequest(BaseModel):
    minutes: MinutesIn
    actor: Actor


class MinutesRecorded(BaseModel):
    meeting_id: int
    minutes: MinutesIn
    recorded_by: str
    recorded_at: datetime


# --- the monthly development plan (000 §12) --------------------------------------------------------

# 000 §12: approved like the visit plan, by the marketing manager before the month starts (the step
# is due on the last working day before the month, set per plan when it starts).
DEVELOPMENT_PLAN_CHAIN = ChainSpec(
    process_type="development_plan",
    title="月度市场开发计划书 Monthly development plan",
    citation="000 §12",
    steps=(
        StepSpec(
            key="manager_approval",
            title="营销业务部经理审批 Marketing manager approves the plan",
            role=Role.marketing_manager,
            escalate_to=(Role.business_vp,),
            citation="000 §12",
            rules=("000-12-development-plan-approved",),
        ),
    ),
)
# The marketing manager's own plan goes to the business VP above them: nobody approves their own.
DEVELOPMENT_PLAN_VP_CHAIN = ChainSpec(
    process_type="development_plan",
    title="月度市场开发计划书 Monthly development plan",
    citation="000 §12",
    steps=(
        StepSpec(
            key="vp_approval",
            title="业务副总审批 Business VP approves the plan",
            role=Role.business_vp,
            escalate_to=(Role.general_manager,),
            citation="000 §12",
            rules=("000-12-development-plan-approved",),
        ),
    ),
)


def development_plan_chain(requester_roles: frozenset[Role] = frozenset()) -> ChainSpec:
    """000 §12: the marketing manager approves the department's plan; the business VP their own."""
    if Role.marketing_manager in requester_roles:
        return DEVELOPMENT_PLAN_VP_CHAIN
    return DEVELOPMENT_PLAN_CHAIN


@enforces("000-12-development-targets-per-salesperson")
class TargetIn(BaseModel):
    """One indicator of the plan, for one salesperson (000 §12 分解到具体销售人员): a customer on
    file or a prospect not yet on file."""

    salesperson: Username
    customer_id: Int32 | None = Field(default=None, ge=1)
    prospect: StoredText | None = Field(default=None, min_length=1, max_length=200)
    indicator: StoredText = Field(min_length=1, max_length=200, description="e.g. 月销量 (吨), 新开发客户数")
    target: Decimal = Field(ge=0, max_digits=16, decimal_places=2)

    @model_validator(mode="after")
    def _one_subject(self) -> TargetIn:
        if (self.customer_id is None) == (self.prospect is None):
            raise ValueError("name either customer_id or prospect")
        return self


class DevelopmentPlanIn(BaseModel):
    """Next month's development plan (000 §12)."""

    model_config = examples(
        {
            "month": FUTURE_MONTH,
            "focus": "开发郑州航空港区物流企业客户",
            "targets": [
                {
                    "salesperson": "sales_clerk",
                    "prospect": "郑州航空港顺达物流有限公司",
                    "indicator": "签约销量 (吨)",
                    "target": "200.00",
                }
            ],
        }
    )

    month: str = Field(pattern=MONTH_PATTERN, description="YYYY-MM")
    focus: StoredText = Field(min_length=1, max_length=4000, description="筛选月度开发的重点")
    targets: list[TargetIn] = Field(min_length=1, max_length=200)


class ResultIn(BaseModel):
    target_id: Int32 = Field(ge=1)
    actual: Decimal = Field(ge=0, max_digits=16, decimal_places=2)


class ResultsIn(BaseModel):
    """月底考核兑现 (000 §12): the actual figure of each target at month end."""

    model_config = examples({"results": [{"target_id": 1, "actual": "180.00"}]})

    results: list[ResultIn] = Field(min_length=1, max_length=200)


# --- the monthly research notes (000 §15, §12) -----------------------------------------------------

# 000 §15: approved by the marketing manager like the visit plan; within a configured number of
# working days (settings.research_note_working_days; assumption 3, the seed names none).
RESEARCH_NOTE_CHAIN = ChainSpec(
    process_type="research_note",
    title="月度客户调研 Monthly research notes",
    citation="000 §15, §12",
    steps=(
        StepSpec(
            key="manager_approval",
            title="营销业务部经理审阅 Marketing manager approves the notes",
            role=Role.marketing_manager,
            escalate_to=(Role.business_vp,),
            citation="000 §15",
            rules=("000-15-monthly-research",),
        ),
    ),
)


class PotentialCustomerIn(BaseModel):
    name: StoredText = Field(min_length=1, max_length=200)
    note: StoredText = Field(default="", max_length=1000)


class ResearchNoteIn(BaseModel):
    """A month's market research (000 §15 一般每月开展客户调研; §12 调研和走访)."""

    model_config = examples(
        {
            "month": FUTURE_MONTH,
            "area": "郑州航空港经济综合实验区",
            "findings": "区内物流企业 40 余家, 多数从社会加油站加油, 有集中采购意向",
            "customers_contacted": 12,
            "potential_customers": [{"name": "郑州航空港顺达物流有限公司", "note": "车队 60 辆, 月用油约 200 吨"}],
        }
    )

    month: str = Field(pattern=MONTH_PATTERN, description="YYYY-MM")
    area: StoredText = Field(min_length=1, max_length=200, description="the market area surveyed")
    findings: StoredText = Field(min_length=1, max_length=20000)
    customers_contacted: Int32 = Field(ge=0)
    potential_customers: list[PotentialCustomerIn] = Field(default_factory=list, max_length=200)


class DevelopmentKind(StrEnum):
    plan = "development_plan"
    note = "research_note"


class DevelopmentInput(BaseModel):
    """A plan or notes for approval: `due_before_month` sets the step's deadline to the last
    working day before `month` (the plan, 000 §12); otherwise the chain's own deadline holds."""

    kind: DevelopmentKind
    record_id: int
    month: str = Field(pattern=MONTH_PATTERN)
    author: Actor
    unit_path: list[str] = Field(default_factory=list)
    subject: Annotated[str, Fitted(200)]
    due_before_month: bool = False
    chain: ChainSpec
