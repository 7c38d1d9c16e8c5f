"""The customer record (000 §10, 001, 004 §4-§6; issue 11 §3) through the real API, a real worker
and the Temporal dev server, on SQLite and PostgreSQL: card changes by approval with their change
log, status changes, hand-over, destruction, the transaction-start survey."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.worker import Replayer

from db.models import Customer, CustomerDocument
from temporal_client import DATA_CONVERTER
from tests.inbox_support import add_user
from tests.support import Api, random_credit_code, record_history
from workflows.registry import WORKFLOWS

pytestmark = pytest.mark.asyncio(loop_scope="session")

P = "/api/v1/customers"


async def make_customer(
    sessions: async_sessionmaker[AsyncSession], unit: str, *, status: str = "active", owner_person: str = "sales_clerk"
) -> int:
    """A file of `unit`, looked after by `owner_person` (000 §10: by default the demo clerk, who files its changes)."""
    async with sessions.begin() as session:
        customer = Customer(
            credit_code=random_credit_code(),
            name="郑州档案测试石化有限公司",
            kind="allocation_self_sale",
            status=status,
            address="河南省郑州市花园路 1 号",
            legal_representative="王建国",
            phone="0371-65550000",
            registered_capital=Decimal("1000000"),
            card={"phone": "0371-65550000", "bank_account": "1702020109024567890"},
            onboarding_process_id=f"record-{uuid.uuid4()}",
            trading_since=date(2026, 1, 5),
            created_at=datetime.now(UTC),
            created_by="general_manager",
            unit_code=unit,
            owner_person=owner_person,
            bank_account="1702020109024567890",
            documents=[CustomerDocument(type="business_license", number="NO-1", issuer="郑州市市场监督管理局")],
        )
        session.add(customer)
        await session.flush()
        return customer.id


SURVEY_FORM = {
    "direction": "sell",
    "products": "0# 柴油",
    "development_potential": "月需求稳定",
    "credit_standing": "无不良记录",
    "trade_conditions": "先款后货",
    "expected_monthly_tonnes": "120.5",
}


async def ok(response: Any, code: int = 200) -> Any:
    assert response.status_code == code, response.text
    return response.json()


@pytest.mark.rule("000-5-unit-keeps-own-customers")
async def test_an_approved_card_change_shows_old_and_new_in_the_log_and_the_card(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """000 §10 (四): a depot customer's change goes to that depot's manager, not another depot's."""
    customer_id = await make_customer(sessions, "DEPOT-ZZ")
    body = {
        "changes": {"phone": "0371-66668888", "revenue": "12000000.50", "foreign_currency_account": "USD-001"},
        "reason": "客户更换联系电话, 提交年报",
        "evidence": "2026 年度审计报告",
    }
    started = await ok(await api.post(f"{P}/{customer_id}/changes", "sales_clerk", json=body), 201)
    assert started["status"] == "running" and started["current_step"] == "depot_review"
    assert started["customer_id"] == customer_id
    # Another depot's manager neither reads the file, nor asks for a change, nor gets the task.
    assert (await api.get(f"{P}/{customer_id}", "depot_manager_b")).status_code == 404
    assert (await api.get(f"{P}/{customer_id}/changes", "depot_manager_b")).status_code == 404
    assert (await api.post(f"{P}/{customer_id}/changes", "depot_manager_b", json=body)).status_code == 404
    tasks = await ok(await api.get("/api/v1/tasks", "depot_manager_b", params={"process_id": started["process_id"]}))
    assert tasks["items"] == []
    # Nothing changes before the approval; a second open request for the same file is refused.
    card = await ok(await api.get(f"{P}/{customer_id}", "depot_manager"))
    assert card["phone"] == "0371-65550000" and card["revenue"] is None
    assert (await api.post(f"{P}/{customer_id}/changes", "sales_clerk", json=body)).status_code == 409

    done = await ok(await api.decide("depot_manager", started["process_id"], "approve", "核实无误"))
    assert done["status"] == "approved"

    card = await ok(await api.get(f"{P}/{customer_id}", "depot_manager"))
    assert card["phone"] == "0371-66668888"
    assert Decimal(card["revenue"]) == Decimal("12000000.50")
    assert card["foreign_currency_account"] == "USD-001"
    assert card["card"]["phone"] == "0371-66668888"  # the archive JSON follows the column
    assert card["status"] == "active" and card["unit_code"] == "DEPOT-ZZ" and card["grade"]
    log = await ok(await api.get(f"{P}/{customer_id}/changes", "auditor"))
    by_field = {row["field"]: row for row in log}
    assert set(by_field) == {"phone", "revenue", "foreign_currency_account"}
    phone = by_field["phone"]
    assert (phone["old_value"], phone["new_value"]) == ("0371-65550000", "0371-66668888")
    assert phone["kind"] == "card" and phone["process_id"] == started["process_id"]
    assert (phone["requested_by"], phone["approved_by"]) == ("sales_clerk", "depot_manager")
    assert phone["reason"] == body["reason"] and phone["evidence"] == body["evidence"]
    assert by_field["revenue"]["old_value"] is None and by_field["revenue"]["new_value"] == "12000000.50"

    process = await ok(await api.get(f"/api/v1/processes/{started['process_id']}", "auditor"))
    handle = api.worker.client.get_workflow_handle(process["workflow_id"], run_id=started["process_id"])
    history = await handle.fetch_history()
    result = await Replayer(workflows=WORKFLOWS, data_converter=DATA_CONVERTER).replay_workflow(history)
    assert result.replay_failure is None
    record_history("customer_change_approved", history)


async def test_a_rejected_change_changes_nothing(api: Api, sessions: async_sessionmaker[AsyncSession]) -> None:
    """A head-office file: marketing review → marketing manager; a rejection ends it unchanged."""
    customer_id = await make_customer(sessions, "MKT")
    before = await ok(await api.get(f"{P}/{customer_id}", "auditor"))
    body = {"changes": {"name": "改名后的石化公司", "address": "新地址 2 号"}, "reason": "客户更名"}
    started = await ok(await api.post(f"{P}/{customer_id}/changes", "sales_clerk", json=body), 201)
    assert started["current_step"] == "marketing_review"
    done = await ok(await api.decide("marketing_reviewer", started["process_id"], "reject", "无工商变更证明"))
    assert done["status"] == "rejected"
    after = await ok(await api.get(f"{P}/{customer_id}", "auditor"))
    assert {k: v for k, v in after.items() if k != "approval_trail"} == {
        k: v for k, v in before.items() if k != "approval_trail"
    }
    assert await ok(await api.get(f"{P}/{customer_id}/changes", "auditor")) == []


async def test_only_declared_fields_with_storable_values_may_change(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    customer_id = await make_customer(sessions, "MKT")
    url = f"{P}/{customer_id}/changes"
    for changes in (
        {"credit_code": "91410100MA00000000"},  # the identity is not a card field to change
        {"unit_code": "DEPOT-KF"},
        {},
        {"name": None},  # a required card field cannot be emptied
        {"phone": "x\u0000yyyy"},
        {"postcode": "4500"},
    ):
        response = await api.post(url, "sales_clerk", json={"changes": changes, "reason": "试"})
        assert response.status_code == 422, (changes, response.text)
    # A role that keeps no files (legal, a reader through head office) may not ask: 403.
    assert (await api.post(url, "legal_reviewer", json={"changes": {"fax": "1"}, "reason": "试"})).status_code == 403


async def test_a_status_change_is_recorded_with_who_and_why(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    customer_id = await make_customer(sessions, "DEPOT-ZZ")
    url = f"{P}/{customer_id}/status"
    assert (await api.post(url, "sales_clerk", json={"status": "suspended", "reason": "x"})).status_code == 403
    assert (await api.post(url, "depot_manager_b", json={"status": "suspended", "reason": "x"})).status_code == 404
    card = await ok(await api.post(url, "depot_manager", json={"status": "suspended", "reason": "客户停业整顿"}))
    assert card["status"] == "suspended"
    card = await ok(await api.post(url, "marketing_manager", json={"status": "terminated", "reason": "客户已注销"}))
    assert card["status"] == "terminated"
    # 004 §4 (四): a dissolved customer never trades again.
    assert (await api.post(url, "marketing_manager", json={"status": "active", "reason": "x"})).status_code == 409
    log = await ok(await api.get(f"{P}/{customer_id}/changes", "depot_manager"))
    assert [(r["kind"], r["old_value"], r["new_value"], r["requested_by"], r["reason"]) for r in log] == [
        ("status", "active", "suspended", "depot_manager", "客户停业整顿"),
        ("status", "suspended", "terminated", "marketing_manager", "客户已注销"),
    ]


async def test_a_hand_over_moves_a_leavers_customers_each_recorded(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    leaver = await add_user(sessions, "sales_clerk", unit="MKT")
    successor = await add_user(sessions, "sales_clerk", unit="MKT")
    hq_file = await make_customer(sessions, "MKT", owner_person=leaver)
    depot_file = await make_customer(sessions, "DEPOT-ZZ", owner_person=leaver)
    body = {"from_user": leaver, "to_user": successor, "reason": "业务员调离公司"}
    assert (await api.post(f"{P}/hand-over", "sales_clerk", json=body)).status_code == 403
    unknown = {**body, "to_user": "nobody_at_all"}
    assert (await api.post(f"{P}/hand-over", "marketing_manager", json=unknown)).status_code == 422
    # Another depot's manager hands over only the files of their own unit: none of these.
    moved = await ok(await api.post(f"{P}/hand-over", "depot_manager_b", json=body))
    assert moved["customer_ids"] == []
    moved = await ok(await api.post(f"{P}/hand-over", "marketing_manager", json=body))
    assert moved["customer_ids"] == [hq_file, depot_file]
    assert (await ok(await api.post(f"{P}/hand-over", "marketing_manager", json=body)))["customer_ids"] == []
    for customer_id in (hq_file, depot_file):
        card = await ok(await api.get(f"{P}/{customer_id}", "auditor"))
        assert card["owner_person"] == successor
        log = await ok(await api.get(f"{P}/{customer_id}/changes", "auditor"))
        assert [(r["kind"], r["field"], r["old_value"], r["new_value"], r["requested_by"]) for r in log] == [
            ("hand_over", "owner_person", leaver, successor, "marketing_manager")
        ]


async def test_a_past_file_is_destroyed_only_after_the_managers_approval(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    customer_id = await make_customer(sessions, "DEPOT-ZZ")
    url = f"{P}/{customer_id}/destruction"
    # 004 §6: only a customer moved to past.
    assert (await api.post(url, "sales_clerk", json={"reason": "x"})).status_code == 409
    past = {"status": "past", "reason": "三年无交易"}
    await ok(await api.post(f"{P}/{customer_id}/status", "depot_manager", json=past))
    assert (await api.post(url, "depot_manager_b", json={"reason": "x"})).status_code == 404
    started = await ok(await api.post(url, "depot_manager", json={"reason": "已无恢复交易可能"}), 201)
    assert started["current_step"] == "manager_approval"
    card = await ok(await api.get(f"{P}/{customer_id}", "auditor"))
    assert card["destroyed_at"] is None and card["phone"] == "0371-65550000"  # not before the approval

    done = await ok(await api.decide("marketing_manager", started["process_id"], "approve", "同意销毁"))
    assert done["status"] == "approved"
    card = await ok(await api.get(f"{P}/{customer_id}", "auditor"))
    assert card["destroyed_at"] is not None and card["destroyed_by"] == "marketing_manager"
    assert card["phone"] == "" and card["legal_representative"] == "" and card["bank_account"] is None
    assert card["name"] and card["credit_code"]  # the row stays: whose file it was
    assert [d["number"] for d in card["documents"]] == [""]
    log = await ok(await api.get(f"{P}/{customer_id}/changes", "auditor"))
    assert [(r["kind"], r["requested_by"], r["approved_by"]) for r in log] == [
        ("status", "depot_manager", "depot_manager"),
        ("destruction", "depot_manager", "marketing_manager"),
    ]
    # A destroyed file changes no more; its history is still read.
    change = {"changes": {"fax": "1"}, "reason": "x"}
    assert (await api.post(f"{P}/{customer_id}/changes", "sales_clerk", json=change)).status_code == 409
    history = await ok(await api.get(f"/api/v1/processes/{started['process_id']}/history", "auditor"))
    assert any(e["action"] == "decision" and e["actor"] == "marketing_manager" for e in history)


async def test_the_transaction_start_survey_is_approved_by_the_unit_head_then_reported(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """004 §4 (一): "取得单位主管的认可并禀报董事长" — nothing is recorded until the surveyor's unit head
    approves (the station manager heads the station: the head above, the general manager); then
    the survey is on the file, once, and the company's head is told."""
    customer_id = await make_customer(sessions, "STATION-ZZ01", status="prospect")
    url = f"{P}/{customer_id}/survey"
    assert await ok(await api.get(url, "station_manager")) is None
    started = await ok(await api.post(url, "station_manager", json=SURVEY_FORM), 201)
    assert started["current_step"] == "unit_head" and started["status"] == "running"
    assert await ok(await api.get(url, "station_manager")) is None  # not before the unit head approves
    assert (await api.post(url, "station_manager", json=SURVEY_FORM)).status_code == 409  # one open survey

    approved = await ok(await api.decide("general_manager", started["process_id"], "approve", "同意"))
    assert approved["status"] == "approved"
    survey = await ok(await api.get(url, "finance_reviewer"))
    assert survey["surveyed_by"] == "station_manager" and survey["trade_conditions"] == "先款后货"
    assert survey["approved_by"] == "general_manager" and survey["process_id"] == started["process_id"]
    assert survey["products"] == "0# 柴油" and Decimal(survey["expected_monthly_tonnes"]) == Decimal("120.5")
    assert (await api.get(url, "station_manager_b")).status_code == 404
    assert (await api.post(url, "station_manager", json=SURVEY_FORM)).status_code == 409
    notes = await ok(
        await api.get("/api/v1/notifications", "general_manager", params={"process_id": started["process_id"]})
    )
    assert [n for n in notes if n["kind"] == "report"], notes
    process = await ok(await api.get(f"/api/v1/processes/{started['process_id']}", "auditor"))
    handle = api.worker.client.get_workflow_handle(process["workflow_id"], run_id=started["process_id"])
    record_history("customer_survey_approved_reported", await handle.fetch_history())


async def test_a_survey_the_unit_head_rejects_records_nothing(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """A clerk's survey goes to the head of marketing (004 §4 (一) 单位主管); rejected, no survey."""
    customer_id = await make_customer(sessions, "MKT", status="prospect")
    url = f"{P}/{customer_id}/survey"
    started = await ok(await api.post(url, "sales_clerk", json=SURVEY_FORM), 201)
    assert started["holders"] == ["marketing_manager"]
    rejected = await ok(await api.decide("marketing_manager", started["process_id"], "reject", "资信不明"))
    assert rejected["status"] == "rejected"
    assert await ok(await api.get(url, "sales_clerk")) is None


async def test_nobody_approves_their_own_request(api: Api, sessions: async_sessionmaker[AsyncSession]) -> None:
    """A depot manager's change of their own depot's file goes to head-office marketing; a
    destruction the marketing manager asks for goes to the business VP."""
    customer_id = await make_customer(sessions, "DEPOT-ZZ", status="past")
    change = {"changes": {"fax": "0371-1"}, "reason": "传真变更"}
    started = await ok(await api.post(f"{P}/{customer_id}/changes", "depot_manager", json=change), 201)
    assert started["current_step"] == "marketing_review"
    started = await ok(await api.post(f"{P}/{customer_id}/destruction", "marketing_manager", json={"reason": "x"}), 201)
    assert started["holders"] == ["business_vp"]
    done = await ok(await api.decide("business_vp", started["process_id"], "reject", "暂缓销毁"))
    assert done["status"] == "rejected"
    assert (await ok(await api.get(f"{P}/{customer_id}", "auditor")))["destroyed_at"] is None


async def test_a_terminated_or_active_file_is_not_destroyed_at_filing_nor_at_approval(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """004 §6: only a past file, with the manager's approval; checked when filed and again when the
    approval applies (the customer may trade again, or be dissolved, while the manager decides)."""
    for status in ("terminated", "active"):
        customer_id = await make_customer(sessions, "DEPOT-ZZ", status=status)
        refused = await api.post(f"{P}/{customer_id}/destruction", "depot_manager", json={"reason": "x"})
        assert refused.status_code == 409 and status in refused.json()["detail"], refused.text
        assert "004 §4-§6" in refused.json()["detail"]
    customer_id = await make_customer(sessions, "DEPOT-ZZ", status="past")
    started = await ok(await api.post(f"{P}/{customer_id}/destruction", "depot_manager", json={"reason": "x"}), 201)
    back = {"status": "active", "reason": "恢复交易"}
    await ok(await api.post(f"{P}/{customer_id}/status", "depot_manager", json=back))
    done = await ok(await api.decide("marketing_manager", started["process_id"], "approve", "同意销毁"))
    assert done["status"] == "rejected"  # approved, but no longer applicable: nothing destroyed
    card = await ok(await api.get(f"{P}/{customer_id}", "auditor"))
    assert card["destroyed_at"] is None and card["phone"] == "0371-65550000"
