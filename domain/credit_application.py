"""P5 credit: the application for periodic settlement and the GM's over-limit approval, as data.

定期结算申请 (000 §13): the customer's credit papers go to marketing and finance, who analyse them
together with its credit record and set its grade; the application is then approved by the company's
marketing and finance leaders (营销、财务主管领导). A limit above what the policy lets them grant
for the customer's grade is a special agreement beyond the credit range, which the general manager
approves (001 信用管理措施 §3 总经理负责审批超过信用范围的特殊协议) — and so is a single delivery
that would take a credit customer past its limit.

Step deadlines are not in the seeds: ASSUMPTION 3 working days per step of the application and one
working day for the over-limit approval (a delivery is waiting), each with a reminder.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, Field, model_validator

from domain.approvals import ChainSpec, SignMode, StepSpec
from domain.china_time import ChinaTime
from domain.credit import CreditCustomer, CreditStanding
from domain.examples import CREDIT_CODE, examples
from domain.grading import Grade
from domain.ledger import LedgerEntry
from domain.models import Actor, ProcessView
from domain.roles import Role
from domain.rulebook import enforces
from domain.text import INT32_MAX, StoredText

APPLICATION_PROCESS = "credit_application"
OVER_LIMIT_PROCESS = "credit_over_limit"

# ASSUMPTION (the seeds give no figure): each step of the application is due in 3 working days,
# the over-limit approval in 1 (a delivery waits on it); reminders 4 hours before.
APPLICATION_STEP_WORKING_DAYS = 3
OVER_LIMIT_WORKING_DAYS = 1
REMIND_BEFORE_HOURS = 4

JOINT_REVIEW = StepSpec(
    key="joint_review",
    title="营销、财务资产部共同审核 Joint review by marketing and finance",
    roles=(Role.marketing_reviewer, Role.finance_reviewer),
    mode=SignMode.all,
    due_working_days=APPLICATION_STEP_WORKING_DAYS,
    remind_before_hours=REMIND_BEFORE_HOURS,
    escalate_to=(Role.marketing_manager, Role.business_vp),
    citation="000 §13 营销、财务资产部门结合已往信用记录经认真分析后…核定客户信用等级",
    rules=("000-13-joint-analysis",),
)
LEADERS_APPROVAL = StepSpec(
    key="leaders_approval",
    title="营销、财务主管领导批准 Marketing and finance leaders approve",
    roles=(Role.business_vp, Role.chief_accountant),
    mode=SignMode.all,
    due_working_days=APPLICATION_STEP_WORKING_DAYS,
    remind_before_hours=REMIND_BEFORE_HOURS,
    escalate_to=(Role.general_manager,),
    citation="000 §13 报公司营销、财务主管领导批准后执行",
    rules=("000-13-leaders-approve",),
)
GM_SPECIAL_AGREEMENT = StepSpec(
    key="gm_approval",
    title="总经理审批超信用范围的特殊协议 General manager approves beyond the credit range",
    role=Role.general_manager,
    due_working_days=APPLICATION_STEP_WORKING_DAYS,
    remind_before_hours=REMIND_BEFORE_HOURS,
    citation="001 信用管理措施 §3",
    rules=("001-credit-3-gm-beyond-credit-range",),
)

CREDIT_APPLICATION_CHAIN = ChainSpec(
    process_type=APPLICATION_PROCESS,
    title="定期结算申请 Credit application",
    citation="000 §13",
    steps=(JOINT_REVIEW, LEADERS_APPROVAL),
)
CREDIT_APPLICATION_GM_CHAIN = CREDIT_APPLICATION_CHAIN.model_copy(
    update={"steps": (JOINT_REVIEW, LEADERS_APPROVAL, GM_SPECIAL_AGREEMENT), "citation": "000 §13; 001 §3"}
)

# 001 §3: a delivery past the limit is a special agreement only the general manager approves. No
# return: the GM approves or refuses; the sales desk posts a corrected delivery if need be.
OVER_LIMIT_CHAIN = ChainSpec(
    process_type=OVER_LIMIT_PROCESS,
    title="超信用范围特殊协议 Delivery beyond the credit limit",
    citation="001 信用管理措施 §3",
    steps=(
        StepSpec(
            key="gm_approval",
            title="总经理审批超信用范围发货 General manager approves a delivery beyond the limit",
            role=Role.general_manager,
            due_working_days=OVER_LIMIT_WORKING_DAYS,
            remind_before_hours=REMIND_BEFORE_HOURS,
            allow_return=False,
            citation="001 信用管理措施 §3",
            rules=("001-credit-3-gm-delivery-beyond-limit",),
        ),
    ),
)


@enforces("001-credit-3-gm-beyond-credit-range")
def credit_application_chain(limit: Decimal, ceiling: Decimal) -> ChainSpec:
    """The joint review and both leaders always; the GM too when the limit exceeds what the policy
    lets them grant for the customer's grade (001 §3; the grade feeds the ceiling, 001 §1)."""
    return CREDIT_APPLICATION_GM_CHAIN if limit > ceiling else CREDIT_APPLICATION_CHAIN


# 001 §1: A above B above C; a customer's grade is set by grading, approved by the business VP.
GRADE_RANK = {Grade.C: 0, Grade.B: 1, Grade.A: 2}


def grade_on_file(grade: str | None) -> Grade:
    """The customer's grade as filed; none (or unknown) is C, every new customer's first-year grade
    (001 §1 新客户第一年为C级)."""
    return Grade(grade) if grade is not None and grade in Grade.__members__ else Grade.C


@enforces("000-13-analysis-within-grade")
def analysis_grade_problem(analysed: Grade, on_file: Grade) -> str | None:
    """Why the reviewers' analysis may not set this grade (000 §13 核定客户信用等级 read with 001 §1
    and §3). Reading: grades are set by grading and approved by the business VP (001 §1), so the
    analysis may grade the customer at or below its grade on file (more cautious), never above —
    above would hand out a higher grade's ceiling without the GM (001 §3)."""
    if GRADE_RANK[analysed] <= GRADE_RANK[on_file]:
        return None
    return (
        f"the analysis grades the customer {analysed.value}, above its grade on file {on_file.value}: "
        "grades are set by grading, approved by the business VP (001 §1); "
        "a higher ceiling without that needs the GM (001 §3)"
    )


def granting_ceiling(analysed_ceiling: Decimal, on_file_ceiling: Decimal) -> Decimal:
    """The ceiling the leaders may grant up to without the GM (001 §3): the analysed grade's, never
    above the ceiling of the grade on file when the application was filed (001 §1)."""
    return min(analysed_ceiling, on_file_ceiling)


class OrganisationNature(StrEnum):
    """企业性质 (000 §13 组织性质; 000 §2 sorts customers into state-owned units and social businesses)."""

    state_owned = "state_owned"  # 国有及国有控股
    collective = "collective"  # 集体
    private = "private"  # 民营
    foreign_invested = "foreign_invested"  # 外资、合资
    individual = "individual"  # 个体工商户
    public_institution = "public_institution"  # 机关、事业单位


class CreditPaperKind(StrEnum):
    """The credit papers 000 §13 names beside the organisation's nature: 注册情况 and 财务报表."""

    registration = "registration"  # 注册登记 (营业执照 / 登记证书)
    financial_statement = "financial_statement"  # 财务报表


CREDIT_PAPER_TITLES = {CreditPaperKind.registration: "注册登记", CreditPaperKind.financial_statement: "财务报表"}


class CreditPaper(BaseModel):
    """One credit paper as filed, in the shape of the licences of domain/documents.py (a number, a
    validity) plus what a statement needs: its title and the period it covers."""

    kind: CreditPaperKind
    title: StoredText = Field(min_length=1, max_length=128, description="e.g. 营业执照, 2025年度资产负债表")
    number: StoredText | None = Field(default=None, max_length=64, description="registration number")
    issued_on: date | None = None
    period: StoredText | None = Field(default=None, max_length=20, description="a statement's period, e.g. 2025")
    valid_until: date | None = None


@enforces("000-13-credit-papers")
def credit_paper_problems(nature: OrganisationNature | None, papers: list[CreditPaper], today: date) -> list[str]:
    """Why an application's credit papers fall short of 000 §13 (由客户提供其组织性质、注册情况、财务报表
    等资信材料); empty when complete. Reading: at least one registration in force on `today` (with its
    number) and at least one financial statement naming its period."""
    problems: list[str] = []
    if nature is None:
        problems.append("organisation_nature (企业性质) is required (000 §13)")
    for kind in CreditPaperKind:
        present = [p for p in papers if p.kind is kind]
        if not present:
            problems.append(f"missing credit paper: {kind.value} ({CREDIT_PAPER_TITLES[kind]}) (000 §13)")
        elif kind is CreditPaperKind.registration and not any(
            p.number and (p.valid_until is None or p.valid_until >= today) for p in present
        ):
            problems.append("the registration must carry its number and be in force today (000 §13)")
        elif kind is CreditPaperKind.financial_statement and not any(p.period for p in present):
            problems.append("a financial statement must name the period it covers (000 §13)")
    return problems


class CreditApplicationIn(BaseModel):
    """`POST /credit-applications`: what the sales desk files for a customer (000 §13)."""

    model_config = examples(
        {
            "customer_id": 1,
            "limit": "300000.00",
            "term_days": 30,
            "collateral": "房产抵押 (郑州市金水区花园路 88 号)",
            "reason": "合作三年, 按月结算, 无逾期记录",
            "organisation_nature": "private",
            "documents": [
                {"kind": "registration", "title": "营业执照", "number": CREDIT_CODE, "issued_on": "2015-04-20"},
                {"kind": "financial_statement", "title": "2024 年度资产负债表", "period": "2024"},
            ],
        }
    )

    customer_id: int = Field(ge=1, le=INT32_MAX)
    limit: Decimal = Field(gt=0, max_digits=18, decimal_places=2, description="the credit limit asked for (yuan)")
    term_days: int = Field(ge=1, le=366, description="days after a delivery its payment falls due")
    collateral: StoredText | None = Field(
        default=None, max_length=500, description="资产抵押、担保: the security the customer offers (000 §13)"
    )
    reason: StoredText = Field(min_length=1, max_length=2000)
    collector: StoredText | None = Field(
        default=None,
        min_length=1,
        max_length=80,
        description="指定业务人员负责货款回收 (000 §13): the sales clerk who collects; default the applicant",
    )
    # Optional in the schema so that a missing paper is refused with the article (000 §13), not a bare 422.
    organisation_nature: OrganisationNature | None = Field(default=None, description="企业性质 (000 §13)")
    documents: list[CreditPaper] = Field(
        default_factory=list, max_length=20, description="注册情况、财务报表 (000 §13): registration and statements"
    )


class CreditApplicationForm(BaseModel):
    """The application as filed and checked: the collector resolved, the grade and its ceiling."""

    customer_id: int
    limit: Decimal = Field(max_digits=18, decimal_places=2)
    term_days: int
    collateral: str | None = None
    reason: str
    collector: str
    grade: str
    ceiling: Decimal = Field(max_digits=18, decimal_places=2)
    policy_version: int
    # Older applications (saved histories) were filed without their papers.
    organisation_nature: OrganisationNature | None = None
    documents: list[CreditPaper] = Field(default_factory=list)


class CreditApplicationInput(BaseModel):
    customer: CreditCustomer
    form: CreditApplicationForm
    applicant: Actor
    unit_path: list[str] = Field(default_factory=list)
    chain: ChainSpec = CREDIT_APPLICATION_CHAIN


class CreditResubmission(BaseModel):
    """The applicant's corrected application, checked by the API as a new one is."""

    actor: Actor
    form: CreditApplicationForm
    comment: StoredText | None = Field(default=None, max_length=2000)


class Security(StrEnum):
    """必要时可要求客户办理资产抵押、担保等收款保证手续 (000 §13)."""

    none = "none"
    collateral = "collateral"  # 资产抵押
    guarantee = "guarantee"  # 担保


SECURITY_TITLES = {Security.collateral: "资产抵押", Security.guarantee: "担保"}


class CreditAnalysisIn(BaseModel):
    """`POST /credit-applications/{id}/analysis`: a reviewer's analysis at the joint review (000 §13
    营销、财务资产部门…经认真分析后…核定客户信用等级): the credit grade and limit they set, the
    security they require, and why. It approves the reviewer's seat of the step."""

    model_config = examples(
        {
            "grade": "B",
            "limit": "300000.00",
            "security": "collateral",
            "security_description": "房产抵押, 评估价值 80 万元",
            "reasoning": "近三年回款及时, 资产负债率 45%, 核定 B 级",
        }
    )

    grade: Grade
    limit: Decimal = Field(gt=0, max_digits=18, decimal_places=2)
    security: Security = Security.none
    security_description: StoredText | None = Field(default=None, min_length=1, max_length=400)
    reasoning: StoredText = Field(min_length=1, max_length=2000)

    @model_validator(mode="after")
    def _security_described(self) -> CreditAnalysisIn:
        if (self.security is not Security.none) != (self.security_description is not None):
            raise ValueError("security_description is given exactly when collateral or a guarantee is required")
        return self


class CreditAnalysis(CreditAnalysisIn):
    """An analysis as recorded: who, when, and the policy's ceiling for the grade it set."""

    analysed_by: str
    analysed_at: ChinaTime
    ceiling: Decimal = Field(max_digits=18, decimal_places=2)

    def security_text(self) -> str | None:
        """What the credit account's `collateral` (and so the customer's standing) shows."""
        if self.security is Security.none:
            return None
        return f"{SECURITY_TITLES[self.security]} {self.security.value}: {self.security_description}"[:500]


class AnalysisRequest(BaseModel):
    """The analysis sent to the application as an Update, with the ceiling of the grade it sets
    under the policy version the application pinned (looked up by the API)."""

    analysis: CreditAnalysisIn
    actor: Actor
    ceiling: Decimal = Field(max_digits=18, decimal_places=2)


class CreditGrant(BaseModel):
    """What the store writes on final approval: the terms, and who granted them when (000 §13).
    With an analysis, what is granted is what the analysis set (its limit and security), not the
    request; without one (histories saved before the analysis was required), the request."""

    process_id: str
    customer: CreditCustomer
    form: CreditApplicationForm
    applicant: str
    decided_by: str
    decided_at: datetime
    analysis: CreditAnalysis | None = None
    analyses: list[CreditAnalysis] = Field(default_factory=list)
    # issue 20 audit: whether the GM signed the special agreement (001 §3); older grants: False
    gm_approved: bool = False

    def granted_limit(self) -> Decimal:
        return self.analysis.limit if self.analysis else self.form.limit

    @enforces("001-credit-3-gm-beyond-credit-range")
    def ceiling_problem(self) -> str | None:
        """Why this grant may not apply (001 §3): a limit above the ceiling of the grade on file
        (or of a lower analysed grade) that the GM did not approve; None when it may."""
        ceiling = granting_ceiling(self.analysis.ceiling, self.form.ceiling) if self.analysis else self.form.ceiling
        if self.gm_approved or self.granted_limit() <= ceiling:
            return None
        return (
            f"limit {self.granted_limit():.2f} is above the ceiling {ceiling:.2f} of the customer's grade "
            f"{self.form.grade} on file: beyond the credit range, the GM approves (001 §3)"
        )

    @enforces("000-13-collateral")
    def granted_collateral(self) -> str | None:
        """The security the analysis requires; else what the customer offered (000 §13)."""
        required = self.analysis.security_text() if self.analysis else None
        return required or self.form.collateral


class OverLimitInput(BaseModel):
    """A delivery refused as over the limit, waiting for the GM (001 §3)."""

    customer: CreditCustomer
    entry: LedgerEntry
    standing: CreditStanding
    detail: str = Field(max_length=2000)
    applicant: Actor
    chain: ChainSpec = OVER_LIMIT_CHAIN
    # issue 20: deliveries an ERP import booked already (`entry` sums them): the GM ratifies (001 §3),
    # nothing is booked on approval, and credit is held until the decision (domain.credit.CreditHold)
    ratification: bool = False


class OverLimitView(ProcessView):
    """The process as the GM sees it: the delivery they approve, and whether it was booked."""

    entry: LedgerEntry
    detail: str
    booked_entry_id: int | None = None


def over_limit_subject(
    customer: CreditCustomer, entry: LedgerEntry, standing: CreditStanding, *, ratification: bool = False
) -> str:
    """The task's subject carries the figures the GM decides on (001 §3); a ratification says so."""
    short = entry.amount - standing.available
    what = "超信用范围发货追认 (已发货)" if ratification else "超信用范围发货"
    return (
        f"{customer.name} {what} {entry.amount:.2f} ({entry.reference}): limit {standing.limit:.2f}, "
        f"outstanding {standing.outstanding:.2f}, short by {short:.2f}"
    )
