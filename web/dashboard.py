"""The managers' dashboard page (issue 23 "Managers"): the figures of api/services/dashboard.py — the
same the API answers at `GET /api/v1/dashboard` — as tables (readable without script, and by a
screen reader) and as charts drawn by the vendored Chart.js (web/static/vendor/chartjs/SOURCE).
Who may open it is `api.visibility.reads_dashboard`, the API's own rule."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from api.deps import SessionDep
from api.services.dashboard import Dashboard, dashboard
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
    rows: list[list[Any]] = field(default_factory=list)
    chart: str = "bar"
    labels: list[str] = field(default_factory=list)
    values: list[float] = field(default_factory=list)

    def chart_data(self) -> dict[str, Any]:
        return {
            "id": f"chart-{self.key}",
            "type": self.chart,
            "label": self.caption,
            "labels": self.labels,
            "values": self.values,
        }


def _unit(m: Messages, code: str | None) -> str:
    return code or m.t("dashboard.no_unit")


def _hours(m: Messages, hours: float | None) -> str:
    return m.t("dashboard.hours", n=hours) if hours is not None else ""


def tables(m: Messages, figures: Dashboard) -> list[Table]:
    """The dashboard's figures in the reader's language, each a table and its chart."""
    cases = Table("open-cases", m.t("dashboard.open_cases"), [m.t("col.type"), m.t("dashboard.count")])
    for row in figures.open_cases:
        cases.rows.append([m.process_type(row.process_type), row.count])
    late = Table(
        "overdue",
        m.t("dashboard.overdue"),
        [m.t("dashboard.unit"), m.t("col.type"), m.t("col.step"), m.t("dashboard.count")],
    )
    for late_row in figures.overdue_tasks:
        step = m.step(late_row.process_type, late_row.step)
        late.rows.append([_unit(m, late_row.unit_code), m.process_type(late_row.process_type), step, late_row.count])
        late.labels.append(f"{_unit(m, late_row.unit_code)} · {step}")
        late.values.append(late_row.count)
    times = Table(
        "decision-times",
        m.t("dashboard.decision_times", month=figures.month),
        [m.t("col.type"), m.t("col.step"), m.t("dashboard.decided"), m.t("dashboard.average")],
    )
    for time in figures.decision_times:
        step = m.step(time.process_type, time.step)
        times.rows.append([m.process_type(time.process_type), step, time.decided, _hours(m, time.average_hours)])
        times.labels.append(step)
        times.values.append(time.average_hours or 0)
    c = figures.complaints
    rate = f"{c.on_time_rate:.1%}" if c.on_time_rate is not None else m.t("dashboard.no_rate")
    complaints = Table(
        "complaints",
        m.t("dashboard.complaints", month=c.month),
        [m.t("dashboard.received"), m.t("dashboard.closed"), m.t("dashboard.on_time"), m.t("dashboard.rate")],
        [[c.received, c.closed, c.closed_on_time, rate]],
        "doughnut",
    )
    complaints.labels = [m.t("dashboard.on_time"), m.t("dashboard.late")]
    complaints.values = [c.closed_on_time, c.closed - c.closed_on_time]
    grades = Table("grades", m.t("dashboard.grades"), [m.t("dashboard.grade"), m.t("dashboard.count")], chart="pie")
    for grade in figures.customers_by_grade:
        grades.rows.append([grade.key, grade.count])
    risks = Table("risks", m.t("dashboard.risks"), [m.t("dashboard.risk"), m.t("dashboard.count")], chart="pie")
    for risk in figures.customers_by_risk:
        risks.rows.append([m.t(f"dashboard.risk.{risk.key}"), risk.count])
    for table in (cases, grades, risks):
        table.labels = [str(row[0]) for row in table.rows]
        table.values = [row[-1] for row in table.rows]
    return [cases, late, times, complaints, grades, risks]


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
