"""The document lists of 000 §6, §7 and §8 as the checks read them: each list's documents are
stamped copies, and a depot's station customer shows the eight documents 000 §8 (二) names."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest

from domain.documents import ONBOARDING_REQUIRED, Document, DocumentType, document_problems
from domain.trade import Product, partner_problems
from domain.trade import required_documents as partner_documents
from domain.unit_customers import required_documents as unit_customer_documents
from tests.domain.test_documents_and_taxpayer_rules import application

TODAY = date(2026, 12, 7)
Check = Callable[[list[Document]], list[str]]


def stamped(types: tuple[DocumentType, ...], *, unstamped: DocumentType | None = None) -> list[Document]:
    valid = TODAY + timedelta(days=90)
    return [Document(type=t, number=f"NO-{t.value}", valid_until=valid, stamped_copy=t != unstamped) for t in types]


def onboarding(documents: list[Document]) -> list[str]:
    return document_problems(documents, ONBOARDING_REQUIRED, TODAY)


def partner(documents: list[Document]) -> list[str]:
    return partner_problems(documents, [Product.refined_oil], None, TODAY)


def depot_social(documents: list[Document]) -> list[str]:
    return document_problems(documents, unit_customer_documents(application("depot_social")), TODAY)


LISTS: list[tuple[Check, tuple[DocumentType, ...]]] = [
    (onboarding, ONBOARDING_REQUIRED),
    (partner, partner_documents([Product.refined_oil])),
    (depot_social, unit_customer_documents(application("depot_social"))),
]


@pytest.mark.rule("000-6-stamped-copies", "000-7-stamped-copies", "000-8-stamped-copies")
@pytest.mark.parametrize(("check", "types"), LISTS, ids=["000 §6", "000 §7", "000 §8"])
def test_every_list_refuses_a_copy_without_the_company_seal(check: Check, types: tuple[DocumentType, ...]) -> None:
    assert check(stamped(types)) == []
    for doc_type in types:
        (problem,) = check(stamped(types, unstamped=doc_type))
        assert problem.startswith(f"document not stamped: {doc_type.value} (") and "company seal" in problem


@pytest.mark.rule("000-8-station-documents")
def test_a_station_buying_at_the_depot_shows_the_eight_documents_of_000_8_2() -> None:
    required = unit_customer_documents(application("depot_station"))
    assert set(required) == {
        DocumentType.business_license,  # 营业执照
        DocumentType.tax_registration,  # 税务登记证
        DocumentType.organization_code,  # 组织机构代码证
        DocumentType.bank_account_permit,  # 开户许可证
        DocumentType.oil_business_license,  # 成品油经营许可证
        DocumentType.hazardous_chemicals_trading_license,  # 危险化学品经营许可证
        DocumentType.invoicing_power_of_attorney,  # 开票委托书
        DocumentType.invoicing_info,  # 开票信息
    }
    assert len(required) == 8
    without = tuple(t for t in required if t is not DocumentType.oil_business_license)
    assert document_problems(stamped(without), required, TODAY) == [
        "missing document: oil_business_license (成品油经营许可证)"
    ]
