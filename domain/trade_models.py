"""Boundary models of the external-trade process (000 §7, 003 §5): workflow input, update
requests (`…In` is the HTTP body, the request adds the authenticated actor), the state auditors
read and the projection rows."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, Field, field_validator

from domain.approvals import Outcome
from domain.china_time import ChinaTime
from domain.documents import Document
from domain.examples import (
    CREDIT_CODE,
    CUSTOMER_CARD,
    FUTURE_DAY,
    FUTURE_MOMENT,
    ONBOARDING_DOCUMENTS,
    PARTNER_CREDIT_CODE,
    PAST_DAY,
    PAST_MOMENT,
    examples,
)
from domain.models import Actor, CustomerData, DecisionRecord, ProcessProjection, ProcessStatus
from domain.text import Int32, Moment, StoredText, Username
from domain.trade import Ownership, Product, TradeDirection, is_preferred

Money = Decimal


class TradeStage(StrEnum):
    partner_review = "partner_review"  # marketing → business VP → leadership meeting
    tender_opening = "tender_opening"  # marketing publishes the tender
    bidding = "bidding"  # bids until the deadline (a durable timer)
    no_award = "no_award"  # fewer than three bidders or award refused: re-open or cancel
    evaluation = "evaluation"  # marketing ranks the bids
    award_approval = "award_approval"
    contract_drafting = "contract_drafting"
    contract_review = "contract_review"  # legal (003 §5)
    contract_signing = "contract_signing"
    title_transfer = "title_transfer"  # 物权转移证明
    payment = "payment"  # payment forms, payments and inbound settlement
    completed = "completed"
    rejected = "rejected"
    cancelled = "cancelled"


class TenderStatus(StrEnum):
    bidding = "bidding"
    no_award = "no_award"  # closed with fewer than three bidders
    evaluation = "evaluation"
    award_approval = "award_approval"
    award_refused = "award_refused"
    awarded = "awarded"
    cancelled = "cancelled"


class PaymentStatus(StrEnum):
    in_approval = "in_approval"
    approved = "approved"  # waiting for finance to pay
    paid = "paid"  # waiting for the inbound settlement
    settled = "settled"
    rejected = "rejected"


# --- start ------------------------------------------------------------------------------------


class TradeApplication(BaseModel):
    """Marketing's credit file on a partner: the 000 §10 card and the 000 §7 (四) documents."""

    model_config = examples(
        {
            "partner": {
                **CUSTOMER_CARD,
                "name": "河南中原石油化工销售有限公司",
                "credit_code": PARTNER_CREDIT_CODE,
                "kind": "external_trade",
            },
            "ownership": "state_controlled",
            "direction": "purchase",
            "products": ["refined_oil"],
            "documents": ONBOARDING_DOCUMENTS,
            "purpose": "采购 92 号汽油 5000 吨, 2030 年第三季度分批提货",
            "co_handlers": ["marketing_manager"],
        }
    )

    partner: CustomerData
    ownership: Ownership
    direction: TradeDirection
    products: list[Product] = Field(min_length=1, max_length=len(Product))  # stored joined in VARCHAR(100)
    documents: list[Document]
    purpose: StoredText = Field(
        min_length=1, max_length=2000, description="the intended business (goods, volume, period)"
    )
    co_handlers: list[Username] = Field(
        default_factory=list,
        max_length=10,
        description="usernames of marketing colleagues who work the deal with its applicant (the handler)",
    )

    @field_validator("products")
    @classmethod
    def _distinct_products(cls, value: list[Product]) -> list[Product]:
        if len(set(value)) != len(value):
            raise ValueError("each product at most once")
        return value

    @property
    def preferred(self) -> bool:
        return is_preferred(self.ownership)


class TradeInput(BaseModel):
    application: TradeApplication
    applicant: Actor


# --- request bodies and update requests --------------------------------------------------------


class LeadershipDecisionIn(BaseModel):
    """The company leadership meeting's collective decision (000 §7 (四)), recorded from its minutes."""

    model_config = examples(
        {
            "meeting_date": PAST_DAY,
            "attendees": ["刘振华", "陈国强", "赵丽"],
            "minutes_ref": "领导班子会议纪要〔2025〕12号",
            "outcome": "approve",
            "comment": "同意与该公司开展外贸业务",
        }
    )

    meeting_date: date
    attendees: list[Annotated[StoredText, Field(max_length=100)]] = Field(
        min_length=2, max_length=50, description="names of the leaders present (at least two)"
    )
    minutes_ref: StoredText = Field(
        min_length=1, max_length=100, description="reference of the meeting minutes 会议纪要"
    )
    outcome: Literal[Outcome.approve, Outcome.reject]
    comment: StoredText = Field(min_length=1, max_length=2000)

    @field_validator("attendees")
    @classmethod
    def _distinct_attendees(cls, value: list[str]) -> list[str]:
        names = [name.strip() for name in value if name.strip()]
        if len(set(names)) < 2:
            raise ValueError("a leadership meeting needs at least two distinct attendees")
        return names


class LeadershipDecisionRequest(BaseModel):
    actor: Actor
    decision: LeadershipDecisionIn


class TenderIn(BaseModel):
    """000 §7 (五): trading conditions published to a defined range of bidders, with a deadline."""

    model_config = examples(
        {
            "conditions": "92 号汽油 5000 吨, 国 VI 标准, 到库价含税",
            "invited_range": "省内具有成品油批发资质的国有控股企业",
            "bidding_deadline": FUTURE_MOMENT,
        }
    )

    conditions: StoredText = Field(min_length=1, max_length=5000)
    invited_range: StoredText = Field(min_length=1, max_length=2000, description="who is invited to bid")
    bidding_deadline: Moment


class TenderRequest(BaseModel):
    actor: Actor
    tender: TenderIn


class BidIn(BaseModel):
    """A bid recorded by marketing on the bidder's behalf; the card lets the winner become a customer."""

    model_config = examples(
        {
            "bidder": {**CUSTOMER_CARD, "kind": "external_trade"},
            "ownership": "private",
            "amount": "42500000.00",
            "unit_price": "8500.00",
            "quantity": "5000 吨",
            "terms": "到库交货, 款到发货",
            "documents": ONBOARDING_DOCUMENTS,
        }
    )

    bidder: CustomerData
    ownership: Ownership
    amount: Money = Field(gt=0, max_digits=18, decimal_places=2, description="total price of the bid (CNY)")
    unit_price: Money | None = Field(default=None, gt=0, max_digits=18, decimal_places=2)
    quantity: StoredText | None = Field(default=None, max_length=100)
    terms: StoredText = Field(min_length=1, max_length=3000)
    documents: list[Document] = Field(default_factory=list)


class BidRequest(BaseModel):
    actor: Actor
    bid: BidIn


class NoAwardDecisionIn(BaseModel):
    """Marketing's decision on a tender without award: re-open (new deadline) or cancel the deal."""

    model_config = examples(
        {"decision": "reopen", "reason": "有效投标不足三家, 重新招标", "bidding_deadline": FUTURE_MOMENT}
    )

    decision: Literal["reopen", "cancel"]
    reason: StoredText = Field(min_length=1, max_length=2000)
    bidding_deadline: Moment | None = None
    conditions: StoredText | None = Field(default=None, max_length=5000)
    invited_range: StoredText | None = Field(default=None, max_length=2000)


class NoAwardDecisionRequest(BaseModel):
    actor: Actor
    decision: NoAwardDecisionIn


class EvaluationIn(BaseModel):
    model_config = examples({"ranking": [CREDIT_CODE], "rationale": "报价最低且资质齐全"})

    ranking: list[Annotated[StoredText, Field(max_length=18)]] | None = Field(
        default=None,
        max_length=100,
        description="every bidder's credit code, best first; omitted: the proposed default ranking",
    )
    rationale: StoredText = Field(min_length=1, max_length=3000)


class EvaluationRequest(BaseModel):
    actor: Actor
    evaluation: EvaluationIn


class ContractIn(BaseModel):
    model_config = examples(
        {
            "contract_no": "HY-WM-2030-018",
            "amount": "42500000.00",
            "goods": "92 号汽油 (国 VI) 5000 吨",
            "payment_terms": "合同签订后 5 个工作日内预付 30%, 提货前付清余款",
            "delivery_terms": "郑州油库自提, 2030 年 7 月至 9 月分三批",
        }
    )

    contract_no: StoredText = Field(min_length=1, max_length=64)
    amount: Money = Field(gt=0, max_digits=18, decimal_places=2)
    goods: StoredText = Field(min_length=1, max_length=500)
    payment_terms: StoredText = Field(min_length=1, max_length=3000)
    delivery_terms: StoredText | None = Field(default=None, max_length=3000)
    note: StoredText | None = Field(default=None, max_length=2000)


class ContractRequest(BaseModel):
    actor: Actor
    contract: ContractIn


class SigningIn(BaseModel):
    model_config = examples({"signed_on": PAST_DAY, "our_signatory": "刘振华", "counterpart_signatory": "王建国"})

    signed_on: date
    our_signatory: StoredText = Field(min_length=1, max_length=100)
    counterpart_signatory: StoredText = Field(min_length=1, max_length=100)


class SigningRequest(BaseModel):
    actor: Actor
    signing: SigningIn


class TitleTransferIn(BaseModel):
    """000 §7 (七): the title-transfer certificate 物权转移证明 signed with the counterpart."""

    model_config = examples({"certificate_no": "QS-2030-0042", "signed_on": PAST_DAY, "note": "第一批 1500 吨货权转移"})

    certificate_no: StoredText = Field(min_length=1, max_length=64)
    signed_on: date
    note: StoredText | None = Field(default=None, max_length=2000)


class TitleTransferRequest(BaseModel):
    actor: Actor
    certificate: TitleTransferIn


class PaymentFormIn(BaseModel):
    """000 §7 (八): the payment approval form 付款审批单, per the contract's payment terms."""

    model_config = examples(
        {
            "amount": "12750000.00",
            "due_date": FUTURE_DAY,
            "bank_name": "中国工商银行郑州花园路支行",
            "bank_account": "1702020109024567890",
            "instalment_note": "预付款 30%",
        }
    )

    amount: Money = Field(gt=0, max_digits=18, decimal_places=2)
    due_date: date
    bank_name: StoredText = Field(min_length=1, max_length=200)
    bank_account: StoredText = Field(min_length=4, max_length=64)
    instalment_note: StoredText | None = Field(default=None, max_length=500)


class PaymentFormRequest(BaseModel):
    actor: Actor
    form: PaymentFormIn


class PaymentPaidIn(BaseModel):
    model_config = examples({"paid_at": PAST_MOMENT, "reference": "ICBC-20250318-00871"})

    paid_at: Moment
    reference: StoredText = Field(min_length=1, max_length=100, description="bank transfer reference")


class PaymentPaidRequest(BaseModel):
    actor: Actor
    number: Int32 = Field(ge=1)
    paid: PaymentPaidIn


class SettlementIn(BaseModel):
    """000 §7 (八): finance, together with marketing, settles the inbound refined oil 入库结算."""

    model_config = examples(
        {"settled_on": PAST_DAY, "receipt_no": "RK-2025-0318", "marketing_confirmed_by": "李娜", "quantity": "1500 吨"}
    )

    settled_on: date
    receipt_no: StoredText = Field(min_length=1, max_length=64, description="inbound (warehouse) receipt number")
    marketing_confirmed_by: StoredText = Field(
        min_length=1, max_length=100, description="marketing colleague who settled"
    )
    quantity: StoredText | None = Field(default=None, max_length=100)
    note: StoredText | None = Field(default=None, max_length=2000)


class SettlementRequest(BaseModel):
    actor: Actor
    number: Int32 = Field(ge=1)
    settlement: SettlementIn


# --- state --------------------------------------------------------------------------------------


class Recorded(BaseModel):
    """Who recorded something and when."""

    by: str
    at: ChinaTime


class LeadershipRecord(LeadershipDecisionIn, Recorded):
    pass


class BidRevision(Recorded):
    revision: int
    amount: Money
    unit_price: Money | None = None
    quantity: str | None = None
    terms: str


class Bid(BaseModel):
    bidder: CustomerData
    ownership: Ownership
    preferred: bool
    documents: list[Document] = Field(default_factory=list)
    revisions: list[BidRevision]

    @property
    def current(self) -> BidRevision:
        return self.revisions[-1]


class RankedBid(BaseModel):
    rank: int
    credit_code: str
    name: str
    preferred: bool
    amount: Money


class Evaluation(Recorded):
    ranking: list[RankedBid]
    rationale: str
    follows_proposal: bool


class NoAwardDecision(Recorded):
    decision: str
    reason: str


class Tender(BaseModel):
    number: int
    status: TenderStatus
    conditions: str
    invited_range: str
    bidding_deadline: ChinaTime
    opened_by: str
    opened_at: ChinaTime
    closed_at: ChinaTime | None = None
    bids: list[Bid] = Field(default_factory=list)
    proposed_ranking: list[RankedBid] = Field(default_factory=list)
    evaluations: list[Evaluation] = Field(default_factory=list)
    award_decisions: list[DecisionRecord] = Field(default_factory=list)
    winner_credit_code: str | None = None
    no_award_decision: NoAwardDecision | None = None

    def bid_of(self, credit_code: str) -> Bid | None:
        return next((bid for bid in self.bids if bid.bidder.credit_code == credit_code), None)


class ContractDraft(ContractIn, Recorded):
    revision: int


class Signing(SigningIn, Recorded):
    pass


class TitleTransfer(TitleTransferIn, Recorded):
    pass


class Contract(BaseModel):
    counterpart_credit_code: str
    counterpart_name: str
    drafts: list[ContractDraft] = Field(default_factory=list)
    review_decisions: list[DecisionRecord] = Field(default_factory=list)
    signing: Signing | None = None
    title_transfer: TitleTransfer | None = None

    @property
    def current(self) -> ContractDraft:
        return self.drafts[-1]


class PaymentRecord(PaymentPaidIn, Recorded):
    pass


class Settlement(SettlementIn, Recorded):
    pass


class Payment(PaymentFormIn, Recorded):
    number: int
    status: PaymentStatus
    decisions: list[DecisionRecord] = Field(default_factory=list)
    payment: PaymentRecord | None = None
    settlement: Settlement | None = None


class TradeView(BaseModel):
    """Where the deal stands: what every update answers (a superset of the inbox's answer)."""

    process_id: str
    process_type: str
    status: ProcessStatus
    stage: TradeStage
    current_step: str | None
    customer_id: int | None = None
    open_task_ids: list[str] = Field(default_factory=list)
    holders: list[str] = Field(default_factory=list)  # who the deal waits for: users, or role@unit
    tender_number: int | None = None
    outstanding: Money | None = None


class WinnerReview(BaseModel):
    """A winning bidder's partner credit review (000 §7 (四)), run before the award when the winner
    is not the partner this deal was approved for: the documents it examined become the customer's."""

    credit_code: str
    name: str
    documents: list[Document]
    decisions: list[DecisionRecord] = Field(default_factory=list)
    leadership: LeadershipRecord | None = None
    passed: bool | None = None  # None while under review


class TradeState(TradeView):
    """The whole deal for auditors: partner approval, tenders with every bid and revision, ranking,
    award, contract with its reviews, payments with their approvals."""

    workflow_id: str
    applicant: str
    started_at: ChinaTime
    application: TradeApplication
    preferred: bool
    partner_decisions: list[DecisionRecord]
    leadership: LeadershipRecord | None
    winner_reviews: list[WinnerReview] = Field(default_factory=list)
    tenders: list[Tender]
    contract: Contract | None
    payments: list[Payment]
    paid_total: Money
    settled_total: Money


# --- projections --------------------------------------------------------------------------------


class TradeProjection(BaseModel):
    """The deal and tender rows lists read; `version` orders projections of one run."""

    process: ProcessProjection  # the process row, written in the same transaction
    version: int
    state: TradeState


class TenderClosure(BaseModel):
    """The deadline passed: the tender closed, with or without enough bidders (a system action)."""

    process_id: str
    number: int
    status: TenderStatus
    bidders: int
    closed_at: datetime
    proposed_ranking: list[str]
