"""Pure rules of issue 20 item 12: documents in force at the sign-off (000 §6), the tax-bureau check
of a depot's social customer (000 §8 (一))."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from domain.documents import ONBOARDING_REQUIRED, Document, DocumentType, expired_documents
from domain.models import CustomerData, CustomerKind
from domain.taxpayer import TaxpayerCheck
from domain.unit_customers import UnitCustomerApplication, taxpayer_check_problems, with_checked_taxpayer
from tests.support import random_credit_code

TODAY = date(2026, 12, 7)
NOW = datetime(2026, 12, 7, 2, tzinfo=UTC)


def docs(**valid_until: date | None) -> list[Document]:
    return [
        Document(type=t, number=f"NO-{t.value}", valid_until=valid_until.get(t.value, TODAY + timedelta(days=90)))
        for t in ONBOARDING_REQUIRED
    ]


def test_only_documents_past_their_date_are_named() -> None:
    assert expired_documents(docs(), ONBOARDING_REQUIRED, TODAY) == []
    assert expired_documents(docs(business_license=TODAY), ONBOARDING_REQUIRED, TODAY) == []  # valid through the day
    assert expired_documents(docs(tax_registration=None), ONBOARDING_REQUIRED, TODAY) == []  # no expiry date
    (problem,) = expired_documents(docs(business_license=TODAY - timedelta(days=1)), ONBOARDING_REQUIRED, TODAY)
    assert "business_license" in problem and "2026-12-06" in problem


def test_a_renewed_copy_beside_the_expired_one_is_in_force() -> None:
    renewed = Document(type=DocumentType.business_license, number="NEW", valid_until=TODAY + timedelta(days=365))
    old = docs(business_license=TODAY - timedelta(days=1))
    assert expired_documents([*old, renewed], ONBOARDING_REQUIRED, TODAY) == []


def application(
    kind: str = "depot_social", check: dict[str, Any] | None = None, **card: Any
) -> UnitCustomerApplication:
    customer = CustomerData(
        name="开封顺达物流有限公司",
        credit_code=random_credit_code(),
        kind=CustomerKind(kind),
        address="河南省开封市",
        legal_representative="李明",
        phone="0371-23330000",
        taxpayer_check=TaxpayerCheck.model_validate(check) if check is not None else None,
        **card,
    )
    return UnitCustomerApplication(unit="DEPOT-ZZ", customer=customer)


CHECK = {
    "checked_by": "张会计",
    "checked_at": NOW - timedelta(hours=1),
    "source": "国家税务总局 一般纳税人资格查询",
    "reference": "回执 001",
    "general_taxpayer": True,
}


def test_a_social_customer_needs_the_check_and_a_positive_answer() -> None:
    assert "000 §8" in taxpayer_check_problems(application(), NOW)[0]
    assert taxpayer_check_problems(application("depot_station"), NOW) == []  # §8 (二) asks for no bureau check
    assert taxpayer_check_problems(application(check=CHECK), NOW) == []
    (negative,) = taxpayer_check_problems(application(check={**CHECK, "general_taxpayer": False}), NOW)
    assert "no business" in negative and "张会计" in negative and "回执 001" in negative
    (future,) = taxpayer_check_problems(application(check={**CHECK, "checked_at": NOW + timedelta(hours=1)}), NOW)
    assert "future" in future
    (contradiction,) = taxpayer_check_problems(application(check=CHECK, general_taxpayer=False), NOW)
    assert "contradicts" in contradiction


def test_the_card_says_what_the_bureau_said() -> None:
    checked = with_checked_taxpayer(application(check=CHECK))
    assert checked.customer.general_taxpayer is True
    assert with_checked_taxpayer(application()).customer.general_taxpayer is None
