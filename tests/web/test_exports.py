"""The export files (web/exports.py): CSV with a BOM and Excel, both opened as a spreadsheet would,
and a cell typed to look like a formula kept as text in both."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from web.exports import Table, csv_bytes, xlsx_bytes

LINK = '=HYPERLINK("http://x.example","点我")'
TABLE = Table(["客户", "意见", "序号"], [["郑州华豫石化贸易有限公司", LINK, 1], ["-", None, 2]])


def test_csv_is_utf8_with_a_bom_and_keeps_formulas_as_text() -> None:
    body = csv_bytes(TABLE)
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == ["客户", "意见", "序号"]
    assert rows[1] == ["郑州华豫石化贸易有限公司", f"'{LINK}", "1"]
    assert rows[2] == ["'-", "", "2"]


def test_excel_opens_with_openpyxl_and_keeps_formulas_as_text() -> None:
    sheet = load_workbook(io.BytesIO(xlsx_bytes(TABLE))).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("客户", "意见", "序号")
    assert rows[1] == ("郑州华豫石化贸易有限公司", LINK, 1)
    assert sheet["B2"].data_type == "s"  # a string, not a formula
