"""The words of the printable approval form (web/approval_form.py): key -> (中文, English)."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    # the printable approval form (web/approval_form.py)
    "form.title": ("审批单", "Approval form"),
    "form.download": ("打印审批单 (PDF)", "Print the approval form (PDF)"),
    "form.signatures": ("签批记录", "Signatures"),
    "form.no_signatures": ("尚无签批", "Nobody has signed yet"),
    "form.customer": ("客户名称", "Customer"),
    "form.customer_id": ("客户档案号", "Customer file"),
    "form.qr": ("扫码打开本案审计链校验", "Scan to open this case's audit-chain verification"),
    "form.printed": ("打印时间", "Printed"),
}
