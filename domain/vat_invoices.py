"""VAT special invoices, one by one — 增值税专用发票 (000 §9 (三), issue 20 item 8).

"加油站根据开票信息上报'增值税专用发票证明单'给财务资产部进行开票, 并对每一笔票据严格登记、领取":
for a prepaid station customer approved for VAT special invoices (the joint review of 000 §9 (三)
put its certificate form on the invoice register), the customer's station sends finance one
certificate form per invoice with the amount; finance issues the invoice and registers its number
(a task in finance's inbox, decided with the number); the invoice's collection (领取) is recorded
by the station or finance. Each invoice is a register line and a process of its own.

Readings chosen where the article is silent: only the station manager of the customer's own station
sends the form (000 §5 (三): a station acts for its customers); finance may refuse an invoice with a
reason (nothing is then issued); the collection is recorded by the customer's station, which hands
the invoice over, or by finance when the customer collects it there.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, Field

from domain.approvals import ChainSpec, StepSpec
from domain.examples import examples
from domain.models import Actor
from domain.roles import Role
from domain.text import StoredText
from domain.unit_customers import VatInvoiceInfo

ISSUE_STEP = "finance_issue"
COLLECTION_STEP = "collection"
REQUESTER = Role.station_manager

VAT_INVOICE_CHAIN = ChainSpec(
    process_type="vat_invoice",
    title="增值税专用发票开具 VAT special invoice",
    citation="000 §9 (三)",
    steps=(
        StepSpec(
            key=ISSUE_STEP,
            title="财务资产部开票 Finance issues the invoice",
            role=Role.finance_reviewer,
            allow_return=False,
            citation="000 §9 (三)",
            rules=("000-9-invoice-certificate-form", "000-9-invoice-register"),
        ),
    ),
)


class InvoiceStatus(StrEnum):
    requested = "requested"  # the certificate form is with finance
    issued = "issued"  # finance issued it with its number
    collected = "collected"  # 领取
    refused = "refused"
    withdrawn = "withdrawn"


class VatInvoiceRequest(BaseModel):
    """`POST /customers/{id}/vat-invoices`: one invoice's certificate form (增值税专用发票证明单)."""

    model_config = examples({"amount": "85000.00"})

    amount: Decimal = Field(gt=0, max_digits=18, decimal_places=2, description="价税合计 of this invoice")


class VatInvoiceInput(BaseModel):
    customer_id: int
    customer_name: str
    unit: str
    unit_path: list[str] = Field(default_factory=list)
    amount: Decimal = Field(gt=0, max_digits=18, decimal_places=2)
    certificate: VatInvoiceInfo  # as the customer's approved form says it now
    applicant: Actor
    chain: ChainSpec


class IssueRequest(BaseModel):
    actor: Actor
    invoice_no: StoredText = Field(min_length=1, max_length=40, description="发票号码")


class CollectRequest(BaseModel):
    actor: Actor


class InvoiceRow(BaseModel):
    """The invoice's line of the register, as the workflow sees it now."""

    process_id: str
    workflow_id: str
    customer_id: int
    unit_code: str
    certificate: VatInvoiceInfo
    amount: Decimal
    status: InvoiceStatus
    registered_by: str
    registered_at: datetime
    invoice_no: str | None = None
    issued_by: str | None = None
    issued_at: datetime | None = None
    collected_by: str | None = None
    collected_at: datetime | None = None


def may_request(actor: Actor, unit: str) -> bool:
    """The customer's own station sends the form (000 §5 (三), §9 (三))."""
    return actor.has(REQUESTER) and actor.unit == unit


def may_record_collection(actor: Actor, unit: str) -> bool:
    """The customer's station hands the invoice over, or finance, where the customer collects it."""
    if actor.has(Role.finance_reviewer):
        return True
    return actor.has(Role.station_manager) and actor.unit == unit
