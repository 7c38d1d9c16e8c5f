"""The managers' dashboard page (issue 23 "Managers"): the figures of api/services/dashboard.py — the
same the API answers at `GET /api/v1/dashboard` — as tables (readable without script, and by a
screen reader) and as charts drawn by the vendored Chart.js (web/static/vendor/chartjs/SOURCE).
Who may open it is `api.visibility.reads_dashboard`, the API's own rule.

The late tasks come in one group per unit, process type and step: a company of 120 units has
thousands. The page lists the OVERDUE_SHOWN groups with the most (a table nobody reads to the end,
and its chart of bars, cost more than every query of the page); the rest is named by count, and all
of them are one click away as CSV or Excel (`/dashboard/overdue.{csv,xlsx}`, the same service)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from api.deps import SessionDep
from api.services.dashboard import Dashboard, KeyCount, OverdueCount, dashboard, overdue_tasks
from api.visibility import Viewer, reads_dashboard
from web.exports import Format, download
from web.exports import Table as FileTable
from web.i18n import Messages
from web.render import messages_for, render, templates
from web.session import WebViewer

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

OVERDUE_SHOWN = 25  # the late-task groups the page lists, most late first; every group in the files

# The page header links here only for those who may open it (base.html).
templates.env.globals["reads_dashboard"] = reads_dashboard


@dataclass
class Table:
    """One figure: a caption, column headings, rows of cells, and the chart drawn from it."""

    key: str
    caption: str
    headings: list[str]
    chart: str = "bar"
    rows: list[list[Any]] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    more: str | None = None  # rows left off the page, in words; the files hold them (`downloads`)
    downloads: dict[str, str] = field(default_factory=dict)  # format -> address

    def add(self, cells: list[Any], label: str, value: float) -> None:
        """A row of the table, and its bar or slice in the chart."""
        self.rows.append(cells)
        self.labels.append(label)
        self.values.append(value)

    def chart_data(self) -> dict[str, Any]:
        return {
            "id": f"chart-{self.key}",
            "type": self.chart,
            "label": self.caption,
            "labels": self.labels,
            "values": self.values,
        }


def _open_cases(m: Messages, figures: Dashboard) -> Table:
    table = Table("open-cases", m.t("dashboard.open_cases"), [m.t("col.type"), m.t("dashboard.count")])
    for row in figures.open_cases:
        kind = m.process_type(row.process_type)
        table.add([kind, row.count], kind, row.count)
    return table


def _overdue_headings(m: Messages) -> list[str]:
    return [m.t("dashboard.unit"), m.t("col.type"), m.t("col.step"), m.t("dashboard.count")]


def _overdue_cells(m: Messages, row: OverdueCount) -> list[Any]:
    unit = row.unit_code or m.t("dashboard.no_unit")
    return [unit, m.process_type(row.process_type), m.step(row.process_type, row.step), row.count]


def _overdue(m: Messages, figures: Dashboard) -> Table:
    """The OVERDUE_SHOWN groups with the most late tasks (the service's order); how many more."""
    table = Table("overdue", m.t("dashboard.overdue"), _overdue_headings(m))
    groups = figures.overdue_tasks
    for row in groups[:OVERDUE_SHOWN]:
        unit, _kind, step, count = cells = _overdue_cells(m, row)
        table.add(cells, f"{unit} · {step}", count)
    if len(groups) > OVERDUE_SHOWN:
        tasks = f"{sum(row.count for row in groups):,}"
        table.more = m.t("dashboard.overdue_more", shown=OVERDUE_SHOWN, groups=f"{len(groups):,}", tasks=tasks)
        table.downloads = {"CSV": "/dashboard/overdue.csv", "Excel": "/dashboard/overdue.xlsx"}
    return table


def _decision_times(m: Messages, figures: Dashboard) -> Table:
    headings = [m.t("col.type"), m.t("col.step"), m.t("dashboard.decided"), m.t("dashboard.average")]
    table = Table("decision-times", m.t("dashboard.decision_times", month=figures.month), headings)
    for row in figures.decision_times:
        step, hours = m.step(row.process_type, row.step), row.average_hours or 0
        table.add([m.process_type(row.process_type), step, row.decided, m.t("dashboard.hours", n=hours)], step, hours)
    return table


def _complaints(m: Messages, figures: Dashboard) -> Table:
    """One row of counts; the chart: the closed ones on time and late."""
    c = figures.complaints
    headings = [m.t("dashboard.received"), m.t("dashboard.closed"), m.t("dashboard.on_time"), m.t("dashboard.rate")]
    table = Table("complaints", m.t("dashboard.complaints", month=c.month), headings, "doughnut")
    rate = f"{c.on_time_rate:.1%}" if c.on_time_rate is not None else m.t("dashboard.no_rate")
    table.rows.append([c.received, c.closed, c.closed_on_time, rate])
    table.labels = [m.t("dashboard.on_time"), m.t("dashboard.late")]
    table.values = [c.closed_on_time, c.closed - c.closed_on_time]
    return table


def _customers(m: Messages, key: str, heading: str, counts: list[KeyCount], word: Callable[[str], str]) -> Table:
    table = Table(key, m.t(f"dashboard.{key}"), [m.t(heading), m.t("dashboard.count")], "pie")
    for row in counts:
        table.add([word(row.key), row.count], word(row.key), row.count)
    return table


def tables(m: Messages, figures: Dashboard) -> list[Table]:
    """The dashboard's figures in the reader's language, each a table and its chart."""
    return [
        _open_cases(m, figures),
        _overdue(m, figures),
        _decision_times(m, figures),
        _complaints(m, figures),
        _customers(m, "grades", "dashboard.grade", figures.customers_by_grade, str),
        _customers(m, "risks", "dashboard.risk", figures.customers_by_risk, lambda key: m.t(f"dashboard.risk.{key}")),
    ]


def scope_of(m: Messages, viewer: Viewer, figures: Dashboard) -> str:
    """Whose figures these are: the whole company's, or the reader's unit and those below it."""
    if figures.company_wide:
        return m.t("dashboard.scope.company")
    return m.t("dashboard.scope.unit", unit=viewer.actor.unit or "")


@router.get("/dashboard")
async def dashboard_page(request: Request, viewer: WebViewer, session: SessionDep) -> Response:
    m = await messages_for(session, viewer.username)
    if not reads_dashboard(viewer):
        return render(request, "error.html", m, 403, viewer=viewer, message=m.t("dashboard.forbidden"))
    figures = await dashboard(session, viewer)
    shown = tables(m, figures)
    return render(
        request,
        "dashboard.html",
        m,
        viewer=viewer,
        scope=scope_of(m, viewer, figures),
        tables=shown,
        charts=[table.chart_data() for table in shown],
    )


@router.get("/dashboard/overdue.{fmt}", response_class=Response)
async def overdue_export(fmt: Format, request: Request, viewer: WebViewer, session: SessionDep) -> Response:
    """Every late-task group of the reader's scope, the page's rows and those it leaves off."""
    m = await messages_for(session, viewer.username)
    if not reads_dashboard(viewer):
        return render(request, "error.html", m, 403, viewer=viewer, message=m.t("dashboard.forbidden"))
    groups = await overdue_tasks(session, viewer, datetime.now(UTC))
    table = FileTable(_overdue_headings(m), [_overdue_cells(m, row) for row in groups])
    return download(table, fmt, "overdue")
