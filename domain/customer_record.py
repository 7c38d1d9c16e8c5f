"""The customer record as a living file (P8): what may change on the card and how, the status a
customer moves through, the hand-over, the destruction of a past file and the transaction-start
survey (000 §10, 001 summary form, 004 §4-§6, 002 rule 4 §12).

Pure rules and boundary models, read by the API, the change workflow and its store activity.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain.approvals import ChainSpec
from domain.examples import examples
from domain.models import Actor
from domain.rulebook import enforces
from domain.text import Int32, StoredText, Username


class CustomerStatus(StrEnum):
    """004 §4-§6: a file is opened for a prospect, trades while active, is set aside as suspended
    (交易中止) or past (交易过去) when trade stops, and terminated when the customer is dissolved."""

    prospect = "prospect"
    active = "active"
    suspended = "suspended"
    past = "past"
    terminated = "terminated"


# Which status may follow which (004 §4 (四), §6): a suspended or past customer may trade again;
# a terminated one (dissolved, relationship ended for good) never comes back.
STATUS_MOVES: dict[CustomerStatus, frozenset[CustomerStatus]] = {
    CustomerStatus.prospect: frozenset({CustomerStatus.active, CustomerStatus.past, CustomerStatus.terminated}),
    CustomerStatus.active: frozenset({CustomerStatus.suspended, CustomerStatus.past, CustomerStatus.terminated}),
    CustomerStatus.suspended: frozenset({CustomerStatus.active, CustomerStatus.past, CustomerStatus.terminated}),
    CustomerStatus.past: frozenset({CustomerStatus.active, CustomerStatus.terminated}),
    CustomerStatus.terminated: frozenset(),
}


@enforces("004-4-ended-customers-set-apart")
def status_problem(current: str, new: CustomerStatus) -> str | None:
    """Why `current` cannot become `new` (004 §4-§6); None when it can."""
    try:
        now = CustomerStatus(current)
    except ValueError:
        return f"the customer's status {current!r} is unknown"
    if new not in STATUS_MOVES[now]:
        return f"a {now.value} customer cannot become {new.value} (004 §4-§6)"
    return None


@enforces("000-10-leaver-hands-over")
def leaver_problem(username: str, files: int) -> str | None:
    """000 §10 (四), 002 rule 4 §12: staff who leave hand every customer record over (人员调离时
    其客户资料由营销部接收). Read as: a user who still looks after customer files is not disabled
    until they are handed over, so no file is left with nobody responsible for it."""
    if files:
        return (
            f"{username} still looks after {files} customer file(s): hand them over first "
            "(POST /customers/hand-over; 000 §10 (四), 002 rule 4 §12)"
        )
    return None


class ChangeKind(StrEnum):
    """What a row of the change log records (000 §10 (四): every major change goes into the file)."""

    card = "card"  # a card field changed by an approved change request
    status = "status"  # 004 §4-§6
    hand_over = "hand_over"  # 000 §10 (四), 002 rule 4 §12: a leaver's customers handed over
    destruction = "destruction"  # 004 §6


@enforces("000-10-card-fields", "001-summary-form-fields")
class CardChanges(BaseModel):
    """The card fields a change request may change (000 §10 (三), 001 summary form), each with the
    limits of its column. Not changeable here: the credit code (the customer's identity), the owning
    unit, the responsible person (the hand-over), the status (its own route) and the grade (grading)."""

    model_config = ConfigDict(extra="forbid")

    name: StoredText | None = Field(default=None, min_length=2, max_length=200)
    address: StoredText | None = Field(default=None, min_length=2, max_length=300)
    legal_representative: StoredText | None = Field(default=None, min_length=1, max_length=100)
    phone: StoredText | None = Field(default=None, min_length=5, max_length=40)
    postcode: str | None = Field(default=None, pattern=r"^\d{6}$")
    fax: StoredText | None = Field(default=None, max_length=40)
    owner: StoredText | None = Field(default=None, max_length=100)  # 所有者
    manager: StoredText | None = Field(default=None, max_length=100)  # 经营管理者
    organisation_form: StoredText | None = Field(default=None, max_length=100)
    industry: StoredText | None = Field(default=None, max_length=100)
    scale: StoredText | None = Field(default=None, max_length=100)
    business_scope: StoredText | None = Field(default=None, max_length=2000)
    registered_capital: Decimal | None = Field(default=None, ge=0, max_digits=18, decimal_places=2)
    registration_authority: StoredText | None = Field(default=None, max_length=200)
    registered_on: date | None = None
    employees: Int32 | None = Field(default=None, ge=0)
    revenue: Decimal | None = Field(default=None, max_digits=18, decimal_places=2)  # 001: 营业收入
    net_assets: Decimal | None = Field(default=None, max_digits=18, decimal_places=2)  # 001: 净资产
    bank_name: StoredText | None = Field(default=None, max_length=200)
    bank_account: StoredText | None = Field(default=None, max_length=64)  # 人民币账户
    foreign_currency_account: StoredText | None = Field(default=None, max_length=64)  # 001: 外币账户
    bank_rating: StoredText | None = Field(default=None, max_length=20)  # 001: 银行信用等级

    @model_validator(mode="after")
    def _something_changes(self) -> CardChanges:
        if not self.model_fields_set:
            raise ValueError("name at least one field to change")
        for field in REQUIRED_CARD_FIELDS & self.model_fields_set:
            if getattr(self, field) is None:
                raise ValueError(f"{field} cannot be emptied: the card must keep it (000 §10 (三))")
        return self

    def as_values(self) -> dict[str, Any]:
        """The fields asked for, as JSON values (what the history and the change log keep)."""
        return self.model_dump(mode="json", include=self.model_fields_set)


REQUIRED_CARD_FIELDS = frozenset({"name", "address", "legal_representative", "phone"})
CHANGEABLE_FIELDS = frozenset(CardChanges.model_fields)

# Fields blanked when a past customer's file is destroyed (004 §6): the personal and contact data
# and the bank accounts; the name and credit code stay so the change log still says whose file it was.
DESTROYED_FIELDS = (
    "address",
    "legal_representative",
    "phone",
    "postcode",
    "fax",
    "owner",
    "manager",
    "bank_name",
    "bank_account",
    "foreign_currency_account",
)


class CardChangeRequest(BaseModel):
    """`POST /customers/{id}/changes`: a major change of the card, to be approved (000 §10 (四))."""

    model_config = examples(
        {
            "changes": {"address": "河南省郑州市郑东新区商务外环路 16 号", "phone": "0371-65558888"},
            "reason": "公司办公地址迁移",
            "evidence": "变更后的营业执照 (2030 年 5 月换发)",
        }
    )

    changes: CardChanges
    reason: StoredText = Field(min_length=1, max_length=2000)
    evidence: StoredText | None = Field(default=None, max_length=2000, description="what proves the change")


class CustomerStatusChange(BaseModel):
    """`POST /customers/{id}/status`: a manager moves the customer, saying why (004 §4-§6)."""

    model_config = examples({"status": "suspended", "reason": "连续两个季度无业务往来, 暂停合作"})

    status: CustomerStatus
    reason: StoredText = Field(min_length=1, max_length=2000)


class CustomerHandOver(BaseModel):
    """`POST /customers/hand-over`: a leaver's customers to a colleague (000 §10 (四), 002 rule 4 §12)."""

    model_config = examples(
        {"from_user": "sales_clerk", "to_user": "marketing_reviewer", "reason": "业务员岗位调整, 客户移交"}
    )

    from_user: Username
    to_user: Username
    reason: StoredText = Field(min_length=1, max_length=2000)


class FileDestructionRequest(BaseModel):
    """`POST /customers/{id}/destruction`: destroy a past customer's file (004 §6)."""

    model_config = examples({"reason": "客户注销已满五年, 档案保管期满"})

    reason: StoredText = Field(min_length=1, max_length=2000)


@enforces("000-10-features-and-trade-situation")
class SurveyForm(BaseModel):
    """交易开始调查书 (004 §4 (一)), with the features and trade situation 000 §10 (一) asks for."""

    model_config = examples(
        {
            "direction": "buy",
            "products": "0 号柴油, 92 号汽油",
            "development_potential": "在建物流园区, 用油量将增长",
            "business_direction": "城市配送车队",
            "cooperation_attitude": "积极",
            "reputation": "当地口碑良好",
            "credit_standing": "近三年无逾期付款记录",
            "trade_conditions": "月结 30 天, 到库自提",
            "expected_monthly_tonnes": "300.00",
        }
    )

    direction: str = Field(pattern=r"^(buy|sell|both)$", description="we buy from, sell to, or both")
    products: StoredText = Field(min_length=1, max_length=200)
    development_potential: StoredText | None = Field(default=None, max_length=2000)
    business_direction: StoredText | None = Field(default=None, max_length=2000)
    cooperation_attitude: StoredText | None = Field(default=None, max_length=2000)
    reputation: StoredText | None = Field(default=None, max_length=2000)
    credit_standing: StoredText = Field(min_length=1, max_length=2000)
    trade_conditions: StoredText = Field(min_length=1, max_length=2000)
    expected_monthly_tonnes: Decimal | None = Field(default=None, ge=0, max_digits=18, decimal_places=2)


class RecordProcess(StrEnum):
    """The processes of the record: a card change, a destruction, and (issue 20 item 9) the
    transaction-start survey, approved by the surveyor's unit head (004 §4 (一))."""

    change = "change"
    destruction = "destruction"
    survey = "survey"


def survey_start(form: SurveyForm, surveyed_at: datetime) -> dict[str, Any]:
    """A survey as a record process carries it (`CustomerChangeInput.changes`), JSON-safe."""
    return {"form": form.model_dump(mode="json"), "surveyed_at": surveyed_at.isoformat()}


def survey_of(changes: dict[str, Any]) -> tuple[SurveyForm, datetime]:
    return SurveyForm.model_validate(changes["form"]), datetime.fromisoformat(changes["surveyed_at"])


class CustomerChangeInput(BaseModel):
    """Start of a `CustomerChange` workflow: what is asked, of which customer, through which chain."""

    kind: RecordProcess
    customer_id: int
    customer_name: str
    changes: dict[str, Any] = Field(default_factory=dict)  # CardChanges.as_values(); empty for a destruction
    reason: str
    evidence: str | None = None
    applicant: Actor
    unit: str
    unit_path: list[str] = Field(default_factory=list)
    chain: ChainSpec


class ChangeApplication(BaseModel):
    """What the store activity applies once the chain approved it."""

    process_id: str
    kind: RecordProcess
    customer_id: int
    changes: dict[str, Any] = Field(default_factory=dict)
    reason: str
    evidence: str | None = None
    requested_by: str
    approved_by: str
    approved_at: datetime
