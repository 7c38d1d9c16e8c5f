"""The auditors' pages (issue 23): search processes, read one case, export both as CSV or Excel.

Each is a few lines over the services the API calls: the search is GET /api/v1/processes's
(api/services/processes.py), the case GET /api/v1/audit/processes/{id}'s (api/services/audit_case.py),
the chain check GET /api/v1/audit/verify's (api/audit.py) and the rules the catalogue's
(domain/rulebook.py). Scope is api/visibility's: an auditor reads every process; anyone else who
opens these pages sees only the processes they may read, and a case they may not read is a 404.
Reading chosen for the chain check: like GET /api/v1/audit/verify, it is shown to auditors and
administrators (003 §2); another reader of the case sees that it is theirs to run."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from api.audit import verify
from api.deps import SessionDep, TemporalDep
from api.errors import NotFound
from api.services.audit_case import VERIFIERS, ProcessAuditOut, read_process_audit
from api.services.processes import ProcessFilters, search_processes
from api.visibility import Viewer, get_process
from db.models import Process
from domain.china_time import CHINA
from domain.models import ProcessStatus
from web.audit_rows import TimelineRow, listed, rules_applied, search_table, timeline, timeline_table
from web.exports import Format, download
from web.i18n import MESSAGES, TYPE_TITLES, Messages
from web.render import messages_for, render
from web.session import WebViewer

router = APIRouter(prefix="/audit", include_in_schema=False, default_response_class=HTMLResponse)

PAGE_ROWS = 50
# every process type the pages name (a declared chain's, or one in the message table)
PROCESS_TYPES = sorted(set(TYPE_TITLES) | {key.removeprefix("type.") for key in MESSAGES if key.startswith("type.")})
EXPORT_ROWS = 10_000  # one export's ceiling: a narrower filter exports the rest


@dataclass(frozen=True)
class AuditSearch:
    """The search form as typed (to show it back) and as understood (`filters`), with the words of
    any field that could not be understood."""

    typed: dict[str, str]
    filters: ProcessFilters
    page: int
    errors: dict[str, str] = field(default_factory=dict)

    def query(self, **changes: Any) -> str:
        """The search's query string: the filled fields, with `changes` applied."""
        values = {**{k: v for k, v in self.typed.items() if v}, **changes}
        return urlencode({k: v for k, v in values.items() if v not in ("", None, 0)})


def _day(typed: str, key: str, errors: dict[str, str], end: bool = False) -> datetime | None:
    """A China-time date: the start of the day (`end`: the last moment of the day)."""
    if not typed:
        return None
    try:
        day = date.fromisoformat(typed)
    except ValueError:
        errors[key] = "audit.error.date"
        return None
    start = datetime.combine(day, time.min, CHINA)
    return start + timedelta(days=1, microseconds=-1) if end else start


def audit_search(
    process_type: Annotated[str, Query(max_length=40)] = "",  # processes.process_type
    status: Annotated[str, Query(max_length=20)] = "",  # processes.status
    customer: Annotated[str, Query(max_length=200)] = "",  # processes.subject
    unit: Annotated[str, Query(max_length=40)] = "",  # processes.unit_code
    started_from: Annotated[str, Query(max_length=10)] = "",
    started_to: Annotated[str, Query(max_length=10)] = "",
    overdue: bool = False,
    page: Annotated[int, Query(ge=0, le=10_000)] = 0,
) -> AuditSearch:
    """A GET form sends every field, the empty ones as "": empty means no filter."""
    errors: dict[str, str] = {}
    if status and status not in ProcessStatus.__members__:
        errors["status"] = "audit.error.status"
    filters = ProcessFilters(
        process_type=process_type.strip() or None,
        status=ProcessStatus(status) if status and "status" not in errors else None,
        customer=customer.strip() or None,
        unit=unit.strip() or None,
        started_from=_day(started_from, "started_from", errors),
        started_to=_day(started_to, "started_to", errors, end=True),
        overdue=overdue,
        limit=PAGE_ROWS + 1,  # one more than shown: is there a next page
        offset=page * PAGE_ROWS,
    )
    typed = {
        "process_type": process_type,
        "status": status,
        "customer": customer,
        "unit": unit,
        "started_from": started_from,
        "started_to": started_to,
        "overdue": "true" if overdue else "",
    }
    return AuditSearch(typed, filters, page, errors)


Search = Annotated[AuditSearch, Depends(audit_search)]
CaseId = Annotated[str, Path(max_length=64)]  # processes.process_id


@router.get("")
async def search_page(request: Request, viewer: WebViewer, session: SessionDep, search: Search) -> Response:
    m = await messages_for(session, viewer.username)
    found = [] if search.errors else await search_processes(session, viewer, search.filters)
    rows = listed(found[:PAGE_ROWS], datetime.now(UTC))
    return render(
        request,
        "audit.html",
        m,
        viewer=viewer,
        search=search,
        rows=rows,
        statuses=list(ProcessStatus),
        process_types=PROCESS_TYPES,
        errors={key: m.t(message) for key, message in search.errors.items()},
        next_page=search.query(page=search.page + 1) if len(found) > PAGE_ROWS else None,
        previous_page=search.query(page=search.page - 1) if search.page else None,
        export=search.query(page=0),
    )


@router.get("/export.{fmt}", response_class=Response)
async def search_export(fmt: Format, viewer: WebViewer, session: SessionDep, search: Search) -> Response:
    """The filtered list from its first row, up to EXPORT_ROWS (the page number is not a filter)."""
    m = await messages_for(session, viewer.username)
    if search.errors:
        return Response("; ".join(m.t(message) for message in search.errors.values()), status_code=422)
    filters = replace(search.filters, limit=EXPORT_ROWS, offset=0)
    found = await search_processes(session, viewer, filters)
    return download(search_table(m, listed(found, datetime.now(UTC))), fmt, "processes")


def _temporal_ui(request: Request, workflow_id: str, run_id: str) -> str:
    """The same run in the Temporal UI (`make run` serves it on TEMPORAL_UI_PORT of this host)."""
    settings = request.app.state.settings
    host = request.url.hostname or "localhost"
    namespace = settings.temporal_namespace
    return f"http://{host}:{settings.temporal_ui_port}/namespaces/{namespace}/workflows/{workflow_id}/{run_id}/history"


@dataclass(frozen=True)
class Case:
    m: Messages
    process: Process
    record: ProcessAuditOut
    rows: list[TimelineRow]


async def _open_case(
    request: Request, session: AsyncSession, temporal: Client, viewer: Viewer, process_id: str
) -> Case | Response:
    """The case as the API reads it for this viewer, or the 404 page unless api/visibility lets
    them read it (the API's own answer)."""
    m = await messages_for(session, viewer.username)
    try:
        process = await get_process(session, viewer, process_id)
        record = await read_process_audit(session, viewer, temporal, process_id)
    except NotFound:
        return render(request, "error.html", m, 404, viewer=viewer, message=m.t("error.404"))
    return Case(m, process, record, timeline(m, process.process_type, record.records))


@router.get("/processes/{process_id}")
async def case_page(
    process_id: CaseId, request: Request, viewer: WebViewer, session: SessionDep, temporal: TemporalDep
) -> Response:
    case = await _open_case(request, session, temporal, viewer, process_id)
    if isinstance(case, Response):
        return case
    may_verify = any(viewer.actor.has(role) for role in VERIFIERS)
    return render(
        request,
        "audit_case.html",
        case.m,
        viewer=viewer,
        process=case.process,
        record=case.record,
        rows=case.rows,
        rules=rules_applied(case.rows),
        verification=await verify(session, process_id) if may_verify else None,
        temporal_ui=_temporal_ui(request, case.process.workflow_id, process_id),
    )


@router.get("/processes/{process_id}/timeline.{fmt}", response_class=Response)
async def case_export(
    process_id: CaseId, fmt: Format, request: Request, viewer: WebViewer, session: SessionDep, temporal: TemporalDep
) -> Response:
    case = await _open_case(request, session, temporal, viewer, process_id)
    if isinstance(case, Response):
        return case
    return download(timeline_table(case.m, case.rows), fmt, process_id)
