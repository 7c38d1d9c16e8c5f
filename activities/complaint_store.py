"""Complaint projection and the monthly statistics (002 rule 2 §27: by the 10th of each month)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session
from temporalio import activity

from activities.data_errors import fails_visibly_on_bad_data
from activities.notifications import NotificationSpec, deliver_all
from activities.process_store import ProjectionStore
from activities.process_sync import ProcessSync
from db.models import Complaint, ComplaintStats
from db.session import run_write, write_transaction
from domain.china_time import CHINA
from domain.complaint_models import ComplaintProjection
from domain.complaints import closed_in_time, on_time_rate
from domain.rulebook import enforces


def month_of(moment: datetime) -> str:
    return moment.astimezone(CHINA).strftime("%Y-%m")


def previous_month(moment: datetime) -> str:
    local = moment.astimezone(CHINA)
    year, month = (local.year, local.month - 1) if local.month > 1 else (local.year - 1, 12)
    return f"{year:04d}-{month:02d}"


class ComplaintSync(ProcessSync):
    """Everything one moment of a complaint writes, in one transaction: the process and complaint
    rows, the tasks opened and closed, the notifications. One activity per moment keeps the
    clock's busiest moment (many deadlines at once) and each complaint's start-up cheap."""

    complaint: ComplaintProjection


class StatsRequest(BaseModel):
    """Either a month (YYYY-MM) or the moment the schedule fired: then the month before it."""

    month: str | None = Field(default=None, pattern=r"^\d{4}-(0[1-9]|1[0-2])$")
    as_of: datetime | None = None


def write_complaint(session: Session, projection: ComplaintProjection) -> None:
    """The complaint row; an older projection of the run never overwrites a newer one."""
    view, record = projection.view, projection.record
    closed_on_time = closed_in_time(view.closed_at, view.due_at)
    values = {
        "workflow_id": projection.workflow_id,
        "customer_id": record.customer_id,
        "customer_name": record.customer_name,
        "channel": record.channel.value,
        "category": record.category.value,
        "severity": record.severity.value,
        "description": record.description,
        "unit_code": projection.unit_code,
        "registered_by": projection.registered_by,
        "received_at": record.received_at,
        "month": month_of(record.received_at),
        "due_at": view.due_at or record.received_at,
        "due_provisional": view.due_provisional,
        "status": view.status,
        "stage": view.stage.value,
        "handler": view.handler,
        "escalation_level": view.escalation_level,
        "overdue": view.overdue,
        "extended": view.extension == "approved",
        "closed_at": view.closed_at,
        "closed_on_time": closed_on_time,
        "details": {"record": record.model_dump(mode="json"), **projection.details},
        "updated_at": projection.updated_at,
    }
    row = session.get(Complaint, projection.process_id)
    if row is None:
        session.add(Complaint(process_id=projection.process_id, **values))
    elif row.updated_at <= projection.updated_at:
        for key, value in values.items():
            setattr(row, key, value)


class ComplaintStore(ProjectionStore):
    @activity.defn
    @fails_visibly_on_bad_data
    async def sync_complaint(self, sync: ComplaintSync) -> ComplaintSync:
        def write(session: Session) -> list[NotificationSpec]:
            new = self.write_moment(session, sync)
            write_complaint(session, sync.complaint)
            return new

        new = await run_write(self.sessions, write)
        await deliver_all(new, self.channels)  # outside the transaction: a slow webhook never holds the database
        return sync.echo()  # echoed for the history: a local activity's marker keeps the result only

    @activity.defn
    @enforces("003-3-periodic-analysis", "003-4-timeliness-kpi")
    async def compute_monthly_stats(self, request: StatsRequest) -> dict[str, object]:
        """Counts by severity, category and unit, the on-time rate and the overdue list of a month."""
        month = request.month or previous_month(request.as_of or datetime.now(UTC))
        async with write_transaction(self.sessions) as session:
            rows = list(await session.scalars(select(Complaint).where(Complaint.month == month)))
            closed = [r for r in rows if r.closed_at is not None]
            on_time = [r for r in closed if r.closed_on_time]
            data: dict[str, object] = {
                "month": month,
                "total": len(rows),
                "by_severity": dict(Counter(r.severity for r in rows)),
                "by_category": dict(Counter(r.category for r in rows)),
                "by_unit": dict(Counter(r.unit_code or "-" for r in rows)),
                "closed": len(closed),
                "closed_on_time": len(on_time),
                "on_time_rate": on_time_rate(len(closed), len(on_time)),
                "overdue": [
                    {
                        "process_id": r.process_id,
                        "customer": r.customer_name,
                        "severity": r.severity,
                        "due_at": r.due_at.isoformat(),
                        "escalation_level": r.escalation_level,
                    }
                    for r in rows
                    if r.overdue
                ],
            }
            stats = await session.get(ComplaintStats, month)
            if stats is None:
                session.add(ComplaintStats(month=month, data=data, generated_at=datetime.now(UTC)))
            else:
                stats.data, stats.generated_at = data, datetime.now(UTC)
        return data
