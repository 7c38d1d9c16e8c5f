"""Big-customer meetings, development plans and research notes (000 §12, §15): the rows the API
reads, written with each moment of their processes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Executable, select, update
from sqlalchemy.orm import Session
from temporalio import activity

from activities.data_errors import fails_visibly_on_bad_data
from activities.process_store import ProjectionStore
from activities.process_sync import ProcessSync
from db.models import BigCustomerMeeting, DevelopmentPlan, MeetingAttendee, ResearchNote
from db.session import run_write
from domain.development import DevelopmentKind, MeetingOpened, MinutesRecorded

RECORDS: dict[DevelopmentKind, type[DevelopmentPlan] | type[ResearchNote]] = {
    DevelopmentKind.plan: DevelopmentPlan,
    DevelopmentKind.note: ResearchNote,
}


class DevelopmentSync(ProcessSync):
    """A moment of a plan or notes: the process, its tasks, and the record's status."""

    kind: DevelopmentKind
    record_id: int
    record_status: str
    decided_by: str | None = None
    decided_at: datetime | None = None


class MeetingSync(ProcessSync):
    """A moment of a quarter's meeting: the process, the organiser's task, the meeting's status."""

    meeting_id: int
    meeting_status: str
    due_at: datetime | None = None


class DevelopmentStore(ProjectionStore):
    @activity.defn
    @fails_visibly_on_bad_data
    async def sync_development(self, sync: DevelopmentSync) -> DevelopmentSync:
        model = RECORDS[sync.kind]
        values: dict[str, object] = {"status": sync.record_status}
        if sync.decided_by is not None:
            values |= {"decided_by": sync.decided_by, "decided_at": sync.decided_at}
        await self.write_with(sync, lambda: update(model).where(model.id == sync.record_id).values(**values))
        return sync.echo()

    @activity.defn
    @fails_visibly_on_bad_data
    async def sync_meeting(self, sync: MeetingSync) -> MeetingSync:

        def meeting_row() -> Executable:
            values: dict[str, object] = {"status": sync.meeting_status}
            due = sync.step_due(sync.due_at)
            if due is not None:
                values["due_at"] = due
            return update(BigCustomerMeeting).where(BigCustomerMeeting.id == sync.meeting_id).values(**values)

        await self.write_with(sync, meeting_row)
        return sync.echo()

    @activity.defn
    @fails_visibly_on_bad_data
    async def open_meeting(self, opened: MeetingOpened) -> int:
        """The quarter's meeting row, once: a retried activity finds the row it wrote."""

        def write(session: Session) -> int:
            found = session.scalar(
                select(BigCustomerMeeting.id).where(BigCustomerMeeting.workflow_id == opened.workflow_id)
            )
            if found is not None:
                return found
            meeting = BigCustomerMeeting(
                quarter=opened.quarter, workflow_id=opened.workflow_id, status="running", opened_at=opened.opened_at
            )
            session.add(meeting)
            session.flush()
            return meeting.id

        return await run_write(self.sessions, write)

    @activity.defn
    @fails_visibly_on_bad_data
    async def record_minutes(self, recorded: MinutesRecorded) -> None:
        """The minutes and attendees, once: a retried activity never records them twice."""
        minutes = recorded.minutes

        def write(session: Session) -> None:
            moved = session.execute(
                update(BigCustomerMeeting)
                .where(BigCustomerMeeting.id == recorded.meeting_id, BigCustomerMeeting.recorded_at.is_(None))
                .values(
                    held_on=minutes.held_on,
                    minutes=minutes.minutes,
                    follow_ups=minutes.follow_ups,
                    recorded_by=recorded.recorded_by,
                    recorded_at=recorded.recorded_at,
                )
            )
            if moved.rowcount:  # type: ignore[attr-defined]
                session.add_all(
                    MeetingAttendee(
                        meeting_id=recorded.meeting_id,
                        name=a.name,
                        organisation=a.organisation,
                        customer_id=a.customer_id,
                    )
                    for a in minutes.attendees
                )

        await run_write(self.sessions, write)
