"""An approval form (审批单) laid out as an A4 PDF (issue 23, auditors): a header of facts beside a
QR code, then one signature line per act. Pure layout: web/approval_form.py says what goes on it.

The Chinese text is set in Adobe's CID font STSong-Light, which reportlab names without a font file
and every PDF reader supplies (Acrobat, pdf.js, Chromium, poppler): nothing to install or ship, and
the file stays small. The QR code is a PNG image (segno), so a reader of the file can lift it out."""

from __future__ import annotations

import io
from dataclasses import dataclass
from xml.sax.saxutils import escape

import segno
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

MARGIN = 15 * mm
QR_SIZE = 34 * mm
# step, who, role, when, outcome, opinion, on whose behalf: 180 mm, A4's width less the margins
COLUMNS_MM = (26, 25, 24, 25, 18, 42, 20)

TEXT = ParagraphStyle("text", fontName=FONT, fontSize=8.5, leading=11, wordWrap="CJK")
LABEL = ParagraphStyle("label", parent=TEXT, textColor=colors.HexColor("#555555"))
HEADING = ParagraphStyle("heading", parent=TEXT, fontSize=11, leading=15, spaceBefore=4, spaceAfter=4)
TITLE = ParagraphStyle("title", parent=TEXT, fontSize=18, leading=24, alignment=1, spaceAfter=8)

GRID = TableStyle(
    [
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
    ]
)


@dataclass(frozen=True)
class ApprovalForm:
    """Everything printed, already in the reader's words."""

    title: str
    facts: list[tuple[str, str]]  # label, value
    signatures_heading: str
    columns: list[str]
    lines: list[list[str]]  # one per signature, in the order of `columns`
    no_lines: str
    qr_payload: str
    qr_caption: str
    footer: str


def _cell(text: str, style: ParagraphStyle = TEXT) -> Paragraph:
    return Paragraph(escape(text), style)


def qr_png(payload: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(payload, error="m").save(buffer, kind="png", scale=4, border=4)
    return buffer.getvalue()


def _header(form: ApprovalForm) -> Table:
    facts = Table([[_cell(label, LABEL), _cell(value)] for label, value in form.facts], colWidths=(32 * mm, 100 * mm))
    facts.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]))
    qr = [Image(io.BytesIO(qr_png(form.qr_payload)), width=QR_SIZE, height=QR_SIZE), _cell(form.qr_caption, LABEL)]
    header = Table([[facts, qr]], colWidths=(136 * mm, 44 * mm))
    header.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return header


def _signatures(form: ApprovalForm) -> Table | Paragraph:
    if not form.lines:
        return _cell(form.no_lines)
    rows = [[_cell(c, LABEL) for c in form.columns], *[[_cell(c) for c in line] for line in form.lines]]
    # a comment may hold 2,000 characters (domain/models.py): taller than a page, its row splits
    table = Table(rows, colWidths=[w * mm for w in COLUMNS_MM], repeatRows=1, splitInRow=1)
    table.setStyle(GRID)
    return table


def pdf_bytes(form: ApprovalForm) -> bytes:
    buffer = io.BytesIO()
    margins = {"leftMargin": MARGIN, "rightMargin": MARGIN, "topMargin": MARGIN, "bottomMargin": MARGIN}
    document = SimpleDocTemplate(buffer, pagesize=A4, title=form.title, **margins)
    document.build(
        [
            _cell(form.title, TITLE),
            _header(form),
            Spacer(1, 4 * mm),
            _cell(form.signatures_heading, HEADING),
            _signatures(form),
            Spacer(1, 4 * mm),
            _cell(form.footer, LABEL),
        ]
    )
    return buffer.getvalue()
