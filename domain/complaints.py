"""Complaint rules — 客户投诉 (000 §16, 001 complaint rules, 002 rule 2, 003 §3-§4).

Declared once as data: deadlines per severity, the escalation ladder, the extension chain.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

from domain.approvals import ChainSpec, StepSpec
from domain.examples import examples
from domain.roles import Role
from domain.rulebook import enforces
from domain.text import Int32, Moment, StoredText


class Severity(StrEnum):
    ordinary = "ordinary"  # 一般投诉
    major = "major"  # 较大事件
    special = "special"  # 特殊情况 (leaders may extend to 7 working days)


class Channel(StrEnum):
    phone = "phone"
    email = "email"
    online = "online"
    visit = "visit"
    letter = "letter"


class Category(StrEnum):
    product_quality = "product_quality"
    delivery = "delivery"
    service_attitude = "service_attitude"
    billing = "billing"
    other = "other"


class ReplyMethod(StrEnum):
    written = "written"
    phone = "phone"


class Remedy(StrEnum):
    """001: after a product-cause verdict, a return report (re-production) or compensation notice."""

    reproduction = "reproduction"
    compensation = "compensation"
    none = "none"


# 000 §16: ordinary within 1 working day; a larger incident at most 3; special with leaders'
# approval at each level at most 7.
DEADLINE_WORKING_DAYS: dict[Severity, int] = {Severity.ordinary: 1, Severity.major: 3, Severity.special: 3}
EXTENDED_WORKING_DAYS = 7


@enforces("000-16-ordinary-one-working-day", "000-16-major-three-working-days")
def deadline_working_days(severity: Severity) -> int:
    """000 §16 (三): the working days a complaint has from its receipt. Reading: a special case
    starts with a larger incident's 3 days; only the leaders' approval extends it to 7."""
    return DEADLINE_WORKING_DAYS[severity]


# 001: the technical verdict within 1 working day, then the remedy within 1 working day.
VERDICT_WORKING_DAYS = 1
REMEDY_WORKING_DAYS = 1
# 001: marketing's re-production order is "treated as a rush order by production" (按急单处理). The
# article gives production no time of its own; reading chosen: the rush order is due like every other
# step after the verdict, 1 working day from marketing's order, and escalates the same way.
RUSH_PRODUCTION_WORKING_DAYS = 1

# 000 §16 "nobody may shirk": past the deadline the complaint climbs one level each time.
ESCALATION_LADDER: tuple[Role, ...] = (
    Role.marketing_reviewer,  # level 0: the handler in the marketing dept (the competent department)
    Role.marketing_manager,
    Role.business_vp,
    Role.general_manager,
)

# 001: serious complaints go to the business VP at once.
REPORT_AT_ONCE: frozenset[Severity] = frozenset({Severity.major, Severity.special})

# 000 §16: a special case needs the leaders' approval, level by level, to extend to 7 days.
EXTENDED_BY_LEADERS = ("000-16-special-seven-days-by-leaders",)
EXTENSION_CHAIN = ChainSpec(
    process_type="complaint_extension",
    title="特殊投诉延期审批 Special complaint extension",
    citation="000 §16",
    steps=tuple(
        StepSpec(key=key, title=title, role=role, citation="000 §16", rules=EXTENDED_BY_LEADERS)
        for key, title, role in (
            ("manager_extension", "营销业务部经理审批延期", Role.marketing_manager),
            ("vp_extension", "业务副总审批延期", Role.business_vp),
        )
    ),
)


@enforces("001-complaint-rush-production")
def needs_rush_production(remedy: Remedy) -> bool:
    """001: a return report leads to marketing's re-production order, which production runs as a
    rush order; a compensation is finished by finance alone."""
    return remedy is Remedy.reproduction


@enforces("001-complaint-remedy-one-working-day")
def remedy_role(remedy: Remedy) -> Role:
    """001: re-production is marketing's rush order; compensation is paid by finance."""
    return Role.finance_reviewer if remedy is Remedy.compensation else Role.marketing_reviewer


@enforces("002-2-15-complaint-record")
class ComplaintRecord(BaseModel):
    """The complaint record of 002 rule 2 §15: customer, request, received time and number."""

    customer_id: Int32 | None = None
    customer_name: StoredText = Field(min_length=1, max_length=200)
    channel: Channel
    category: Category
    severity: Severity
    description: StoredText = Field(min_length=1, max_length=5000)
    customer_request: StoredText | None = Field(default=None, max_length=2000)
    received_at: Moment
    contact: StoredText | None = Field(default=None, max_length=200)


@enforces("000-16-cause-and-solution", "002-2-17-investigation-report")
class InvestigationReport(BaseModel):
    """002 rule 2 §17: cause, course, responsible person, conclusion, countermeasure, prevention."""

    model_config = examples(
        {
            "cause": "储罐脱水不及时, 油品含水超标",
            "course": "抽检同批次留样, 化验含水量 0.08%",
            "responsible_person": "张伟",
            "conclusion": "油品质量原因, 投诉属实",
            "countermeasure": "为客户调换同等数量合格油品",
            "prevention": "储罐每日脱水并记录",
            "product_cause": True,
        }
    )

    cause: StoredText = Field(min_length=1, max_length=2000)
    course: StoredText = Field(min_length=1, max_length=5000)
    responsible_person: StoredText = Field(min_length=1, max_length=100)
    conclusion: StoredText = Field(min_length=1, max_length=2000)
    countermeasure: StoredText = Field(min_length=1, max_length=2000)
    prevention: StoredText = Field(min_length=1, max_length=2000)
    product_cause: bool = False


# How long before a deadline the handler is reminded (configuration; not set by the regulations).
REMINDER_BEFORE_HOURS = 2


class ComplaintStage(StrEnum):
    investigation = "investigation"
    technical_verdict = "technical_verdict"
    remedy = "remedy"
    rush_production = "rush_production"  # 001: production runs marketing's re-production order as a rush order
    reply = "reply"
    closed = "closed"
