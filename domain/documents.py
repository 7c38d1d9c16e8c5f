"""Document checklists: which licences a customer must show (000 §6, §7, §8, §9)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from enum import StrEnum

from pydantic import BaseModel, Field, field_validator

from domain.rulebook import enforces
from domain.text import StoredText


class DocumentType(StrEnum):
    business_license = "business_license"
    tax_registration = "tax_registration"
    oil_wholesale_certificate = "oil_wholesale_certificate"
    hazardous_chemicals_certificate = "hazardous_chemicals_certificate"
    organization_code = "organization_code"
    bank_account_permit = "bank_account_permit"
    general_taxpayer = "general_taxpayer"
    invoicing_info = "invoicing_info"
    legal_rep_id = "legal_rep_id"
    power_of_attorney = "power_of_attorney"
    hazardous_chemicals_trading_license = "hazardous_chemicals_trading_license"  # 000 §7 item 1
    fuel_oil_approval = "fuel_oil_approval"  # 000 §7 item 7
    invoicing_certificate = "invoicing_certificate"  # 000 §8 (一) item 3 开票证明
    invoicing_power_of_attorney = "invoicing_power_of_attorney"  # 000 §8 (一) item 4, (二) item 7
    oil_business_license = "oil_business_license"  # 000 §8 (二) item 5 成品油经营许可证


DOCUMENT_TITLES: dict[DocumentType, str] = {
    DocumentType.business_license: "营业执照",
    DocumentType.tax_registration: "税务登记证",
    DocumentType.oil_wholesale_certificate: "成品油批发证书",
    DocumentType.hazardous_chemicals_certificate: "危险化学品证书",
    DocumentType.organization_code: "组织代码证",
    DocumentType.bank_account_permit: "开户许可证",
    DocumentType.general_taxpayer: "增值税一般纳税人资质",
    DocumentType.invoicing_info: "开票信息",
    DocumentType.legal_rep_id: "法人身份证复印件",
    DocumentType.power_of_attorney: "委托书原件",
    DocumentType.hazardous_chemicals_trading_license: "危险化学品经营许可证",
    DocumentType.fuel_oil_approval: "燃料油经营许可批文 (省级商务厅)",
    DocumentType.invoicing_certificate: "开票证明",
    DocumentType.invoicing_power_of_attorney: "开票委托书",
    DocumentType.oil_business_license: "成品油经营许可证",
}

# 000 §6: the nine documents an allocation customer must show.
ONBOARDING_REQUIRED: tuple[DocumentType, ...] = (
    DocumentType.business_license,
    DocumentType.tax_registration,
    DocumentType.oil_wholesale_certificate,
    DocumentType.hazardous_chemicals_certificate,
    DocumentType.organization_code,
    DocumentType.bank_account_permit,
    DocumentType.general_taxpayer,
    DocumentType.invoicing_info,
    DocumentType.legal_rep_id,
)


# --- issue 11 §1-§2: depot and station customers (000 §8, §9) ------------------------------------
# 000 §8 (一): a social customer buying at a depot office, all stamped.
DEPOT_SOCIAL_REQUIRED: tuple[DocumentType, ...] = (
    DocumentType.business_license,
    DocumentType.tax_registration,
    DocumentType.invoicing_certificate,
    DocumentType.invoicing_power_of_attorney,
)
# 000 §8 (二): a gas station buying from the depot and wanting VAT invoices.
DEPOT_STATION_REQUIRED: tuple[DocumentType, ...] = (
    DocumentType.business_license,
    DocumentType.tax_registration,
    DocumentType.organization_code,
    DocumentType.bank_account_permit,
    DocumentType.oil_business_license,
    DocumentType.hazardous_chemicals_trading_license,
    DocumentType.invoicing_power_of_attorney,
    DocumentType.invoicing_info,
)
# 000 §9 (二): a prepaid station customer wanting VAT special invoices. An ordinary prepaid customer
# (000 §9 (一)) shows none: payment before goods is its only condition.
STATION_VAT_REQUIRED: tuple[DocumentType, ...] = (
    DocumentType.business_license,
    DocumentType.tax_registration,
    DocumentType.invoicing_info,
    DocumentType.general_taxpayer,
)


# 000 §6 item 9 "委托需提供委托书原件": the delegate's power of attorney is handed over as the original.
ORIGINAL_REQUIRED: frozenset[DocumentType] = frozenset({DocumentType.power_of_attorney})


class Document(BaseModel):
    """One licence or certificate as submitted: a stamped copy, original on request (000 §6)."""

    type: DocumentType
    number: StoredText = Field(min_length=1, max_length=64)
    issuer: StoredText | None = Field(default=None, max_length=128)
    valid_until: date | None = None
    stamped_copy: bool = True
    # The original itself was handed over (原件): required of a delegate's power of attorney (000 §6 item 9).
    original: bool = False


@enforces("000-6-delegate-power-of-attorney", "000-6-stamped-copies", "000-7-stamped-copies", "000-8-stamped-copies")
def document_problems(
    documents: Iterable[Document],
    required: Iterable[DocumentType],
    today: date,
    *,
    delegate: bool = False,
) -> list[str]:
    """Every reason the documents fall short of the checklist; empty when complete.

    A delegate acting for the legal representative also needs the original power of
    attorney (000 §6 item 9): the original, not a copy. Copies must be stamped (000 §6 "加盖公章").
    """
    by_type = _by_type(documents)
    needed = _needed(required, delegate)
    problems: list[str] = []
    for doc_type in needed:
        title = _title(doc_type)
        present = by_type.get(doc_type, [])
        if not present:
            problems.append(f"missing document: {title}")
            continue
        expired = _expiry_problem(doc_type, present, today)
        if expired is not None:
            problems.append(expired)
        elif doc_type in ORIGINAL_REQUIRED:
            if not any(d.original for d in present):
                problems.append(
                    f"original required: {title} must be the original (original: true), "
                    "not a stamped copy (000 §6 item 9)"
                )
        elif not any(d.stamped_copy for d in present):
            problems.append(f"document not stamped: {title} must be a copy bearing the company seal")
    for doc_type, present in by_type.items():
        if len(present) > 1:
            problems.append(f"duplicate document: {doc_type.value} submitted {len(present)} times")
    return problems


def _by_type(documents: Iterable[Document]) -> dict[DocumentType, list[Document]]:
    by_type: dict[DocumentType, list[Document]] = {}
    for doc in documents:
        by_type.setdefault(doc.type, []).append(doc)
    return by_type


def _needed(required: Iterable[DocumentType], delegate: bool) -> list[DocumentType]:
    return list(required) + ([DocumentType.power_of_attorney] if delegate else [])


def _title(doc_type: DocumentType) -> str:
    return f"{doc_type.value} ({DOCUMENT_TITLES[doc_type]})"


def _expiry_problem(doc_type: DocumentType, present: list[Document], today: date) -> str | None:
    """None while one copy of the document is in force on `today` (no expiry date, or not yet passed)."""
    if any(d.valid_until is None or d.valid_until >= today for d in present):
        return None
    latest = max(d.valid_until for d in present if d.valid_until is not None)
    return f"expired document: {_title(doc_type)} was valid until {latest.isoformat()}"


def expired_documents(
    documents: Iterable[Document], required: Iterable[DocumentType], today: date, *, delegate: bool = False
) -> list[str]:
    """The required documents that are no longer in force on `today`; empty when all still are.

    000 §6 lets a customer trade only once its documents passed every step ("审核通过后"); a licence
    that expired while the case was under review has not passed the last one. Reading chosen: the
    check is made again when the general manager signs off (the customer is created by that
    sign-off, in the same moment), and an expired document stops the approval with a refusal
    naming it. The general manager may still return the application to the applicant, who
    resubmits it with the renewed document, or reject it.
    """
    by_type = _by_type(documents)
    problems = (_expiry_problem(t, by_type[t], today) for t in _needed(required, delegate) if t in by_type)
    return [p for p in problems if p is not None]


# --- issue 21 §3: the onboarding document list as a versioned rule (000 §6) -----------------------


class OnboardingDocumentsIn(BaseModel):
    """A new version of the onboarding document list (000 §6, rule `000-6-documents`) as drafted
    (domain/rule_change.py), in force from `effective_from` once approved.

    READING: the list is what every applicant shows; the delegate's original power of attorney
    (000 §6 item 9) is asked of delegates only, on top of the list, so it is not a list member."""

    effective_from: date
    documents: list[DocumentType] = Field(min_length=1, max_length=len(DocumentType))
    reason: StoredText = Field(min_length=1, max_length=500)

    @field_validator("documents")
    @classmethod
    def _each_once_and_not_the_delegates(cls, documents: list[DocumentType]) -> list[DocumentType]:
        if len(set(documents)) != len(documents):
            raise ValueError("each document is listed once")
        if DocumentType.power_of_attorney in documents:
            raise ValueError("power_of_attorney is asked of a delegate only (000 §6 item 9), never of every applicant")
        return documents


class RequiredDocuments(BaseModel):
    """The version of the onboarding document list a process pinned at its start (新老划断): it
    checks the application, its resubmissions and the sign-off against these documents to its end."""

    version: int
    effective_from: date | None = None
    documents: tuple[DocumentType, ...] = ONBOARDING_REQUIRED


def pinned_list(pinned: RequiredDocuments | None) -> tuple[DocumentType, ...]:
    """The list a process checks against; None: started before the list was versioned (000 §6 as declared)."""
    return pinned.documents if pinned is not None else ONBOARDING_REQUIRED
