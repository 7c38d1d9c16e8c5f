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
from domain.documents import Document
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

    conditions: StoredText = Field(min_length=1, max_length=5000)
    invited_range: StoredText = Field(min_length=1, max_length=2000, description="who is invited to bid")
    bidding_deadline: Moment


class TenderRequest(BaseModel):
    actor: Actor
    tender: TenderIn


class BidIn(BaseModel):
    """A bid recorded by marketing on the bidder's behalf; the card lets the winner become a customer."""

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

    decision: Literal["reopen", "cancel"]
    reason: StoredText = Field(min_length=1, max_length=2000)
    bidding_deadline: Moment | None = None
    conditions: StoredText | None = Field(default=None, max_length=5000)
    invited_range: StoredText | None = Field(default=None, max_length=2000)


class NoAwardDecisionRequest(BaseModel):
    actor: Actor
    decision: NoAwardDecisionIn


class EvaluationIn(BaseModel):
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
    signed_on: date
    our_signatory: StoredText = Field(min_length=1, max_length=100)
    counterpart_signatory: StoredText = Field(min_length=1, max_length=100)


class SigningRequest(BaseModel):
    actor: Actor
    signing: SigningIn


class TitleTransferIn(BaseModel):
    """000 §7 (七): the title-transfer certificate 物权转移证明 signed with the counterpart."""

    certificate_no: StoredText = Field(min_length=1, max_length=64)
    signed_on: date
    note: StoredText | None = Field(default=None, max_length=2000)


class TitleTransferRequest(BaseModel):
    actor: Actor
    certificate: TitleTransferIn


class PaymentFormIn(BaseModel):
    """000 §7 (八): the payment approval form 付款审批单, per the contract's payment terms."""

    amount: Money = Field(gt=0, max_digits=18, decimal_places=2)
    due_date: date
    bank_name: StoredText = Field(min_length=1, max_length=200)
    bank_account: StoredText = Field(min_length=4, max_length=64)
    instalment_note: StoredText | None = Field(default=None, max_length=500)


class PaymentFormRequest(BaseModel):
    actor: Actor
    form: PaymentFormIn


class PaymentPaidIn(BaseModel):
    paid_at: Moment
    reference: StoredText = Field(min_length=1, max_length=100, description="bank transfer reference")


class PaymentPaidRequest(BaseModel):
    actor: Actor
    number: Int32 = Field(ge=1)
    paid: PaymentPaidIn


class SettlementIn(BaseModel):
    """000 §7 (八): finance, together with marketing, settles the inbound refined oil 入库结算."""

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
    at: datetime


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
    bidding_deadline: datetime
    opened_by: str
    opened_at: datetime
    closed_at: datetime | None = None
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
    started_at: datetime
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
