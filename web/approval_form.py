"""The printable approval form (审批单) of one process as a PDF (issue 23, auditors):
`GET /audit/processes/{id}/form.pdf`.

It reads what the case page reads (web/audit.py `_open_case`: api/visibility's scope, so whoever may
not read the case gets the same 404 page) and prints it in the reader's language: the process and
customer header, one signature line per act, and a QR code holding the absolute address of the case
page, where the audit chain's verification is shown (WEB_BASE_URL + `/audit/processes/{id}`).

Reading chosen for "signature line": every act a person performed on the case (submitting,
resubmitting, each decision with its opinion, withdrawing, urging, claiming), with the step, the
person and their role, the China time, the opinion and on whose behalf they acted (a deputy's line
names the absent holder); what the system did by itself (tasks opened, reminders, the close) is the
case page's record, not a signature."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Path, Request, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from activities.audit_store import SYSTEM
from api.deps import SessionDep, TemporalDep
from db.models import User
from web.approval_pdf import ApprovalForm, pdf_bytes
from web.audit import Case, _open_case
from web.audit_rows import TimelineRow
from web.render import PAGE_HEADERS
from web.session import WebViewer

router = APIRouter(prefix="/audit", include_in_schema=False)

CaseId = Annotated[str, Path(max_length=64)]  # processes.process_id
SIGNATURE_COLUMNS = ["at_step", "actor", "role", "at", "outcome", "reason", "on_behalf_of"]


def case_url(base_url: str, process_id: str) -> str:
    """The case page's absolute address, which the QR code opens."""
    return f"{base_url.rstrip('/')}/audit/processes/{quote(process_id, safe='')}"


def signatures(rows: list[TimelineRow]) -> list[TimelineRow]:
    return [row for row in rows if row.actor != SYSTEM]


async def full_names(session: AsyncSession, usernames: set[str]) -> dict[str, str]:
    found = await session.execute(select(User.username, User.full_name).where(User.username.in_(usernames)))
    return {username: full_name for username, full_name in found.tuples() if full_name}


def _signer(username: str, names: dict[str, str]) -> str:
    return f"{names[username]} ({username})" if username in names else username


def approval_form(case: Case, names: dict[str, str], url: str, now: datetime) -> ApprovalForm:
    m, process = case.m, case.process
    facts = [
        (m.t("audit.col.id"), process.process_id),
        (m.t("col.type"), m.process_type(process.process_type)),
        (m.t("form.customer"), process.subject),
        (m.t("audit.col.credit_code"), process.subject_key or ""),
        (m.t("form.customer_id"), str(process.customer_id or "")),
        (m.t("col.status"), m.status(process.status)),
        (m.t("task.current"), m.step(process.process_type, process.current_step)),
        (m.t("task.applicant"), _signer(process.applicant, names)),
        (m.t("audit.col.unit"), process.unit_code or ""),
        (m.t("task.started"), m.when(process.started_at)),
    ]
    lines = [
        [
            row.step,
            _signer(row.actor, names),
            row.role,
            row.at,
            row.outcome or row.action,
            row.reason,
            _signer(row.on_behalf_of, names) if row.on_behalf_of else "",
        ]
        for row in signatures(case.rows)
    ]
    return ApprovalForm(
        title=m.t("form.title"),
        facts=facts,
        signatures_heading=m.t("form.signatures"),
        columns=[m.t(f"audit.col.{key}") for key in SIGNATURE_COLUMNS],
        lines=lines,
        no_lines=m.t("form.no_signatures"),
        qr_payload=url,
        qr_caption=f"{m.t('form.qr')}\n{url}",
        footer=f"{m.t('form.printed')}: {m.when(now)}",
    )


@router.get("/processes/{process_id}/form.pdf", response_class=Response)
async def approval_form_pdf(
    process_id: CaseId, request: Request, viewer: WebViewer, session: SessionDep, temporal: TemporalDep
) -> Response:
    case = await _open_case(request, session, temporal, viewer, process_id)
    if isinstance(case, Response):
        return case
    people = {case.process.applicant} | {r.actor for r in case.rows} | {r.on_behalf_of for r in case.rows}
    names = await full_names(session, people - {"", SYSTEM})
    url = case_url(request.app.state.settings.web_base_url, process_id)
    body = await asyncio.to_thread(pdf_bytes, approval_form(case, names, url, datetime.now(UTC)))
    headers = {**PAGE_HEADERS, "Content-Disposition": f'inline; filename="{quote(process_id, safe="")}.pdf"'}
    return Response(body, media_type="application/pdf", headers=headers)
