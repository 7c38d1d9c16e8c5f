"""The ERP ledger import through the real API (issue 12 §1; 000 §13), on SQLite and PostgreSQL:
all rows or none, every bad row named; CSV (with a BOM, Chinese headers) and .xlsx."""

from __future__ import annotations

import io
import uuid
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import Customer, CustomerLedgerEntry, LedgerImport
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
