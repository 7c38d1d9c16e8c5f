"""Depot customers (000 §8), station customers (000 §9) and the prepaid ledger, through the real API,
a real worker and the Temporal dev server, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from temporalio.worker import Replayer

from db.models import Customer, InvoiceRegisterEntry, Task
from domain.documents import DEPOT_SOCIAL_REQUIRED, STATION_VAT_REQUIRED, DocumentType
from temporal_client import DATA_CONVERTER
from tests.support import Api, random_credit_code, record_history
from workflows.registry import WORKFLOWS

pytestmark = pytest.mark.asyncio(loop_scope="session")

P = "/api/v1"
VAT_FORM = {
    "invoice_title": "郑州顺达物流有限公司",
    "taxpayer_id": "91410100MA44TEST01",
    "address_phone": "郑州市中原区建设路 8 号 0371-66660000",
    "bank_account": "中国建设银行郑州建设路支行 41050100000000000001",
}


def documents(types: tuple[DocumentType, ...], *, drop: tuple[DocumentType, ...] = ()) -> list[dict[str, Any]]:
    valid = (date.today() + timedelta(days=365)).isoformat()
    return [
        {"type": t.value, "number": f"NO-{t.value[:8].upper()}-1", "valid_until": valid} for t in types if t not in drop
    ]


def card(kind: str, *, general_taxpayer: bool | None = True) -> dict[str, Any]:
    return {
        "name": "开封顺达物流有限公司",
        "credit_code": random_credit_code(),
        "kind": kind,
        "address": "河南省开封市鼓楼区中山路 9 号",
        "legal_representative": "李明",
        "phone": "0371-23330000",
        "general_taxpayer": general_taxpayer,
    }


def taxpayer_check(general_taxpayer: bool = True, **fields: Any) -> dict[str, Any]:
    """000 §8 (一): who checked with the tax bureau, when, against which source, and the result."""
    return {
        "checked_by": "郑州油库营业室 张会计",
        "checked_at": (datetime.now(UTC) - timedelta(hours=2)).isoformat(),
        "source": "国家税务总局 全国增值税一般纳税人资格查询",
        "reference": "https://inv-veri.chinatax.gov.cn 查询回执 2026-1207-001",
        "general_taxpayer": general_taxpayer,
        **fields,
    }


def depot_application(unit: str = "DEPOT-ZZ", **customer: Any) -> dict[str, Any]:
    return {
        "unit": unit,
        "customer": {**card("depot_social"), "taxpayer_check": taxpayer_check(), **customer},
        "documents": documents(DEPOT_SOCIAL_REQUIRED),
    }


def station_application(unit: str = "STATION-ZZ01", *, vat: bool = True) -> dict[str, Any]:
    body: dict[str, Any] = {"unit": unit, "customer": card("station_prepaid"), "prepaid": True}
    if vat:
        body |= {"vat_invoice": VAT_FORM, "documents": documents(STATION_VAT_REQUIRED)}
    return body


async def started(response: Any) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    return dict(response.json())


@pytest.mark.rule("000-8-no-business-without-taxpayer")
async def test_a_non_general_taxpayer_is_refused_at_the_depot(api: Api) -> None:
    """000 §8 (一): 如果没有纳税资格则不予开展业务 — the application ends there, with the reason."""
    for flag in (False, None):
        body = depot_application(general_taxpayer=flag, taxpayer_check=taxpayer_check(general_taxpayer=False))
        response = await api.post(f"{P}/depot-customers", "sales_clerk", json=body)
        assert response.status_code == 422, response.text
        assert "000 §8" in str(response.json()["detail"])
        code = body["customer"]["credit_code"]
        assert (await api.get(f"{P}/customers", "auditor", params={"q": code})).json() == []


@pytest.mark.rule("000-8-social-documents", "000-9-vat-documents")
async def test_each_missing_document_is_named(api: Api) -> None:
    body = depot_application()
    body["documents"] = documents(
        DEPOT_SOCIAL_REQUIRED, drop=(DocumentType.invoicing_certificate, DocumentType.invoicing_power_of_attorney)
    )
    response = await api.post(f"{P}/depot-customers", "sales_clerk", json=body)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert any("invoicing_certificate" in line for line in detail)
    assert any("invoicing_power_of_attorney" in line for line in detail)
    station = station_application()
    station["documents"] = documents(STATION_VAT_REQUIRED, drop=(DocumentType.general_taxpayer,))
    response = await api.post(f"{P}/station-customers", "sales_clerk", json=station)
    assert response.status_code == 422, response.text
    assert any("general_taxpayer" in line for line in response.json()["detail"])


@pytest.mark.rule("000-4-unified-tiered", "000-8-depot-office-reviews")
async def test_a_unit_files_only_for_itself(api: Api) -> None:
    """000 §5 分级实施: DEPOT-KF's manager cannot file for DEPOT-ZZ, nor a station for another."""
    response = await api.post(f"{P}/depot-customers", "depot_manager_b", json=depot_application("DEPOT-ZZ"))
    assert response.status_code == 403, response.text
    response = await api.post(f"{P}/station-customers", "station_manager_b", json=station_application())
    assert response.status_code == 403, response.text
    response = await api.post(f"{P}/depot-customers", "finance_reviewer", json=depot_application())
    assert response.status_code == 403, response.text
    response = await api.post(f"{P}/depot-customers", "sales_clerk", json=depot_application("STATION-ZZ01"))
    assert response.status_code == 422, response.text


@pytest.mark.rule("000-8-depot-manager-review", "000-5-marketing-customer-information")
async def test_depot_customer_approved_by_that_depots_manager(api: Api) -> None:
    """000 §8: the manager of that depot reviews; the customer belongs to the depot; another depot's
    manager neither sees the application nor the customer (404)."""
    body = depot_application("DEPOT-ZZ")
    answer = await started(await api.post(f"{P}/depot-customers", "sales_clerk", json=body))
    assert answer["status"] == "running"
    assert answer["current_step"] == "depot_manager_review"
    assert answer["holders"] == ["depot_manager@DEPOT-ZZ"]
    process_id = answer["process_id"]

    assert (await api.get(f"{P}/processes/{process_id}", "depot_manager_b")).status_code == 404
    inbox = (await api.get(f"{P}/tasks", "depot_manager_b")).json()["items"]
    assert all(t["process_id"] != process_id for t in inbox)

    decided = await api.decide("depot_manager", process_id, "approve", "国税局网站查询: 一般纳税人")
    assert decided.status_code == 200, decided.text
    final = decided.json()
    assert final["status"] == "approved"
    customer_id = final["customer_id"]
    assert customer_id is not None

    mine = await api.get(f"{P}/customers/{customer_id}", "depot_manager")
    assert mine.status_code == 200, mine.text
    assert mine.json()["unit_code"] == "DEPOT-ZZ"
    assert mine.json()["kind"] == "depot_social"
    # Head-office marketing, the competent department, keeps every customer's information (000 §5 (一)).
    assert (await api.get(f"{P}/customers/{customer_id}", "marketing_reviewer")).status_code == 200
    assert (await api.get(f"{P}/customers/{customer_id}", "depot_manager_b")).status_code == 404
    assert (await api.get(f"{P}/processes/{process_id}", "depot_manager_b")).status_code == 404


@pytest.mark.rule("000-9-joint-review")
async def test_station_vat_customer_needs_station_and_finance(api: Api, sessions: Any) -> None:
    """000 §9 (三): the station and finance review jointly, in parallel; both must approve, and the
    certificate form enters the invoice register."""
    body = station_application()
    answer = await started(await api.post(f"{P}/station-customers", "sales_clerk", json=body))
    process_id = answer["process_id"]
    assert answer["current_step"] == "joint_review"
    assert sorted(answer["holders"]) == ["finance_reviewer", "station_manager@STATION-ZZ01"]
    assert len(answer["open_task_ids"]) == 2
    async with sessions() as session:  # each task carries its case's unit: finance's counts under the station's
        seats = await session.execute(
            select(Task.role, Task.unit_code, Task.case_unit).where(Task.process_id == process_id)
        )
        assert sorted(seats.tuples()) == [
            ("finance_reviewer", None, "STATION-ZZ01"),
            ("station_manager", "STATION-ZZ01", "STATION-ZZ01"),
        ]
    # STATION-KF01's manager has no task of STATION-ZZ01 and may not read it (000 §5).
    assert (await api.get(f"{P}/processes/{process_id}", "station_manager_b")).status_code == 404

    first = await api.decide("station_manager", process_id, "approve", "资料齐全")
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "running"  # finance still has to agree
    assert first.json()["holders"] == ["finance_reviewer"]
    second = await api.decide("finance_reviewer", process_id, "approve", "开票信息无误")
    assert second.status_code == 200, second.text
    assert second.json()["status"] == "approved"
    customer_id = second.json()["customer_id"]
    async with sessions() as session:
        entry = await session.scalar(select(InvoiceRegisterEntry).where(InvoiceRegisterEntry.process_id == process_id))
        assert entry is not None
        assert entry.customer_id == customer_id
        assert entry.unit_code == "STATION-ZZ01"
        assert entry.certificate["taxpayer_id"] == VAT_FORM["taxpayer_id"]
        customer = await session.get(Customer, customer_id)
        assert customer is not None and customer.unit_code == "STATION-ZZ01"
    await replays(api, process_id, "station_vat_joint_review_approved")


async def replays(api: Api, process_id: str, name: str) -> None:
    """The finished history replays on today's code; saved for tests/workflows/test_saved_histories.py."""
    detail = (await api.get(f"{P}/processes/{process_id}", "auditor")).json()
    history = await api.worker.client.get_workflow_handle(detail["workflow_id"], run_id=process_id).fetch_history()
    result = await Replayer(workflows=WORKFLOWS, data_converter=DATA_CONVERTER).replay_workflow(history)
    assert result.replay_failure is None
    record_history(name, history)


@pytest.mark.rule("000-9-joint-review")
async def test_one_reject_rejects_the_joint_review(api: Api, sessions: Any) -> None:
    body = station_application()
    answer = await started(await api.post(f"{P}/station-customers", "sales_clerk", json=body))
    process_id = answer["process_id"]
    rejected = await api.decide("finance_reviewer", process_id, "reject", "非一般纳税人证明不实")
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["status"] == "rejected"
    assert rejected.json()["customer_id"] is None
    # The station's seat is closed with it: nothing left in its inbox for this process.
    inbox = (await api.get(f"{P}/tasks", "station_manager")).json()["items"]
    assert all(t["process_id"] != process_id for t in inbox)
    async with sessions() as session:
        code = body["customer"]["credit_code"]
        assert await session.scalar(select(Customer.id).where(Customer.credit_code == code)) is None


async def refused_and_nothing_started(
    api: Api, sessions: Any, body: dict[str, Any], named: str, route: str = "station-customers"
) -> None:
    """422 naming `named`; no process, no customer."""
    response = await api.post(f"{P}/{route}", "sales_clerk", json=body)
    assert response.status_code == 422, response.text
    assert named in str(response.json()["detail"]), response.text
    code = body["customer"]["credit_code"]
    assert (await api.get(f"{P}/processes", "auditor", params={"customer": code})).json() == []
    async with sessions() as session:
        assert await session.scalar(select(Customer.id).where(Customer.credit_code == code)) is None


@pytest.mark.rule("000-9-station-customers-prepaid")
async def test_a_station_files_prepaid_customers_only(api: Api, sessions: Any) -> None:
    """000 §9 (一)-(二): a station's customers pay before goods, with or without VAT invoices."""
    for vat in (False, True):
        body = station_application(vat=vat) | {"prepaid": False}
        await refused_and_nothing_started(api, sessions, body, "000 §9")
    await refused_and_nothing_started(
        api, sessions, station_application() | {"customer": card("depot_station")}, "000 §9"
    )


@pytest.mark.rule("000-9-vat-general-taxpayer")
async def test_vat_invoices_need_a_proven_general_taxpayer(api: Api, sessions: Any) -> None:
    """000 §9 (二) 一般纳税人证明: a customer not (or not known to be) a general taxpayer gets no VAT invoices."""
    for flag in (False, None):
        body = station_application() | {"customer": card("station_prepaid", general_taxpayer=flag)}
        await refused_and_nothing_started(api, sessions, body, "000 §9 (二)")
    assert (await api.post(f"{P}/station-customers", "sales_clerk", json=station_application())).status_code == 201


async def prepaid_customer(api: Api) -> int:
    answer = await started(await api.post(f"{P}/station-customers", "sales_clerk", json=station_application(vat=False)))
    assert answer["current_step"] == "station_review"
    final = await api.decide("station_manager", answer["process_id"], "approve")
    assert final.status_code == 200, final.text
    return int(final.json()["customer_id"])


@pytest.mark.rule("000-9-payment-before-goods", "000-9-finance-confirms-funds")
async def test_a_prepaid_customer_draws_only_what_finance_confirmed(api: Api) -> None:
    """000 §9 (一) 先款后货: no draw before finance confirms the funds arrived; then up to them."""
    customer_id = await prepaid_customer(api)
    draw = {"amount": "300.00", "reference": "加油小票 0001"}

    refused = await api.post(f"{P}/customers/{customer_id}/draws", "station_manager", json=draw)
    assert refused.status_code == 409, refused.text
    detail = refused.json()["detail"]
    assert detail["confirmed_balance"] == "0.00"
    assert detail["short_by"] == "300.00"
    assert "000 §9" in detail["message"]

    top_up = await started(
        await api.post(
            f"{P}/customers/{customer_id}/top-ups",
            "station_manager",
            json={"amount": "500.00", "reference": "银行回单 20261130-01"},
        )
    )
    assert top_up["current_step"] == "funds_confirmation"
    assert top_up["holders"] == ["finance_reviewer"]
    # Not yet confirmed: still refused.
    assert (await api.post(f"{P}/customers/{customer_id}/draws", "station_manager", json=draw)).status_code == 409
    # Another station neither sees the customer nor draws for it.
    other = await api.post(f"{P}/customers/{customer_id}/draws", "station_manager_b", json=draw)
    assert other.status_code == 404, other.text

    confirmed = await api.decide("finance_reviewer", top_up["process_id"], "approve", "款项已到账")
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "approved"

    allowed = await api.post(f"{P}/customers/{customer_id}/draws", "station_manager", json=draw)
    assert allowed.status_code == 201, allowed.text
    assert allowed.json()["balance"] == "200.00"
    too_much = await api.post(f"{P}/customers/{customer_id}/draws", "station_manager", json=draw)
    assert too_much.status_code == 409
    assert too_much.json()["detail"]["confirmed_balance"] == "200.00"

    ledger = (await api.get(f"{P}/customers/{customer_id}/ledger", "finance_reviewer")).json()
    assert ledger["balance"] == "200.00"
    assert [(e["kind"], e["amount"]) for e in ledger["entries"]] == [("receipt", "500.00"), ("delivery", "300.00")]
    assert ledger["entries"][0]["process_id"] == top_up["process_id"]
    await replays(api, top_up["process_id"], "prepaid_top_up_confirmed")


@pytest.mark.rule("000-9-payment-before-goods")
async def test_concurrent_draws_never_spend_the_same_money(api: Api) -> None:
    """The guarded UPDATE of the balance row: of ten concurrent draws of 100 against 500, five pass."""
    customer_id = await prepaid_customer(api)
    top_up = await started(
        await api.post(
            f"{P}/customers/{customer_id}/top-ups", "sales_clerk", json={"amount": "500.00", "reference": "回单 02"}
        )
    )
    assert (await api.decide("finance_reviewer", top_up["process_id"], "approve")).status_code == 200
    await api.headers("station_manager")
    answers = await asyncio.gather(
        *(
            api.post(
                f"{P}/customers/{customer_id}/draws", "station_manager", json={"amount": "100", "reference": f"#{i}"}
            )
            for i in range(10)
        )
    )
    assert sorted(a.status_code for a in answers) == [201] * 5 + [409] * 5
    ledger = (await api.get(f"{P}/customers/{customer_id}/ledger", "station_manager")).json()
    assert ledger["balance"] == "0.00"


@pytest.mark.rule("000-8-taxpayer-check", "000-8-no-business-without-taxpayer")
async def test_the_tax_bureau_check_is_recorded_and_required(api: Api, sessions: Any) -> None:
    """000 §8 (一), issue 20 item 12: the depot checks with the tax bureau whether the company is a
    general taxpayer. The check records who, when, which source and the result; without it, with a
    part of it, dated in the future or answered "not a general taxpayer", nothing is filed (422)."""
    refusals: list[tuple[dict[str, Any], str]] = [
        ({"taxpayer_check": None}, "000 §8"),
        ({"taxpayer_check": {k: v for k, v in taxpayer_check().items() if k != "source"}}, "source"),
        ({"taxpayer_check": {k: v for k, v in taxpayer_check().items() if k != "checked_by"}}, "checked_by"),
        ({"taxpayer_check": taxpayer_check(checked_at=(datetime.now(UTC) + timedelta(days=1)).isoformat())}, "future"),
        ({"taxpayer_check": taxpayer_check(general_taxpayer=False), "general_taxpayer": None}, "no business"),
        ({"general_taxpayer": False}, "contradicts"),
    ]
    for customer, named in refusals:
        await refused_and_nothing_started(api, sessions, depot_application(**customer), named, "depot-customers")

    check = taxpayer_check()
    body = depot_application(general_taxpayer=None, taxpayer_check=check)
    answer = await started(await api.post(f"{P}/depot-customers", "sales_clerk", json=body))
    decided = await api.decide("depot_manager", answer["process_id"], "approve")
    customer_id = decided.json()["customer_id"]
    shown = (await api.get(f"{P}/customers/{customer_id}", "auditor")).json()["card"]
    recorded = shown["taxpayer_check"]
    assert (recorded["checked_by"], recorded["source"], recorded["reference"]) == (
        check["checked_by"],
        check["source"],
        check["reference"],
    )
    assert recorded["general_taxpayer"] is True and shown["general_taxpayer"] is True
    assert datetime.fromisoformat(recorded["checked_at"]) == datetime.fromisoformat(check["checked_at"])
    audit = (await api.get(f"{P}/audit/processes/{answer['process_id']}", "auditor")).json()
    submitted = next(r for r in audit["records"] if r["action"] == "submitted")
    filed_check = submitted["details"]["input"]["application"]["customer"]["taxpayer_check"]
    assert filed_check["checked_by"] == check["checked_by"] and filed_check["source"] == check["source"]
