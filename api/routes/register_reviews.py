"""P8 register reviews in February and August (004 §4 (二)): a unit's review lists its customers;
its keeper confirms each, suspends it or moves it to past (004 §4 (四), §6).

The reviews are opened by a Temporal Schedule (schedules.py). Who reads a review is who may read
its process (api/visibility/); who decides is the holder of its open task (403 otherwise), and
the workflow checks the role and unit again (000 §5).
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from api.customer_gate import ensure_customers_may
from api.deps import SessionDep, TemporalDep
from api.errors import NotFound
from api.gateway import handle_for, send_update
from api.schemas import ProcessStateOut
from api.visibility import CurrentViewer, get_process, require_open_step
from db.models import Process, RegisterReview
from domain.borrowing import ReviewDecision, ReviewResult
from domain.china_time import ChinaTime
from domain.customer_gate import CustomerOperation
from domain.examples import examples
from domain.text import Int32, StoredText

router = APIRouter(prefix="/register-reviews", tags=["register reviews"])
REVIEW_PROCESS = "register_review"  # workflows.register_review.PROCESS_TYPE (workflow modules stay out of the API)


class ReviewLineOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    customer_id: int
    unit_code: str
    period: str
    result: str | None
    decided_by: str | None
    decided_at: ChinaTime | None


class ReviewLineIn(BaseModel):
    customer_id: Int32 = Field(ge=1)
    result: ReviewResult


class ReviewResultsIn(BaseModel):
    model_config = examples({"results": [{"customer_id": 1, "result": "confirm"}], "comment": "二月份客户名册复核完毕"})

    results: list[ReviewLineIn] = Field(
        default_factory=list, max_length=5000, description="customers not named are confirmed"
    )
    comment: StoredText | None = Field(default=None, max_length=2000)


async def _review(session: SessionDep, viewer: CurrentViewer, process_id: str) -> Process:
    process = await get_process(session, viewer, process_id)
    if process.process_type != REVIEW_PROCESS:
        raise NotFound(f"register review {process_id} not found")
    return process


@router.get("/{process_id}", response_model=list[ReviewLineOut])
async def review_lines(process_id: str, viewer: CurrentViewer, session: SessionDep) -> list[RegisterReview]:
    """The unit's customers on this review, with their results once decided (004 §4 (二))."""
    await _review(session, viewer, process_id)
    rows = await session.scalars(
        select(RegisterReview).where(RegisterReview.review_id == process_id).order_by(RegisterReview.customer_id)
    )
    return list(rows)


@router.post("/{process_id}/results", response_model=ProcessStateOut)
async def review_results(
    process_id: str, body: ReviewResultsIn, viewer: CurrentViewer, session: SessionDep, temporal: TemporalDep
) -> ProcessStateOut:
    """The keeper's results per customer: confirm, suspend (交易中止) or past (交易过去), 004 §4, §6."""
    process = await _review(session, viewer, process_id)
    await require_open_step(session, viewer, process_id)
    await ensure_customers_may(session, CustomerOperation.change_status, [line.customer_id for line in body.results])
    decision = ReviewDecision(
        actor=viewer.actor,
        results={line.customer_id: line.result for line in body.results},
        comment=body.comment,
    )
    view = await send_update(
        handle_for(temporal, process),
        "review",
        decision,
        update_id=f"review:{process_id}:{viewer.username}",
        result_type=ProcessStateOut,
    )
    return view
