"""The ERP ledger import (issue 12 §1; 000 §13): parse a CSV or .xlsx file and check every row.

Columns (a header row; English or Chinese names): credit_code 统一社会信用代码, kind 类型
(delivery 发货 | receipt 收款), amount 金额, reference 单号, occurred_at 发生时间. All rows are
checked before anything is booked: one bad row and the whole file is refused with every bad row
named (its row number as in the file, the column, the reason), so finance corrects the file and
imports it again — never half a file.

Deliveries in an import are facts: finance shipped the goods already (in the ERP). They are booked
even beyond the credit limit — refusing them would make the ledger lie — but each such row carries a
warning and no gate is skipped (domain/import_credit.py): a credit customer beyond its limit gets the
general manager's over-limit approval as a ratification and no more credit until it is decided
(001 §3); a prepaid balance taken below zero gets a finance task (000 §9 (一)).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from pydantic import BaseModel
from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Customer, CustomerLedgerEntry
from domain.china_time import CHINA
from domain.credit import CreditStanding
from domain.customer_gate import CustomerOperation, customer_problem
from domain.import_credit import Beyond, FollowUp, beyond_available, follow_up
from domain.ledger import ZERO, LedgerEntry, LedgerKind
from domain.text import FIRST_YEAR, LAST_YEAR, text_problem

# ASSUMPTION (no figure in the seeds): bounds of one import file; the request body itself is also bounded by
# MAX_BODY_BYTES (settings.py, 1 MB by default: some 15,000 CSV rows). A larger ERP export is split.
MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 50_000
FUTURE_SLACK = timedelta(minutes=5)  # clocks differ a little; a posting from tomorrow is a typo

COLUMNS = ("credit_code", "kind", "amount", "reference", "occurred_at")
HEADERS: dict[str, str] = {
    **{c: c for c in COLUMNS},
    "统一社会信用代码": "credit_code",
    "信用代码": "credit_code",
    "类型": "kind",
    "金额": "amount",
    "单号": "reference",
    "发生时间": "occurred_at",
}
KINDS: dict[str, LedgerKind] = {
    "delivery": LedgerKind.delivery,
    "发货": LedgerKind.delivery,
    "提货": LedgerKind.delivery,
    "receipt": LedgerKind.receipt,
    "收款": LedgerKind.receipt,
}


class ImportProblem(Exception):
    """The file itself cannot be read (format, encoding, header, size): a 422 about the file."""


class RowProblem(BaseModel):
    row: int
    column: str
    reason: str


class RowResult(BaseModel):
    """One data row of the file: its row number as in the file, what was booked or why not."""

    row: int
    credit_code: str | None = None
    kind: LedgerKind | None = None
    amount: Decimal | None = None
    reference: str | None = None
    entry_id: int | None = None
    problems: list[RowProblem] = []
    warning: str | None = None


@dataclass
class Parsed:
    format: str
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _header(cells: list[str]) -> list[str | None]:
    names = [HEADERS.get(c.strip().lstrip("\ufeff").lower()) or HEADERS.get(c.strip()) for c in cells]
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        raise ImportProblem(f"the header row lacks the columns {missing} (expected {list(COLUMNS)} or 中文列名)")
    return names


def parse(filename: str, content: bytes) -> Parsed:
    """The data rows with their row numbers as in the file (the header is row 1)."""
    if len(content) > MAX_BYTES:
        raise ImportProblem(f"the file is larger than {MAX_BYTES} bytes: split it")
    if filename.lower().endswith(".xlsx") or content[:4] == b"PK\x03\x04":
        return _parse_xlsx(content)
    return _parse_csv(content)


def _parse_csv(content: bytes) -> Parsed:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportProblem(
            f"a CSV file must be UTF-8 (with or without BOM): {exc.reason} at byte {exc.start}"
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    parsed = Parsed("csv")
    names: list[str | None] | None = None
    try:
        for cells in reader:
            if names is None:
                names = _header(cells)
                continue
            if not any(c.strip() for c in cells):
                continue
            parsed.rows.append((reader.line_num, _named(names, cells)))
            if len(parsed.rows) > MAX_ROWS:
                raise ImportProblem(f"more than {MAX_ROWS} rows: split the file")
    except csv.Error as exc:
        raise ImportProblem(f"the CSV is malformed at line {reader.line_num}: {exc}") from None
    if names is None:
        raise ImportProblem("the file is empty: a header row is expected")
    return parsed


def _parse_xlsx(content: bytes) -> Parsed:
    from openpyxl import load_workbook  # only an import needs it

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise ImportProblem(f"not a readable .xlsx workbook: {type(exc).__name__}") from None
    sheet = book.worksheets[0] if book.worksheets else None
    parsed = Parsed("xlsx")
    names: list[str | None] | None = None
    if sheet is not None:
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [_cell(v) for v in values]
            if names is None:
                names = _header(cells)
                continue
            if not any(cells):
                continue
            parsed.rows.append((number, _named(names, cells)))
            if len(parsed.rows) > MAX_ROWS:
                raise ImportProblem(f"more than {MAX_ROWS} rows: split the file")
    book.close()
    if names is None:
        raise ImportProblem("the workbook's first sheet is empty: a header row is expected")
    return parsed


def _named(names: list[str | None], cells: list[str]) -> dict[str, str]:
    return {name: cells[i].strip() if i < len(cells) else "" for i, name in enumerate(names) if name}


def _moment(text: str, now: datetime) -> datetime:
    """ISO date or datetime; without a zone it is China time (the ERP's)."""
    value = text.strip().replace("/", "-")
    if len(value) == 10:
        day = date.fromisoformat(value)
        moment = datetime.combine(day, time(12), CHINA)  # a day without a time: its middle
    else:
        moment = datetime.fromisoformat(value.replace(" ", "T", 1))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=CHINA)
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise ValueError(f"the year must lie between {FIRST_YEAR} and {LAST_YEAR}")
    if moment > now + FUTURE_SLACK:
        raise ValueError("lies in the future")
    return moment.astimezone(UTC)


@dataclass
class Checked:
    entries: list[LedgerEntry]
    results: list[RowResult]

    @property
    def bad(self) -> list[RowResult]:
        return [r for r in self.results if r.problems]


async def check(session: AsyncSession, parsed: Parsed, recorded_by: str) -> Checked:
    """Every row checked: parse, customer on file, kind, amount, date, a reference not booked yet
    for that customer and kind nor repeated in the file. A delivery for a customer that may not
    trade (suspended, past, terminated, destroyed: domain/customer_gate.py, 004 §4-§6) is a bad row
    like any other: the status gate holds on the import as on every route (a receipt is collected
    whatever the status)."""
    now = datetime.now(UTC)
    codes = {fields.get("credit_code", "") for _, fields in parsed.rows}
    customers: dict[str, int] = {}
    not_trading: dict[int, str] = {}  # customer id → why it may take no delivery (004 §4-§6)
    code_list = sorted(c for c in codes if c)
    for start in range(0, len(code_list), 500):
        found = await session.execute(
            select(Customer.credit_code, Customer.id, Customer.status, Customer.destroyed_at).where(
                Customer.credit_code.in_(code_list[start : start + 500])
            )
        )
        for code, cid, status, destroyed_at in found:
            customers[code] = cid
            if (problem := customer_problem(CustomerOperation.deliver, status, destroyed_at)) is not None:
                not_trading[cid] = problem
    results: list[RowResult] = []
    entries: list[LedgerEntry] = []
    seen: dict[tuple[int, str, str], int] = {}
    for number, fields in parsed.rows:
        result = RowResult(row=number, credit_code=fields.get("credit_code") or None)
        problems: list[RowProblem] = []

        def bad(column: str, reason: str, number: int = number, problems: list[RowProblem] = problems) -> None:
            problems.append(RowProblem(row=number, column=column, reason=reason))

        customer_id = customers.get(fields.get("credit_code", ""))
        if customer_id is None:
            bad("credit_code", "no customer with this credit code is on file")
        kind = KINDS.get(fields.get("kind", "").strip().lower())
        if kind is None:
            bad("kind", "must be delivery (发货) or receipt (收款)")
        result.kind = kind
        if kind is LedgerKind.delivery and customer_id in not_trading:
            bad("credit_code", f"{not_trading[customer_id]}: set its status first, or correct the ERP row")
        amount: Decimal | None = None
        try:
            amount = Decimal(fields.get("amount", "").replace(",", ""))
            if not amount.is_finite() or amount <= 0 or amount >= Decimal("1e16"):
                raise ValueError("must be above 0 and below 10000000000000000")
            if amount != amount.quantize(Decimal("0.01")):
                raise ValueError("at most two decimals")
            result.amount = amount
        except (InvalidOperation, ValueError) as exc:
            bad("amount", str(exc) if isinstance(exc, ValueError) else "not a number")
            amount = None
        reference = fields.get("reference", "")
        problem = text_problem(reference) if reference else "is required"
        if problem is None and len(reference) > 100:
            problem = "at most 100 characters"
        if problem:
            bad("reference", problem)
        else:
            result.reference = reference
        moment: datetime | None = None
        try:
            moment = _moment(fields.get("occurred_at", ""), now)
        except ValueError as exc:
            bad("occurred_at", f"{exc} (expected an ISO date or date and time, e.g. 2026-11-30 09:30)")
        if customer_id is not None and kind is not None and result.reference is not None:
            key = (customer_id, kind.value, result.reference)
            if key in seen:
                bad("reference", f"repeats row {seen[key]} (same customer, kind and reference)")
            else:
                seen[key] = number
        result.problems = problems
        results.append(result)
        if not problems and customer_id is not None and kind is not None and amount is not None and moment:
            entries.append(
                LedgerEntry(
                    customer_id=customer_id,
                    kind=kind,
                    amount=amount,
                    reference=reference,
                    occurred_at=moment,
                    recorded_by=recorded_by,
                )
            )
    await _already_booked(session, seen, results)
    return Checked(entries=entries, results=results)


async def _already_booked(
    session: AsyncSession, seen: dict[tuple[int, str, str], int], results: list[RowResult]
) -> None:
    """A reference booked before for the customer and kind: the file was imported already."""
    by_row = {r.row: r for r in results}
    keys = sorted(seen)
    for start in range(0, len(keys), 300):
        chunk = keys[start : start + 300]
        found = await session.execute(
            select(CustomerLedgerEntry.customer_id, CustomerLedgerEntry.kind, CustomerLedgerEntry.reference).where(
                tuple_(CustomerLedgerEntry.customer_id, CustomerLedgerEntry.kind, CustomerLedgerEntry.reference).in_(
                    chunk
                )
            )
        )
        for cid, kind, reference in found:
            row = by_row[seen[(cid, kind, reference)]]
            row.problems.append(RowProblem(row=row.row, column="reference", reason="already booked for this customer"))


def beyond(standings: dict[int, CreditStanding], entries: list[LedgerEntry], results: list[RowResult]) -> list[Beyond]:
    """The rows that went beyond what their customer had available, grouped by customer, each row
    warned (domain/import_credit.py): a credit customer's go to the GM for ratification, a prepaid
    customer's overdraw its balance and go to finance."""
    good = [r for r in results if not r.problems]
    moves = [(e.customer_id, e.kind, e.amount) for e in entries]
    groups: dict[int, Beyond] = {}
    for position in beyond_available({cid: s.available for cid, s in standings.items()}, moves):
        entry, result = entries[position], good[position]
        standing = standings[entry.customer_id]
        group = groups.setdefault(
            entry.customer_id,
            Beyond(
                customer_id=entry.customer_id,
                follow_up=follow_up(standing.settlement),
                rows=[],
                amount=ZERO,
                available_before=standing.available,
            ),
        )
        group.rows.append(result.row)
        group.amount += entry.amount
        result.warning = WARNING[group.follow_up]
    return list(groups.values())


WARNING = {
    FollowUp.ratification: (
        "beyond the credit limit: booked as an ERP fact; the general manager ratifies it and credit sales are held "
        "until then (001 §3)"
    ),
    FollowUp.finance: (
        "overdrew the prepaid balance: booked as an ERP fact; finance has a task to settle it (000 §9 (一) 先款后货)"
    ),
}
