"""The managers' dashboard as JSON (issue 23 "Managers"): the figures api/services/dashboard.py
reads, for managers, leaders and auditors; a depot or station manager gets their unit's and the
units' below it (000 §5 分级实施), the others the whole company's (003 §7)."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import SessionDep
from api.errors import Forbidden
from api.services.dashboard import Dashboard, dashboard
from api.visibility import CurrentViewer, Viewer, reads_dashboard

router = APIRouter(tags=["dashboard"])


def require_dashboard_reader(viewer: Viewer) -> None:
    """403 for anyone but the managers, leaders and auditors (`api.visibility.reads_dashboard`)."""
    if not reads_dashboard(viewer):
        raise Forbidden(
            f"{viewer.username} may not read the dashboard: it is for managers, leaders and auditors "
            "(000 §5 分级实施, 003 §7)"
        )


@router.get("/dashboard", response_model=Dashboard)
async def read_dashboard(viewer: CurrentViewer, session: SessionDep) -> Dashboard:
    """Open cases per process type, overdue tasks per unit and step, average decision time per step
    this month (China time), the complaint on-time rate of the month, active customers by grade and
    by credit risk — within the reader's scope."""
    require_dashboard_reader(viewer)
    return await dashboard(session, viewer)
