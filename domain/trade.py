"""P2 external purchase and sale — 外采外销 (000 §7; contract review 003 §5): the rules as data.

The partner's credit review runs marketing → business VP → company leadership meeting; business
starts only after the meeting passes it. Then a tender among three or more bidders, the award,
the customer, a contract reviewed by legal, the title-transfer certificate, and payments approved
by finance, the division leader and the chief accountant before finance pays and settles.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from domain.approvals import ChainSpec, StepSpec
from domain.documents import Document, DocumentType, document_problems
from domain.roles import Role
from domain.rulebook import enforces

PROCESS_TYPE = "external_trade"

# 000 §7 (一)-(二): screening and credit approval belong to the marketing department alone.
MARKETING_ROLES = (Role.sales_clerk, Role.marketing_reviewer, Role.marketing_manager)
FINANCE_ROLES = (Role.finance_reviewer,)

# 000 §7 (五): "由三家或三家以上投标人参加投标".
MIN_BIDDERS = 3


class Ownership(StrEnum):
    state_owned = "state_owned"  # 国有企业
    state_controlled = "state_controlled"  # 国有控股企业
    private = "private"


# 000 §7 (二): "原则上与国有企业及国有控股企业的合作优先".
PREFERRED_OWNERSHIP = frozenset({Ownership.state_owned, Ownership.state_controlled})


def is_preferred(ownership: Ownership) -> bool:
    """State-owned and state-controlled enterprises come first (000 §7 (二))."""
    return ownership in PREFERRED_OWNERSHIP


class TradeDirection(StrEnum):
    purchase = "purchase"  # 外采: we buy, the lowest price wins
    sale = "sale"  # 外销: we sell, the highest price wins


class Product(StrEnum):
    refined_oil = "refined_oil"  # 成品油
    fuel_oil = "fuel_oil"  # 燃料油
    naphtha = "naphtha"  # 石脑油


# 000 §7 (四) items 1-6: every external-trade partner.
TRADE_REQUIRED: tuple[DocumentType, ...] = (
    DocumentType.hazardous_chemicals_trading_license,
    DocumentType.oil_wholesale_certificate,
    DocumentType.tax_registration,
    DocumentType.organization_code,
    DocumentType.bank_account_permit,
    DocumentType.hazardous_chemicals_certificate,
)

# 000 §7 (四) item 8: the business licence's scope must name naphtha explicitly.
NAPHTHA_WORDS = ("石脑油", "naphtha")
# A scope is read clause by clause (a bracket, a comma, a semicolon or a full stop ends one); within a
# clause these words before the mention, or 除外/以外 after it (or 除 … 外 around it), exclude naphtha.
SCOPE_CLAUSE_BREAKS = re.compile(r"[,，;；。.()（）\[\]【】\n]")
EXCLUDING_BEFORE: tuple[str, ...] = ("不含", "不包含", "不包括", "不得", "禁止", "不经营")
EXCLUDING_BEFORE += ("excluding", "except", "without", "not ", "no ")
EXCLUDING_AFTER = ("除外", "以外")


def _excludes(clause: str, at: int) -> bool:
    before, after = clause[:at], clause[at:]
    if any(word in before for word in EXCLUDING_BEFORE) or any(word in after for word in EXCLUDING_AFTER):
        return True
    return "除" in before and "外" in after


@enforces("000-7-naphtha-scope")
def scope_allows_naphtha(business_scope: str | None) -> bool:
    """000 §7 (四) item 8: the business licence's scope "明确允许经营石脑油". Read strictly: some clause
    names naphtha and no word of that clause excludes it, so "危险化学品经营(不含石脑油)" or
    "石脑油除外" do not allow it although they contain the word. Where a clause both names naphtha
    and excludes something (a scope that is unclear), the licence is not explicit: refused."""
    for clause in SCOPE_CLAUSE_BREAKS.split((business_scope or "").lower()):
        for word in NAPHTHA_WORDS:
            at = clause.find(word)
            if at >= 0 and not _excludes(clause, at):
                return True
    return False


@enforces("000-7-documents", "000-7-fuel-oil-approval")
def required_documents(products: Iterable[Product]) -> tuple[DocumentType, ...]:
    """000 §7 (四): items 1-6, plus item 7 (provincial fuel-oil approval) for fuel-oil partners."""
    extra = (DocumentType.fuel_oil_approval,) if Product.fuel_oil in set(products) else ()
    return TRADE_REQUIRED + extra


def partner_problems(
    documents: Iterable[Document], products: Iterable[Product], business_scope: str | None, today: date
) -> list[str]:
    """Every reason the partner's credit file falls short of 000 §7 (四); empty when complete."""
    wanted = list(products)
    problems = document_problems(documents, required_documents(wanted), today)
    if Product.naphtha in wanted and not scope_allows_naphtha(business_scope):
        problems.append(
            "business_scope must explicitly allow naphtha (石脑油), not exclude it, for a naphtha partner "
            "(000 §7 (四) item 8)"
        )
    return problems


@enforces("000-7-state-owned-first")
def rank_key(direction: TradeDirection, preferred: bool, amount: Decimal, first_at: datetime) -> tuple[object, ...]:
    """Default ranking: state-owned/controlled bidders first (000 §7 (二)), then the better price
    for us (lowest when buying, highest when selling), then who bid first."""
    price = amount if direction is TradeDirection.purchase else -amount
    return (not preferred, price, first_at)


def outstanding_amount(contract_amount: Decimal, paid: Decimal, in_approval: Decimal) -> Decimal:
    """What may still be requested: the contract amount less what is paid or already being approved."""
    return contract_amount - paid - in_approval


# --- chains (declarations read by the workflow through the one approval-step mechanism) ---------

# Step deadlines (issue 20 item 13). 000 §7 sets no time for a trade approval; like every other chain
# (onboarding: `onboarding_step_working_days`, 3) each step is due in 3 working days on the working-day
# calendar, its holder is reminded 2 hours before, and past it the ladder below is told one level
# per missed period (000 §16 "nobody may shirk", applied to approvals). Reading chosen: a department's
# step climbs to its head and then the general manager; a leader's step to the general manager, who
# also convenes the leadership meeting.
TRADE_STEP_WORKING_DAYS = 3
MARKETING_LADDER = (Role.marketing_manager, Role.business_vp, Role.general_manager)
FINANCE_LADDER = (Role.chief_accountant, Role.general_manager)
LEGAL_LADDER = (Role.business_vp, Role.general_manager)
LEADER_LADDER = (Role.general_manager,)

# 000 §7 (四): 业务部资信审查 → 业务副总审核 → 公司领导班子会议研究讨论, "通过后方可开展业务".
PARTNER_CHAIN = ChainSpec(
    process_type=PROCESS_TYPE,
    title="外采外销客户资信审批 External-trade partner credit approval",
    citation="000 §7",
    steps=(
        StepSpec(
            key="marketing_credit_review",
            title="营销业务部资信审查 Marketing credit review",
            role=Role.marketing_reviewer,
            allow_return=False,
            due_working_days=TRADE_STEP_WORKING_DAYS,
            escalate_to=MARKETING_LADDER,
            citation="000 §7 (四)",
            rules=("000-7-chain", "000-7-marketing-screens", "000-7-documents", "000-5-marketing-credit-investigation"),
        ),
        StepSpec(
            key="vp_review",
            title="业务副总审核 Business VP review",
            role=Role.business_vp,
            allow_return=False,
            due_working_days=TRADE_STEP_WORKING_DAYS,
            escalate_to=LEADER_LADDER,
            citation="000 §7 (四)",
            rules=("000-7-chain",),
        ),
        StepSpec(
            key="leadership_meeting",
            title="公司领导班子会议研究 Company leadership meeting decision",
            role=Role.leadership_meeting,
            allow_return=False,
            due_working_days=TRADE_STEP_WORKING_DAYS,
            escalate_to=LEADER_LADDER,
            citation="000 §7 (四)",
            rules=("000-7-chain", "000-7-business-after-meeting"),
        ),
    ),
)

# The step whose decision is a collective one, recorded with date, attendees and minutes.
LEADERSHIP_STEP = "leadership_meeting"

# 000 §7 (五): "按照规定程序从中选择符合条件的交易对象" — the ranking is approved by the business VP.
AWARD_CHAIN = ChainSpec(
    process_type=PROCESS_TYPE,
    title="招标定标审批 Tender award approval",
    citation="000 §7 (五)",
    steps=(
        StepSpec(
            key="award_approval",
            title="业务副总审批定标 Award approval",
            role=Role.business_vp,
            due_working_days=TRADE_STEP_WORKING_DAYS,
            escalate_to=LEADER_LADDER,
            citation="000 §7 (五)",
            rules=("000-7-award-by-procedure",),
        ),
    ),
)

# 003 §5: a business contract is reviewed by legal before it is signed; legal may send it back.
CONTRACT_REVIEW_CHAIN = ChainSpec(
    process_type=PROCESS_TYPE,
    title="合同法务审查 Contract legal review",
    citation="003 §5",
    steps=(
        StepSpec(
            key="legal_review",
            title="法务部门合同审查 Legal review",
            role=Role.legal_reviewer,
            due_working_days=TRADE_STEP_WORKING_DAYS,
            escalate_to=LEGAL_LADDER,
            citation="003 §5",
            rules=("003-5-legal-review-before-signing",),
        ),
    ),
)

# 000 §7 (八): 付款审批单 → 财务资产部审核 → 分管领导 → 总会计师审批.
PAYMENT_CHAIN = ChainSpec(
    process_type=PROCESS_TYPE,
    title="付款审批单 Payment approval",
    citation="000 §7 (八)",
    steps=(
        StepSpec(
            key="finance_audit",
            title="财务资产部审核 Finance audit",
            role=Role.finance_reviewer,
            allow_return=False,
            due_working_days=TRADE_STEP_WORKING_DAYS,
            escalate_to=FINANCE_LADDER,
            citation="000 §7 (八)",
            rules=("000-7-payment-chain",),
        ),
        StepSpec(
            key="division_leader_approval",
            title="分管领导审批 Division leader approval",
            role=Role.business_vp,
            allow_return=False,
            due_working_days=TRADE_STEP_WORKING_DAYS,
            escalate_to=LEADER_LADDER,
            citation="000 §7 (八)",
            rules=("000-7-payment-chain",),
        ),
        StepSpec(
            key="chief_accountant_approval",
            title="总会计师审批 Chief accountant approval",
            role=Role.chief_accountant,
            allow_return=False,
            due_working_days=TRADE_STEP_WORKING_DAYS,
            escalate_to=LEADER_LADDER,
            citation="000 §7 (八)",
            rules=("000-7-payment-chain",),
        ),
    ),
)
