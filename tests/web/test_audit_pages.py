"""The auditors' pages (issue 23) over the real app, a real worker and the Temporal dev server, on
SQLite and PostgreSQL: the search and its filters, the case page against the API's own history and
audit record, the CSV exports (UTF-8 with BOM, a header row), the wrong user's 404 and empty lists,
and a tampered audit row shown as a failed verification."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio
from openpyxl import load_workbook
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import AuditRecord, Process, Task
from domain.china_time import CHINA
from tests.api.test_audit_trail import behind_the_back, finished_onboarding
from tests.support import Api, application
from tests.web.pages_support import Browser
from web.i18n import Messages

pytestmark = pytest.mark.asyncio(loop_scope="session")
P = "/api/v1"
BOM = b"\xef\xbb\xbf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest_asyncio.fixture(loop_scope="session")
async def browser_of(api: Api) -> AsyncIterator[Any]:
    """`await browser_of(user)`: a browser signed in as `user`."""
    opened: list[Browser] = []

    async def signed_in(username: str) -> Browser:
        browser = Browser(api)
        opened.append(browser)
        await browser.sign_in(username)
        return browser

    yield signed_in
    for browser in opened:
        await browser.close()


def listed_ids(page: str) -> set[str]:
    return {part.split('"', 1)[0] for part in page.split('class="audit-row" data-process="')[1:]}


def csv_rows(body: bytes) -> list[list[str]]:
    assert body.startswith(BOM)  # Excel reads UTF-8 Chinese only with the mark
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


async def filed(api: Api, name: str) -> str:
    response = await api.submit(body=application(name=name))
    assert response.status_code == 201, response.text
    pid: str = response.json()["process_id"]
    return pid


async def process_row(sessions: async_sessionmaker[AsyncSession], pid: str) -> Process:
    async with sessions() as session:
        process = await session.get(Process, pid)
        assert process is not None
        return process


async def test_search_filters_and_scope(api: Api, browser_of: Any, sessions: async_sessionmaker[AsyncSession]) -> None:
    name = f"审计检索石化{uuid.uuid4().hex[:8]}有限公司"
    running, rejected = await filed(api, name), await filed(api, name)
    assert (await api.decide("marketing_reviewer", rejected, "reject", "证照过期")).status_code == 200
    process = await process_row(sessions, running)
    auditor = await browser_of("auditor")

    async def found(**params: str) -> set[str]:
        page = await auditor.get("/audit", params={"customer": name, **params})
        assert page.status_code == 200, page.text
        return listed_ids(page.text)

    assert await found() == {running, rejected}
    assert 'id="nav-audit"' in (await auditor.get("/")).text  # the workbench leads auditors here
    assert await found(customer=process.subject_key or "") == {running}  # the credit code
    assert await found(status="rejected") == {rejected}
    assert await found(status="running", process_type="onboarding") == {running}
    assert await found(process_type="complaint") == set()
    today = datetime.now(CHINA).date()
    assert await found(started_from=today.isoformat(), started_to=today.isoformat()) == {running, rejected}
    assert await found(started_to=(today - timedelta(days=1)).isoformat()) == set()
    assert await found(started_from=(today + timedelta(days=1)).isoformat()) == set()
    assert await found(unit="NO-SUCH-UNIT") == set()
    if process.unit_code:
        assert running in await found(unit=process.unit_code)

    # Overdue: the running process once its open task is past due (as the step clock would find it).
    assert await found(overdue="true") == set()
    async with sessions.begin() as session:
        await session.execute(
            update(Task)
            .where(Task.process_id == running, Task.status == "open")
            .values(due_at=datetime.now(UTC) - timedelta(hours=1))
        )
    assert await found(overdue="true") == {running}
    page = await auditor.get("/audit", params={"customer": name, "overdue": "true"})
    assert "已超期" in page.text

    # Pages of 50: past the last one, nothing, and the way back.
    beyond = await auditor.get("/audit", params={"customer": name, "page": "1"})
    assert not listed_ids(beyond.text) and 'id="audit-previous"' in beyond.text and 'id="audit-next"' not in beyond.text

    # A date that is not one: said beside its field, nothing searched.
    wrong = await auditor.get("/audit", params={"customer": name, "started_from": "2026-13-01"})
    assert wrong.status_code == 200 and 'id="started_from-error"' in wrong.text and not listed_ids(wrong.text)

    # Another unit's manager reaches the page and sees none of them, nor in the export.
    stranger = await browser_of("depot_manager_b")
    hidden = await stranger.get("/audit", params={"customer": name})
    assert hidden.status_code == 200 and listed_ids(hidden.text) == set() and f"{name}</a>" not in hidden.text
    exported = await stranger.get("/audit/export.csv", params={"customer": name})
    assert exported.status_code == 200 and len(csv_rows(exported.content)) == 1  # the header alone


async def test_the_search_export_is_a_csv_excel_opens(api: Api, browser_of: Any) -> None:
    name = f"审计导出石化{uuid.uuid4().hex[:8]}有限公司"
    pid = await filed(api, name)
    auditor = await browser_of("auditor")
    exported = await auditor.get("/audit/export.csv", params={"customer": name, "page": "3"})
    assert exported.status_code == 200
    assert exported.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in exported.headers["content-disposition"]
    header, *rows = csv_rows(exported.content)
    assert header[:3] == ["流程编号", "流程类型", "客户 / 事项"]
    assert [row[:3] for row in rows] == [[pid, "配置客户资信审批", name]]
    assert rows[0][4] == "审批中" and len(rows[0]) == len(header)

    # The same list as an Excel file: openpyxl opens it, the header row and the one process.
    excel = await auditor.get("/audit/export.xlsx", params={"customer": name})
    assert excel.status_code == 200 and excel.headers["content-type"].startswith(XLSX)
    sheet = load_workbook(io.BytesIO(excel.content)).active
    assert sheet is not None
    assert [list(row[:3]) for row in sheet.iter_rows(values_only=True)] == [header[:3], [pid, "配置客户资信审批", name]]


async def test_the_case_page_shows_the_apis_history_rules_chain_and_temporal(
    api: Api, browser_of: Any, sessions: async_sessionmaker[AsyncSession]
) -> None:
    pid = (await finished_onboarding(api))["process_id"]
    history = (await api.get(f"{P}/processes/{pid}/history", "auditor")).json()
    record = (await api.get(f"{P}/audit/processes/{pid}", "auditor")).json()
    auditor = await browser_of("auditor")
    page = await auditor.get(f"/audit/processes/{pid}")
    assert page.status_code == 200
    assert page.text.count('class="event"') == len(history) == len(record["records"])
    assert 'id="chain-ok"' in page.text and 'id="temporal-kept"' in page.text
    assert f"/workflows/{(await process_row(sessions, pid)).workflow_id}/{pid}/history" in page.text
    rules = {rule for entry in history for rule in entry["rules"]}
    assert rules, "an onboarding's decisions name the rules they applied"
    for rule in rules:
        catalogued = (await api.get(f"{P}/regulations/rules/{rule}", "auditor")).json()["rule"]
        assert f'href="#rule-{rule}"' in page.text and f'id="rule-{rule}"' in page.text
        assert catalogued["article"] in page.text

    # The case's timeline as CSV: one row per history entry, the same who, what and why.
    exported = await auditor.get(f"/audit/processes/{pid}/timeline.csv")
    header, *rows = csv_rows(exported.content)
    m = Messages(None)
    assert header[:3] == ["序号", "时间", "办理人"]
    assert [(r[2], r[4], r[5], r[6], r[7], r[8], r[9].split()) for r in rows] == [
        (
            e["actor"],
            e["on_behalf_of"] or "",
            m.action(e["action"]),
            m.step("onboarding", e["step"]),
            m.outcome(e["outcome"]) if e["outcome"] else "",
            e["comment"] or "",
            e["rules"],
        )
        for e in history
    ]
    assert [r[1] for r in rows] == [m.when(datetime.fromisoformat(e["at"])) for e in history]
    decisions = [r for r in rows if r[5] == m.action("decision")]
    assert [r[3] for r in decisions][:1] == [m.role("marketing_reviewer")]

    # As Excel: one row per recorded act, the decisions with who decided and why.
    excel = await auditor.get(f"/audit/processes/{pid}/timeline.xlsx")
    assert excel.status_code == 200 and excel.headers["content-type"].startswith(XLSX)
    sheet = load_workbook(io.BytesIO(excel.content)).active
    assert sheet is not None
    header_row, *excel_rows = list(sheet.iter_rows(values_only=True))
    assert list(header_row) == header and len(excel_rows) == len(history)
    excel_decisions = [(r[2], r[8]) for r in excel_rows if r[5] == m.action("decision")]
    assert excel_decisions == [(e["actor"], e["comment"]) for e in history if e["action"] == "decision"]

    # In English, the same case in English words.
    english = await browser_of("auditor")
    await english.post("/locale", {"locale": "en", "next": f"/audit/processes/{pid}"})
    try:
        assert "Every decision and action" in (await english.get(f"/audit/processes/{pid}")).text
    finally:
        await english.post("/locale", {"locale": "zh"})

    # A user of another unit cannot open it by URL, nor export it.
    stranger = await browser_of("depot_manager_b")
    hidden = await stranger.get(f"/audit/processes/{pid}")
    assert hidden.status_code == 404 and "找不到该记录" in hidden.text and "郑州华豫" not in hidden.text
    for fmt in ("csv", "xlsx"):
        assert (await stranger.get(f"/audit/processes/{pid}/timeline.{fmt}")).status_code == 404


async def test_the_applicant_reads_the_case_without_the_chain_check(api: Api, browser_of: Any) -> None:
    """Like GET /api/v1/audit/verify, the chain check is the auditors'; the applicant reads the record."""
    pid = await filed(api, f"审计申请人石化{uuid.uuid4().hex[:8]}有限公司")
    clerk = await browser_of("sales_clerk")
    page = await clerk.get(f"/audit/processes/{pid}")
    assert page.status_code == 200 and 'id="chain-not-run"' in page.text and 'id="chain-ok"' not in page.text


async def test_a_tampered_row_shows_as_failed_verification(
    api: Api, browser_of: Any, sessions: async_sessionmaker[AsyncSession]
) -> None:
    pid = await filed(api, f"审计篡改石化{uuid.uuid4().hex[:8]}有限公司")
    assert (await api.decide("marketing_reviewer", pid, "reject", "证照过期")).status_code == 200
    auditor = await browser_of("auditor")
    assert 'id="chain-ok"' in (await auditor.get(f"/audit/processes/{pid}")).text
    async with sessions() as session:
        decision = await session.scalar(
            select(AuditRecord).where(AuditRecord.process_id == pid, AuditRecord.action == "decision")
        )
    assert decision is not None
    async with behind_the_back(sessions) as session:
        await session.execute(text("UPDATE audit_records SET reason = '证照齐全' WHERE id = :id"), {"id": decision.id})
    try:
        page = await auditor.get(f"/audit/processes/{pid}")
        assert 'id="chain-broken"' in page.text and 'id="chain-ok"' not in page.text
        assert "content changed" in page.text and f"row {decision.id}" in page.text
    finally:
        async with behind_the_back(sessions) as session:
            await session.execute(
                text("UPDATE audit_records SET reason = :r WHERE id = :id"), {"r": decision.reason, "id": decision.id}
            )
    assert 'id="chain-ok"' in (await auditor.get(f"/audit/processes/{pid}")).text
