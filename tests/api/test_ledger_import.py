"""The ERP ledger import through the real API (issue 12 §1; 000 §13), on SQLite and PostgreSQL:
all rows or none, every bad row named; CSV (with a BOM, Chinese headers) and .xlsx."""

from __future__ import annotations

import io
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import Customer, CustomerLedgerEntry, LedgerImport, Notification, Process
from tests.activities.test_credit_store import make_credit_customer
from tests.support import Api

pytestmark = pytest.mark.asyncio(loop_scope="session")

URL = "/api/v1/ledger/imports"


async def code_of(sessions: async_sessionmaker[AsyncSession], customer_id: int) -> str:
    async with sessions() as session:
        code = await session.scalar(select(Customer.credit_code).where(Customer.id == customer_id))
    assert code is not None
    return code


async def entries(sessions: async_sessionmaker[AsyncSession], customer_id: int) -> int:
    async with sessions() as session:
        return int(
            await session.scalar(select(func.count()).where(CustomerLedgerEntry.customer_id == customer_id)) or 0
        )


async def upload(api: Api, name: str, content: bytes, user: str = "finance_reviewer") -> Any:
    return await api.post(URL, user, files={"file": (name, content)})


async def test_one_bad_row_imports_nothing_and_names_every_bad_row(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    customer_id = await make_credit_customer(sessions, limit=Decimal("1000.00"))
    code = await code_of(sessions, customer_id)
    ref = f"R-{uuid.uuid4().hex[:8]}"
    csv = (
        "credit_code,kind,amount,reference,occurred_at\n"
        f"{code},delivery,100.00,{ref}-1,2026-11-02\n"
        f"{code},delivery,-5,{ref}-2,2026-11-03\n"  # row 3: amount
        f"NOSUCHCODE0000000X,receipt,10.00,{ref}-3,2026-11-04 10:00\n"  # row 4: customer
        f"{code},delivery,1.00,{ref}-1,2026-11-05\n"  # row 5: repeats row 2
        f"{code},gift,1.00,{ref}-6,not a date\n"  # row 6: kind and date
    )
    refused = await upload(api, "erp.csv", csv.encode())
    assert refused.status_code == 422, refused.text
    rows = refused.json()["detail"]["rows"]
    named = {(p["row"], p["column"]) for r in rows for p in r["problems"]}
    assert named == {(3, "amount"), (4, "credit_code"), (5, "reference"), (6, "kind"), (6, "occurred_at")}
    assert await entries(sessions, customer_id) == 0
    assert (await upload(api, "erp.csv", csv.encode(), user="sales_clerk")).status_code == 403


async def test_a_good_csv_imports_every_row_in_one_go(api: Api, sessions: async_sessionmaker[AsyncSession]) -> None:
    """UTF-8 with a BOM and Chinese headers; a delivery beyond the limit is booked with a warning."""
    customer_id = await make_credit_customer(sessions, limit=Decimal("100.00"))
    code = await code_of(sessions, customer_id)
    ref = f"C-{uuid.uuid4().hex[:8]}"
    csv = (
        "统一社会信用代码,类型,金额,单号,发生时间\n"
        f"{code},收款,50.00,{ref}-1,2026-11-02 09:00\n"
        f"{code},发货,120.00,{ref}-2,2026-11-03T10:00:00+08:00\n"
        f"{code},delivery,80.00,{ref}-3,2026-11-04\n"
    )
    done = await upload(api, "erp.csv", ("\ufeff" + csv).encode())
    assert done.status_code == 201, done.text
    body = done.json()
    assert body["rows"] == 3 and body["format"] == "csv" and all(r["entry_id"] for r in body["results"])
    assert [r["row"] for r in body["results"]] == [2, 3, 4]
    assert body["results"][1]["warning"] is None and body["results"][2]["warning"] is not None
    credit = (await api.get(f"/api/v1/customers/{customer_id}/credit", "finance_reviewer")).json()
    assert credit["balance"] == "-150.00"
    async with sessions() as session:
        imported = await session.get(LedgerImport, body["import_id"])
        tagged = await session.scalar(select(func.count()).where(CustomerLedgerEntry.import_id == body["import_id"]))
    assert imported is not None and imported.rows == 3 and tagged == 3
    again = await upload(api, "erp.csv", csv.encode())  # the same file twice: every row already booked
    assert again.status_code == 422 and len(again.json()["detail"]["rows"]) == 3


async def test_a_good_xlsx_imports_every_row(api: Api, sessions: async_sessionmaker[AsyncSession]) -> None:
    customer_id = await make_credit_customer(sessions)
    code = await code_of(sessions, customer_id)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["credit_code", "kind", "amount", "reference", "occurred_at"])
    sheet.append([code, "receipt", 300, "X-1", "2026-11-02 08:00"])
    sheet.append([code, "delivery", 120.5, "X-2", "2026-11-03"])
    buffer = io.BytesIO()
    book.save(buffer)
    done = await upload(api, "erp.xlsx", buffer.getvalue())
    assert done.status_code == 201, done.text
    assert done.json()["format"] == "xlsx" and done.json()["rows"] == 2
    credit = (await api.get(f"/api/v1/customers/{customer_id}/credit", "finance_reviewer")).json()
    assert credit["balance"] == "179.50"
    assert (await upload(api, "erp.xlsx", b"PK\x03\x04broken")).status_code == 422


async def test_a_file_that_cannot_be_read_is_refused_as_a_whole() -> None:
    """The file itself: not UTF-8, no header, a header without the columns."""
    from api.ledger_import import ImportProblem, parse

    for content in ("金额".encode("gbk"), b"", b"code,kind\nX,delivery\n"):
        with pytest.raises(ImportProblem):
            parse("erp.csv", content)
    rows = parse("erp.csv", b"kind,amount,reference,occurred_at,credit_code,memo\n\ndelivery,1,R,2026-11-02,C,x\n").rows
    assert rows == [
        (3, {"kind": "delivery", "amount": "1", "reference": "R", "occurred_at": "2026-11-02", "credit_code": "C"})
    ]


# --- issue 20 item 4: the import obeys credit control (000 §13, 001 §3, 000 §9 (一)) -----------------


def erp_csv(code: str, *rows: tuple[str, str, str]) -> bytes:
    """Rows of (kind, amount, reference) for one customer, dated yesterday (nothing overdue yet)."""
    day = (datetime.now(ZoneInfo("Asia/Shanghai")) - timedelta(days=1)).date().isoformat()
    lines = ["credit_code,kind,amount,reference,occurred_at"]
    lines += [f"{code},{kind},{amount},{ref},{day}" for kind, amount, ref in rows]
    return ("\n".join(lines) + "\n").encode()


async def credit_of(api: Api, customer_id: int) -> dict[str, Any]:
    return dict((await api.get(f"/api/v1/customers/{customer_id}/credit", "finance_reviewer")).json())


async def deliver(api: Api, customer_id: int, amount: str) -> Any:
    body = {"kind": "delivery", "amount": amount, "reference": f"D-{uuid.uuid4().hex[:8]}"}
    body["occurred_at"] = "2026-11-20T10:00:00+08:00"
    return await api.post(f"/api/v1/customers/{customer_id}/ledger", "sales_clerk", json=body)


async def over_limit_import(api: Api, sessions: async_sessionmaker[AsyncSession]) -> tuple[int, dict[str, Any]]:
    """A credit customer (limit 100) an import takes to 150 owed: booked, and held for the GM."""
    customer_id = await make_credit_customer(sessions, limit=Decimal("100.00"))
    code = await code_of(sessions, customer_id)
    ref = f"O-{uuid.uuid4().hex[:8]}"
    done = await upload(
        api, "erp.csv", erp_csv(code, ("delivery", "90.00", f"{ref}-1"), ("delivery", "60", f"{ref}-2"))
    )
    assert done.status_code == 201, done.text
    return customer_id, done.json()


@pytest.mark.rule("001-credit-3-gm-ratifies-import")
async def test_a_delivery_imported_beyond_the_limit_is_ratified_by_the_gm_and_credit_waits(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    customer_id, body = await over_limit_import(api, sessions)
    assert [r["warning"] is not None for r in body["results"]] == [False, True]
    [follow] = body["follow_ups"]
    assert (follow["customer_id"], follow["follow_up"], follow["rows"], follow["amount"]) == (
        customer_id,
        "ratification",
        [3],
        "60.00",
    )
    credit = await credit_of(api, customer_id)
    assert (credit["balance"], credit["credit_hold"], credit["available"]) == ("-150.00", "ratification", "0.00")

    # credit held: a receipt makes room, yet no delivery on credit until the GM decides
    assert (
        await upload(api, "r.csv", erp_csv(await code_of(sessions, customer_id), ("receipt", "200", "RC-1")))
    ).status_code == 201
    booked_before = await entries(sessions, customer_id)
    held = await deliver(api, customer_id, "60.00")
    assert held.status_code == 409 and held.json()["error"] == "credit_held", held.text
    assert "001 §3" in held.json()["detail"] and await entries(sessions, customer_id) == booked_before

    task = await api.task_for("general_manager", follow["process_id"])
    assert task["step"] == "gm_ratification" and "追认" in task["subject"]
    assert (
        await api.post(f"/api/v1/processes/{follow['process_id']}/withdraw", "finance_reviewer", json={"reason": "x"})
    ).status_code == 409
    ratified = await api.decide("general_manager", follow["process_id"], "approve", "追认")
    assert ratified.status_code == 200 and ratified.json()["status"] == "approved", ratified.text
    assert await entries(sessions, customer_id) == booked_before  # ratifying books nothing twice
    assert (await credit_of(api, customer_id))["credit_hold"] is None
    assert (await deliver(api, customer_id, "60.00")).status_code == 201  # credit resumes


@pytest.mark.rule("001-credit-3-gm-ratifies-import")
async def test_a_refused_ratification_keeps_credit_held_until_a_credit_review(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    customer_id, body = await over_limit_import(api, sessions)
    process_id = body["follow_ups"][0]["process_id"]
    refused = await api.decide("general_manager", process_id, "reject", "不予追认")
    assert refused.status_code == 200 and refused.json()["status"] == "rejected", refused.text
    assert (await credit_of(api, customer_id))["credit_hold"] == "ratification_refused"
    assert (
        await upload(api, "r.csv", erp_csv(await code_of(sessions, customer_id), ("receipt", "200", "RC-2")))
    ).status_code == 201
    held = await deliver(api, customer_id, "60.00")  # the balance (50) pays for less: the rest needs credit
    assert held.status_code == 409 and "credit review" in held.json()["detail"], held.text
    assert (await deliver(api, customer_id, "50.00")).status_code == 201  # money paid before goods is no credit
    async with sessions() as session:
        told = await session.scalar(
            select(func.count()).where(Notification.process_id == process_id, Notification.kind == "credit_hold")
        )
    assert told == 1


async def test_a_prepaid_balance_overdrawn_by_an_import_names_the_rows_and_opens_a_finance_task(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    customer_id = await make_credit_customer(sessions)  # no credit terms: payment before goods
    code = await code_of(sessions, customer_id)
    ref = f"P-{uuid.uuid4().hex[:8]}"
    rows = (("receipt", "100", f"{ref}-1"), ("delivery", "60", f"{ref}-2"), ("delivery", "70", f"{ref}-3"))
    done = await upload(api, "erp.csv", erp_csv(code, *rows, ("delivery", "5", f"{ref}-4")))
    assert done.status_code == 201, done.text
    body = done.json()
    assert [r["warning"] is not None for r in body["results"]] == [False, False, True, True]
    [follow] = body["follow_ups"]
    assert (follow["follow_up"], follow["rows"], follow["amount"]) == ("finance", [4, 5], "75.00")
    assert (await credit_of(api, customer_id))["balance"] == "-35.00"
    task = await api.task_for("finance_reviewer", follow["process_id"])
    assert task["step"] == "finance_settle" and "rows 4, 5" in task["subject"]
    settled = await api.decide("finance_reviewer", follow["process_id"], "approve", "已追回")
    assert settled.status_code == 200 and settled.json()["status"] == "approved", settled.text


async def test_the_import_takes_an_idempotency_key(api: Api, sessions: async_sessionmaker[AsyncSession]) -> None:
    customer_id = await make_credit_customer(sessions, limit=Decimal("100.00"))
    code = await code_of(sessions, customer_id)
    content = erp_csv(code, ("delivery", "150", f"K-{uuid.uuid4().hex[:8]}"))
    headers = await api.headers("finance_reviewer") | {"Idempotency-Key": str(uuid.uuid4())}
    first = await api.client.post(URL, headers=headers, files={"file": ("erp.csv", content)})
    assert first.status_code == 201, first.text
    again = await api.client.post(URL, headers=headers, files={"file": ("erp.csv", content)})
    assert again.status_code == 201 and again.headers.get("Idempotent-Replayed") == "true", again.text
    assert again.json() == first.json() and await entries(sessions, customer_id) == 1
    async with sessions() as session:
        started = await session.scalar(
            select(func.count()).where(Process.customer_id == customer_id, Process.process_type == "credit_over_limit")
        )
    assert started == 1  # one ratification, not two
    other = erp_csv(code, ("delivery", "1", f"K-{uuid.uuid4().hex[:8]}"))
    reused = await api.client.post(URL, headers=headers, files={"file": ("erp.csv", other)})
    assert reused.status_code == 422 and await entries(sessions, customer_id) == 1, reused.text


async def test_a_delivery_for_a_customer_that_may_not_trade_is_a_bad_row(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """004 §4-§6 (domain/customer_gate.py) holds on the import too: a delivery for a suspended
    customer is refused, naming the status, and nothing of the file is booked; its receipts are
    collected whatever the status."""
    customer_id = await make_credit_customer(sessions, limit=Decimal("1000.00"))
    code = await code_of(sessions, customer_id)
    async with sessions.begin() as session:
        customer = await session.get(Customer, customer_id)
        assert customer is not None
        customer.status = "suspended"
    ref = f"S-{uuid.uuid4().hex[:8]}"
    csv = (
        "credit_code,kind,amount,reference,occurred_at\n"
        f"{code},receipt,10.00,{ref}-1,2026-11-02\n"
        f"{code},delivery,20.00,{ref}-2,2026-11-03\n"
    )
    refused = await upload(api, "erp.csv", csv.encode())
    assert refused.status_code == 422, refused.text
    problems = [p for r in refused.json()["detail"]["rows"] for p in r["problems"]]
    assert [(p["row"], p["column"]) for p in problems] == [(3, "credit_code")]
    assert "suspended" in problems[0]["reason"] and "004 §4-§6" in problems[0]["reason"]
    assert await entries(sessions, customer_id) == 0
    receipts_only = f"credit_code,kind,amount,reference,occurred_at\n{code},receipt,10.00,{ref}-1,2026-11-02\n"
    booked = await upload(api, "erp.csv", receipts_only.encode())
    assert booked.status_code == 201, booked.text
    assert await entries(sessions, customer_id) == 1
