"""Depot and station customers (000 §8, §9): the application, the invoice certificate form and the
prepaid top-up, as they cross the API, the workflow and the activities."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, Field

from domain.approvals import ChainSpec
from domain.documents import (
    DEPOT_SOCIAL_REQUIRED,
    DEPOT_STATION_REQUIRED,
    STATION_VAT_REQUIRED,
    Document,
    DocumentType,
)
from domain.examples import CREDIT_CODE, CUSTOMER_CARD, ONBOARDING_DOCUMENTS, PAST_MOMENT, examples
from domain.models import Actor, CustomerData, CustomerKind
from domain.rulebook import enforces
from domain.text import StoredText


class VatInvoiceInfo(BaseModel):
    """The VAT special-invoice certificate form 增值税专用发票证明单 the station sends to finance
    (000 §9 (三)): the invoicing information finance issues the invoices to."""

    invoice_title: StoredText = Field(min_length=2, max_length=200, description="开票名称")
    taxpayer_id: StoredText = Field(min_length=5, max_length=40, description="纳税人识别号")
    address_phone: StoredText = Field(min_length=2, max_length=300, description="地址、电话")
    bank_account: StoredText = Field(min_length=2, max_length=300, description="开户行及账号")


class UnitCustomerApplication(BaseModel):
    """A depot office (000 §8) or a gas station (000 §9) files a customer of its own unit."""

    model_config = examples(
        {
            "unit": "DEPOT-ZZ",
            "customer": {
                **CUSTOMER_CARD,
                "kind": "depot_social",
                "general_taxpayer": True,
                "taxpayer_check": {
                    "checked_by": "张伟",
                    "checked_at": PAST_MOMENT,
                    "source": "国家税务总局河南省税务局网站",
                    "reference": "一般纳税人资格查询 2025-03-18",
                    "general_taxpayer": True,
                },
            },
            "documents": ONBOARDING_DOCUMENTS,
            "prepaid": False,
            "vat_invoice": {
                "invoice_title": "郑州华豫石化贸易有限公司",
                "taxpayer_id": CREDIT_CODE,
                "address_phone": "河南省郑州市金水区花园路 88 号 0371-65550000",
                "bank_account": "中国工商银行郑州花园路支行 1702020109024567890",
            },
        }
    )

    unit: StoredText = Field(min_length=1, max_length=40, description="the depot or station the customer belongs to")
    customer: CustomerData
    documents: list[Document] = Field(default_factory=list, max_length=30)
    prepaid: bool = Field(default=False, description="000 §9 (一): payment before goods (stations)")
    vat_invoice: VatInvoiceInfo | None = Field(default=None, description="000 §9 (二): wants VAT special invoices")


class UnitCustomerInput(BaseModel):
    application: UnitCustomerApplication
    applicant: Actor
    unit_path: list[str] = Field(default_factory=list)  # the customer's unit and those above it
    chain: ChainSpec


class InvoiceRegistration(BaseModel):
    """The register entry of an approved VAT-invoice customer (000 §9 (三) 严格登记)."""

    customer_id: int
    process_id: str
    unit: str
    certificate: VatInvoiceInfo
    registered_by: str
    registered_at: datetime


class LedgerMoveIn(BaseModel):
    """A top-up to be confirmed by finance, or a draw against the confirmed balance (000 §9 (一))."""

    model_config = examples({"amount": "50000.00", "reference": "ICBC-20250318-00871"})

    amount: Decimal = Field(gt=0, max_digits=18, decimal_places=2)
    reference: StoredText = Field(min_length=1, max_length=100, description="bank slip or delivery note")


class TopUpInput(BaseModel):
    customer_id: int
    customer_name: StoredText
    unit: str
    unit_path: list[str] = Field(default_factory=list)
    amount: Decimal = Field(gt=0, max_digits=18, decimal_places=2)
    reference: StoredText = Field(min_length=1, max_length=100)
    applicant: Actor
    chain: ChainSpec


# Which kinds each route files, and the documents each kind shows.
DEPOT_KINDS = (CustomerKind.depot_social, CustomerKind.depot_station)
STATION_KINDS = (CustomerKind.station_prepaid,)


@enforces("000-8-social-documents", "000-8-station-documents", "000-9-vat-documents")
def required_documents(application: UnitCustomerApplication) -> tuple[DocumentType, ...]:
    """000 §8 (一) social customers, §8 (二) stations buying at a depot, §9 (二) VAT-invoice customers;
    an ordinary prepaid station customer (§9 (一)) shows none."""
    kind = application.customer.kind
    if kind is CustomerKind.depot_social:
        return DEPOT_SOCIAL_REQUIRED
    if kind is CustomerKind.depot_station:
        return DEPOT_STATION_REQUIRED
    return STATION_VAT_REQUIRED if application.vat_invoice is not None else ()


@enforces("000-8-taxpayer-check", "000-8-no-business-without-taxpayer")
def taxpayer_check_problems(application: UnitCustomerApplication, now: datetime) -> list[str]:
    """000 §8 (一): "向国税局查询是否为一般纳税人, 如果没有纳税资格则不予开展业务".

    Reading chosen: the check is a record (`TaxpayerCheck`: who, when, which source, the result)
    required of a depot's social customer, the kind the article names; any other customer may carry
    one, and then it is held to the same standard. A check dated in the future, a card whose
    `general_taxpayer` contradicts the bureau's answer, or an answer of "not a general taxpayer" is
    refused: the depot does no business with that customer.
    """
    customer = application.customer
    check = customer.taxpayer_check
    if check is None:
        if customer.kind is not CustomerKind.depot_social:
            return []
        return [
            "000 §8 (一): a social customer is checked with the tax bureau (国税局) before any business; "
            "taxpayer_check must record who checked (checked_by), when (checked_at), against which source "
            "(source, reference) and the result (general_taxpayer)"
        ]
    problems = []
    if check.checked_at > now:
        problems.append(f"000 §8 (一): taxpayer_check.checked_at {check.checked_at.isoformat()} is in the future")
    if customer.general_taxpayer is not None and customer.general_taxpayer is not check.general_taxpayer:
        problems.append("000 §8 (一): the card's general_taxpayer contradicts the bureau's result in taxpayer_check")
    if not check.general_taxpayer:
        problems.append(
            f"{customer.name} is not a VAT general taxpayer per {check.source} ({check.reference}), checked by "
            f"{check.checked_by} at {check.checked_at.isoformat()}: the depot does no business with it "
            "(000 §8 (一) 如果没有纳税资格则不予开展业务)"
        )
    return problems


def with_checked_taxpayer(application: UnitCustomerApplication) -> UnitCustomerApplication:
    """The card's `general_taxpayer` as the tax bureau answered, when a check is recorded."""
    check = application.customer.taxpayer_check
    if check is None:
        return application
    customer = application.customer.model_copy(update={"general_taxpayer": check.general_taxpayer})
    return application.model_copy(update={"customer": customer})
