"""Registering a complaint (000 §16): POST /api/v1/complaints and the complaint form of the
applicant's pages (web/apply_complaint.py) call `register_complaint`, so who may, the backdating
limit, the customer's gate and the start are one."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from activities.calendar import load_calendar
from api.errors import Invalid
from api.starts import start_process
from api.visibility import get_customer as readable_customer
from domain.complaint_models import ComplaintInput, ComplaintView
from domain.complaint_receipt import receipt_problem
from domain.complaints import Category, Channel, ComplaintRecord, Severity
from domain.customer_gate import CustomerOperation, ensure_customer_may
from domain.examples import examples
from domain.models import Actor
from domain.roles import Role
from domain.text import InCalendar, Int32, StoredText
from settings import Settings

# Anyone who meets customers may register a complaint; nobody may conceal one (000 §16).
CUSTOMER_FACING = (
    Role.sales_clerk,
    Role.marketing_reviewer,
    Role.marketing_manager,
    Role.depot_manager,
    Role.station_manager,
    Role.business_vp,
    Role.general_manager,
)


class ComplaintIn(BaseModel):
    model_config = examples(
        {
            "customer_name": "郑州华豫石化贸易有限公司",
            "channel": "phone",
            "category": "product_quality",
            "severity": "ordinary",
            "description": "3 月 15 日提取的 0 号柴油有浑浊现象",
            "customer_request": "退换该批次油品",
            "contact": "李娜 13803710000",
        }
    )

    customer_id: Int32 | None = None
    customer_name: StoredText | None = Field(default=None, min_length=1, max_length=200)
    channel: Channel
    category: Category
    severity: Severity
    description: StoredText = Field(min_length=1, max_length=5000)
    customer_request: StoredText | None = Field(default=None, max_length=2000)
    contact: StoredText | None = Field(default=None, max_length=200)
    received_at: Annotated[datetime, InCalendar] | None = None  # the zone is checked with the backdating


async def register_complaint(
    session: AsyncSession, temporal: Client, settings: Settings, task_queue: str, actor: Actor, body: ComplaintIn
) -> ComplaintView:
    """Register a complaint; its deadline follows the working-day calendar (000 §16). `received_at`
    may be backdated by at most `COMPLAINT_BACKDATE_WORKING_DAYS` working days, never in the future."""
    now = datetime.now(UTC)
    received = body.received_at or now
    calendar = await load_calendar(session, settings.office_hours())
    problem = receipt_problem(received, now, calendar, settings.complaint_backdate_working_days)
    if problem:
        raise Invalid(problem)
    name = body.customer_name
    if body.customer_id is not None:
        customer = await readable_customer(session, actor, body.customer_id)  # 404 for a file not mine
        ensure_customer_may(CustomerOperation.complain, customer)
        name = customer.name
    if not name:
        raise Invalid("give customer_id or customer_name")
    record = ComplaintRecord(
        customer_id=body.customer_id,
        customer_name=name,
        channel=body.channel,
        category=body.category,
        severity=body.severity,
        description=body.description,
        customer_request=body.customer_request,
        received_at=received,
        contact=body.contact,
    )
    return await start_process(
        temporal,
        "Complaint",
        ComplaintInput(record=record, registered_by=actor, unit=actor.unit),
        workflow_id=f"complaint-{uuid.uuid4()}",
        task_queue=task_queue,
        result_type=ComplaintView,
    )
