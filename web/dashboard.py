"""The managers' dashboard page (issue 23 "Managers"): the figures of api/services/dashboard.py — the
same the API answers at `GET /api/v1/dashboard` — as tables (readable without script, and by a
screen reader) and as charts drawn by the vendored Chart.js (web/static/vendor/chartjs/SOURCE).
Who may open it is `api.visibility.reads_dashboard`, the API's own rule."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from api.deps import SessionDep
from api.services.dashboard import Dashboard, KeyCount, dashboard
from api.visibility import Viewer, reads_dashboard
from web.i18n import Messages
from web.render import messages_for, render, templates
from web.session import WebViewer

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

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


def _overdue(m: Messages, figures: Dashboard) -> Table:
    headings = [m.t("dashboard.unit"), m.t("col.type"), m.t("col.step"), m.t("dashboard.count")]
    table = Table("overdue", m.t("dashboard.overdue"), headings)
    for row in figures.overdue_tasks:
        unit, step = row.unit_code or m.t("dashboard.no_unit"), m.step(row.process_type, row.step)
        table.add([unit, m.process_type(row.process_type), step, row.count], f"{unit} · {step}", row.count)
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
