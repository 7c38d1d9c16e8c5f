"""The approval form's layout (web/approval_pdf.py) and its QR address, without a server."""

from __future__ import annotations

import io

from pypdf import PdfReader

from web.approval_form import case_url
from web.approval_pdf import ApprovalForm, pdf_bytes


def test_an_opinion_longer_than_a_page_flows_onto_the_next_page() -> None:
    """A decision's comment may hold 2,000 characters (domain/models.py): its row splits across pages."""
    opinion = "经审核该客户资质文件齐全有效。" * 140  # 2,100 characters
    form = ApprovalForm(
        title="审批单",
        facts=[("流程编号", "p-1")],
        signatures_heading="签批记录",
        columns=["步骤", "办理人", "角色", "时间", "结果", "意见", "代理"],
        lines=[["资质审核", "marketing_reviewer", "资质审核", "2026-12-07 09:30", "同意", opinion, ""]],
        no_lines="尚无签批",
        qr_payload="http://127.0.0.1:8000/audit/processes/p-1",
        qr_caption="扫码",
        footer="打印时间",
    )
    reader = PdfReader(io.BytesIO(pdf_bytes(form)))
    assert len(reader.pages) > 1
    text = "".join(page.extract_text() for page in reader.pages)
    # every character of it (a phrase may straddle the page break, where the header row repeats)
    assert text.count("经") == text.count("效") == 140


def test_the_case_url_escapes_the_process_id() -> None:
    assert (
        case_url("https://approvals.example.cn/", "a b/c") == "https://approvals.example.cn/audit/processes/a%20b%2Fc"
    )
