"""Bulk approve from the 待办 list (issue 23 "Approvers"): the tasks ticked on the list, approved in
one go through the API's own bulk decision (api/services/task_actions.decide_many, as
POST /api/v1/tasks/decisions), each answered on its own — approved, or refused with why."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from api.deps import SessionDep, TemporalDep
from api.services import task_actions as actions
from api.services.inbox import tasks_to_act_on
from api.services.task_actions import BULK_MAX, BulkItem, BulkResult
from domain.approvals import Outcome
from domain.text import StoredText
from web.forms import CsrfField
from web.i18n import Messages
from web.pages import words
from web.render import messages_for, render
from web.session import Csrf, WebViewer

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


class BulkApproveForm(BaseModel):
    """As BulkDecisionIn, every item an approval with the one comment (tasks.comment)."""

    task_id: list[Annotated[StoredText, Field(max_length=64)]] = Field(default_factory=list, max_length=BULK_MAX)
    comment: StoredText | None = Field(default=None, max_length=2000)
    csrf_token: str = CsrfField


@dataclass(frozen=True)
class Line:
    task_id: str
    subject: str | None  # None: a task the viewer may not read (its refusal says 404)
    approved: bool
    why: str


def why_refused(m: Messages, result: BulkResult) -> str:
    """A refusal in words; a failure's internal text (5xx) never shown."""
    if result.status == 200:
        return ""
    if result.status >= 500 or result.detail is None:
        return m.error(result.status)
    return f"{m.error(result.status)}: {words(result.detail)}"


@router.post("/tasks/approve-selected", dependencies=[Csrf])
async def approve_selected(
    request: Request,
    form: Annotated[BulkApproveForm, Form()],
    viewer: WebViewer,
    session: SessionDep,
    temporal: TemporalDep,
) -> Response:
    m = await messages_for(session, viewer.username)
    ids = list(dict.fromkeys(form.task_id))
    if not ids:
        return render(request, "bulk_result.html", m, 422, viewer=viewer, lines=[], error=m.t("bulk.none"))
    tasks, readable = await tasks_to_act_on(session, viewer, ids)
    items = [BulkItem(task_id=task_id, outcome=Outcome.approve, comment=form.comment or None) for task_id in ids]
    results = await actions.decide_many(session, viewer, temporal, items)
    lines = [
        Line(
            task_id=result.task_id,
            subject=tasks[result.task_id].subject if result.task_id in readable else None,
            approved=result.status == 200,
            why=why_refused(m, result),
        )
        for result in results
    ]
    return render(request, "bulk_result.html", m, viewer=viewer, lines=lines)
