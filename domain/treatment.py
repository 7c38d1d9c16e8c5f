"""What a customer's grade entitles it to — 各级客户享有待遇 (001 分类客户享有待遇; 000 §11; P6).

ONE table, by grade: the price tier, the supply priority in a shortage (000 §11 (四) 在资源紧张的情况下,
优先保证相对高级别客户的资源供应), who visits how often, and how often the customer's written report
is due. Everything that sorts or shows treatment reads `treatment_for` (the customer list's
`supply_priority` sort too), so there is one source.

The seed lost the grade letters in scraping (001 lists five classes: 发货优先 / 第二…第五优先, 最优 /
较优 / 合适优惠价格, 主管副总经理、业务部经理每季度 / 每六个月回访, 业务部经理每一年, 办事处主任每六个月).
ASSUMPTION, as data to change in one place: with the system's three grades, A is the first class
(VP and marketing manager every quarter), B the fairly important (marketing manager yearly), C the
ordinary (office director every six months); written reports are due least often for A (every six
months), quarterly for B and monthly for C (P6 "top grade least often, lowest monthly").
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

from domain.grading import Grade
from domain.rulebook import enforces


class PriceTier(StrEnum):
    best = "best"  # 最优价格
    preferred = "preferred"  # 较优价格
    standard = "standard"  # 合适优惠价格


class VisitCadence(BaseModel):
    """Who visits the customer (回访), and every how many months."""

    visitors: list[str] = Field(description="the roles (or office) who visit")
    every_months: int = Field(ge=1, le=12)


class Treatment(BaseModel):
    """The treatment a grade is entitled to (001 分类客户享有待遇; 000 §11)."""

    grade: str
    price_tier: PriceTier
    supply_priority: int = Field(description="1 is supplied first in a shortage (000 §11 (四))")
    visits: list[VisitCadence]
    report_every_months: int = Field(ge=1, le=12, description="how often the customer's written report is due")


TREATMENT_BY_GRADE: dict[Grade, Treatment] = {
    Grade.A: Treatment(
        grade=Grade.A.value,
        price_tier=PriceTier.best,
        supply_priority=1,
        visits=[VisitCadence(visitors=["business_vp", "marketing_manager"], every_months=3)],
        report_every_months=6,
    ),
    Grade.B: Treatment(
        grade=Grade.B.value,
        price_tier=PriceTier.preferred,
        supply_priority=2,
        visits=[VisitCadence(visitors=["marketing_manager"], every_months=12)],
        report_every_months=3,
    ),
    Grade.C: Treatment(
        grade=Grade.C.value,
        price_tier=PriceTier.standard,
        supply_priority=3,
        visits=[VisitCadence(visitors=["office_director"], every_months=6)],
        report_every_months=1,
    ),
}


def treatment_for(grade: str) -> Treatment:
    """The treatment of a customer of `grade`; an unknown grade is treated as C (every new customer
    is C, 001 §1)."""
    return TREATMENT_BY_GRADE[Grade(grade) if grade in Grade.__members__ else Grade.C]


@enforces("000-11-shortage-priority")
def supply_priority(grade: str) -> int:
    """000 §11: in a resource shortage higher grades are supplied first — sort customers by this
    (A before B before C; an unknown grade last)."""
    known = TREATMENT_BY_GRADE.get(Grade(grade)) if grade in Grade.__members__ else None
    return known.supply_priority if known else len(TREATMENT_BY_GRADE) + 1
