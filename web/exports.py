"""A table (a header row and its rows) as a file a spreadsheet opens: CSV or Excel (issue 23).

CSV is UTF-8 with a byte-order mark: Excel reads a file without one in the system's code page and
garbles Chinese; a text cell that begins like a formula (`=`, `+`, `-`, `@`, a tab or a carriage
return) is prefixed with an apostrophe so the spreadsheet shows it as text and never runs it (OWASP
"CSV injection"): names and reasons are typed by users. Excel files are written with openpyxl (a
dependency already), every text as a string cell, never a formula, so no prefix is needed there."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from fastapi import Response
from openpyxl import Workbook

BOM = "\ufeff"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

Cell = str | int | None
Format = Literal["csv", "xlsx"]


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[list[Cell]]

    def lines(self) -> list[list[Cell]]:
        return [list(self.header), *self.rows]


def _text(value: Cell) -> Cell:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return f"'{value}"
    return value


def csv_bytes(table: Table) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    for row in table.lines():
        writer.writerow(["" if value is None else _text(value) for value in row])
    return (BOM + out.getvalue()).encode("utf-8")


def xlsx_bytes(table: Table) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook has its one sheet
    for row in table.lines():
        sheet.append(row)
        for cell in sheet[sheet.max_row]:
            if cell.data_type == "f":  # openpyxl reads "=…" as a formula: it is what someone typed
                cell.data_type = "s"
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


FORMATS: dict[Format, tuple[Callable[[Table], bytes], str]] = {
    "csv": (csv_bytes, "text/csv; charset=utf-8"),
    "xlsx": (xlsx_bytes, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}


def download(table: Table, fmt: Format, name: str) -> Response:
    """The table as an attachment `name.fmt` (the browser saves it, never shows it)."""
    write, media_type = FORMATS[fmt]
    headers = {"Content-Disposition": f'attachment; filename="{name}.{fmt}"'}
    return Response(write(table), media_type=media_type, headers=headers)
