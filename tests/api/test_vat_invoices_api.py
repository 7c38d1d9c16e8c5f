"""VAT special invoices one by one (000 §9 (三), issue 20 item 8) through the real API, a real worker
and the Temporal dev server, on SQLite and PostgreSQL: the customer's station sends finance one
certificate form per invoice, finance issues it with its number from its inbox task, the collection
is recorded, and the register lists the invoice line by line."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import InvoiceRegisterEntry, Process
from tests.api.test_customer_record import ok
from tests.api.test_depot_station_customers import VAT_FORM
from tests.support import Api, record_history
from tests.workflows.test_borrowing import a_customer

pytestmark = pytest.mark.asyncio(loop_scope="session")
P = "/api/v1"


async def approve_for_vat(sessions: async_sessionmaker[AsyncSession], customer_id: int) -> None:
    """What the station + finance joint review leaves on the register (workflows/unit_customers.py)."""
    async with sessions.begin() as session:
        session.add(
            InvoiceRegisterEntry(
                customer_id=customer_id,
                process_id=f"vat-review-{uuid.uuid4()}",
                unit_code="STATION-ZZ01",
                entry="certificate",
                certificate=VAT_FORM,
                registered_by="finance_reviewer",
                registered_at=datetime.now(UTC),
            )
        )


async def invoices_and_processes(sessions: async_sessionmaker[AsyncSession], customer_id: int) -> tuple[int, int]:
    async with sessions() as session:
        lines = await session.scalar(
            select(func.count())
            .select_from(InvoiceRegisterEntry)
            .where(InvoiceRegisterEntry.customer_id == customer_id, InvoiceRegisterEntry.entry == "invoice")
        )
        processes = await session.scalar(
            select(func.count())
            .select_from(Process)
            .where(Process.customer_id == customer_id, Process.process_type == "vat_invoice")
        )
    return lines or 0, processes or 0


async def requested(api: Api, sessions: async_sessionmaker[AsyncSession], amount: str) -> tuple[str, Any]:
    """A customer approved for VAT invoices, and one invoice its station asked finance for."""
    customer = await a_customer(sessions, "STATION-ZZ01")
    await approve_for_vat(sessions, customer.id)
    url = f"{P}/customers/{customer.id}/vat-invoices"
    return url, await ok(await api.post(url, "station_manager", json={"amount": amount}), 201)


@pytest.mark.rule("000-9-invoice-certificate-form")
async def test_only_a_customer_approved_for_vat_invoices_by_its_own_station(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    customer = await a_customer(sessions, "STATION-ZZ01")
    url = f"{P}/customers/{customer.id}/vat-invoices"
    refused = await api.post(url, "station_manager", json={"amount": "11300.00"})
    assert refused.status_code == 409 and "000 §9 (三)" in refused.text, refused.text
    assert await invoices_and_processes(sessions, customer.id) == (0, 0)

    await approve_for_vat(sessions, customer.id)
    assert (await api.post(url, "station_manager_b", json={"amount": "1.00"})).status_code == 404  # another station
    assert (await api.post(url, "sales_clerk", json={"amount": "1.00"})).status_code == 403
    assert (await api.post(url, "finance_reviewer", json={"amount": "1.00"})).status_code == 403
    for amount in ("0", "-5.00", "1.001", "10000000000000000000"):  # Numeric(18, 2)
        bad = await api.post(url, "station_manager", json={"amount": amount})
        assert bad.status_code == 422, (amount, bad.text)
    assert await invoices_and_processes(sessions, customer.id) == (0, 0)


@pytest.mark.rule("000-9-invoice-register", "000-9-invoice-certificate-form")
async def test_finance_issues_with_the_number_and_the_collection_is_recorded(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    url, started = await requested(api, sessions, "11300.00")
    process_id = started["process_id"]
    assert started["current_step"] == "finance_issue" and started["holders"] == ["finance_reviewer"]
    [line] = await ok(await api.get(url, "station_manager"))
    assert line["status"] == "requested" and line["amount"] == "11300.00" and line["invoice_no"] is None
    assert line["certificate"]["taxpayer_id"] == VAT_FORM["taxpayer_id"] and line["registered_by"] == "station_manager"
    assert (await api.get(url, "station_manager_b")).status_code == 404

    # Finance's inbox task: a bare approval is refused, the number is the point.
    task = await api.task_for("finance_reviewer", process_id)
    assert task["step"] == "finance_issue"
    bare = await api.decide("finance_reviewer", process_id, "approve")
    assert bare.status_code == 422, bare.text
    issue = f"{P}/vat-invoices/{line['id']}/issue"
    assert (await api.post(issue, "station_manager", json={"invoice_no": "04412345"})).status_code == 403
    assert (await api.post(issue, "finance_reviewer", json={"invoice_no": "x" * 41})).status_code == 422
    issued = await ok(await api.post(issue, "finance_reviewer", json={"invoice_no": "04412345"}))
    assert issued["status"] == "running" and issued["current_step"] == "collection" and issued["open_task_ids"] == []
    again = await api.post(issue, "finance_reviewer", json={"invoice_no": "04412346"})
    assert again.status_code == 409, again.text  # issued once: another number is refused
    twice = await api.post(issue, "finance_reviewer", json={"invoice_no": "04412345"})
    assert twice.status_code == 200 and twice.json()["current_step"] == "collection", twice.text  # a double click

    collect = f"{P}/vat-invoices/{line['id']}/collect"
    assert (await api.post(collect, "station_manager_b")).status_code == 404
    assert (await api.post(collect, "sales_clerk")).status_code == 403
    collected = await ok(await api.post(collect, "station_manager"))
    assert collected["status"] == "closed"
    assert (await api.post(collect, "finance_reviewer")).status_code == 409  # collected once
    [line] = await ok(await api.get(url, "finance_reviewer"))
    assert (line["status"], line["invoice_no"], line["issued_by"]) == ("collected", "04412345", "finance_reviewer")
    assert line["collected_by"] == "station_manager" and line["issued_at"] and line["collected_at"]

    history = await ok(await api.get(f"{P}/processes/{process_id}/history", "auditor"))
    actions = [(e["actor"], e["action"]) for e in history]
    assert ("station_manager", "submitted") in actions and ("finance_reviewer", "issue") in actions
    assert ("station_manager", "collect") in actions
    process = await ok(await api.get(f"{P}/processes/{process_id}", "auditor"))
    handle = api.worker.client.get_workflow_handle(process["workflow_id"], run_id=process_id)
    record_history("vat_invoice_issued_collected", await handle.fetch_history())


async def test_finance_refuses_an_invoice_and_nothing_is_issued(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    url, started = await requested(api, sessions, "500.00")
    refused = await ok(await api.decide("finance_reviewer", started["process_id"], "reject", "金额与预付款不符"))
    assert refused["status"] == "rejected"
    [line] = await ok(await api.get(url, "station_manager"))
    assert line["status"] == "refused" and line["invoice_no"] is None
    assert (await api.post(f"{P}/vat-invoices/{line['id']}/collect", "station_manager")).status_code == 409
