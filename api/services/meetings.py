"""The quarterly big-customer meetings (000 §15, §5 (一)6) as a service: the list, one meeting with
its suggested invitees, and its minutes (an Update of the meeting's workflow)."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from api.errors import Conflict, NotFound
from api.gateway import send_update
from api.schemas import ProcessStateOut
from api.services.development import readable_customers
from api.visibility import customer_readable, meeting_readable
from db.models import BigCustomerMeeting, Customer
from domain.china_time import ChinaTime
from domain.development import INVITED_GRADES, MinutesIn, MinutesRequest
from domain.models import Actor, ProcessView


class AttendeeOut(BaseModel):
    name: str
    organisation: str
    customer_id: int | None


class InviteeOut(BaseModel):
    customer_id: int
    name: str
    grade: str


class MeetingOut(BaseModel):
    meeting_id: int
    quarter: str
    status: str
    workflow_id: str
    due_at: ChinaTime | None
    held_on: date | None
    minutes: str | None
    follow_ups: str | None
    recorded_by: str | None
    recorded_at: ChinaTime | None
    attendees: list[AttendeeOut]


class MeetingDetailOut(MeetingOut):
    suggested_invitees: list[InviteeOut]  # P6: the A and B customers, while the meeting is open


def meeting_out(meeting: BigCustomerMeeting) -> dict[str, Any]:
    return {
        "meeting_id": meeting.id,
        "quarter": meeting.quarter,
        "status": meeting.status,
        "workflow_id": meeting.workflow_id,
        "due_at": meeting.due_at,
        "held_on": meeting.held_on,
        "minutes": meeting.minutes,
        "follow_ups": meeting.follow_ups,
        "recorded_by": meeting.recorded_by,
        "recorded_at": meeting.recorded_at,
        "attendees": [
            AttendeeOut(name=a.name, organisation=a.organisation, customer_id=a.customer_id) for a in meeting.attendees
        ],
    }


async def readable_meeting(session: AsyncSession, actor: Actor, meeting_id: int) -> BigCustomerMeeting:
    meeting = await session.scalar(
        select(BigCustomerMeeting).where(BigCustomerMeeting.id == meeting_id, meeting_readable(actor))
    )
    if meeting is None:
        raise NotFound(f"big-customer meeting {meeting_id} not found")
    return meeting


async def list_meetings(session: AsyncSession, actor: Actor) -> list[MeetingOut]:
    """The meetings `actor` may read, newest first (000 §5 (一)6: nobody else sees any)."""
    query = select(BigCustomerMeeting).where(meeting_readable(actor)).order_by(BigCustomerMeeting.id.desc())
    return [MeetingOut(**meeting_out(m)) for m in await session.scalars(query.limit(200))]


async def meeting_detail(session: AsyncSession, actor: Actor, meeting_id: int) -> MeetingDetailOut:
    """A meeting; while open, the A and B customers `actor` may read as suggested invitees (P6)."""
    meeting = await readable_meeting(session, actor, meeting_id)
    invitees: list[InviteeOut] = []
    if meeting.recorded_at is None:
        rows = await session.execute(
            select(Customer.id, Customer.name, Customer.grade)
            .where(Customer.grade.in_(INVITED_GRADES), customer_readable(actor))
            .order_by(Customer.grade, Customer.name)
            .limit(200)
        )
        invitees = [InviteeOut(customer_id=i, name=n, grade=g) for i, n, g in rows.tuples()]
    return MeetingDetailOut(**meeting_out(meeting), suggested_invitees=invitees)


async def record_minutes(
    session: AsyncSession, temporal: Client, actor: Actor, meeting_id: int, body: MinutesIn
) -> ProcessStateOut:
    """The minutes and attendees of an open meeting (000 §15): they close the manager's task."""
    meeting = await readable_meeting(session, actor, meeting_id)
    if meeting.status != "running":
        raise Conflict(f"the meeting of {meeting.quarter} is {meeting.status}: its minutes are recorded")
    await readable_customers(session, actor, [a.customer_id for a in body.attendees if a.customer_id is not None])
    handle = temporal.get_workflow_handle(meeting.workflow_id)
    request = MinutesRequest(minutes=body, actor=actor)
    view = await send_update(handle, "record_minutes", request, result_type=ProcessView)
    return ProcessStateOut.model_validate(view.model_dump())
