"""A decision on a task, as every front sends it: POST /api/v1/tasks/{id}/decision and the web
task page call `decide_task`, so the checks and the Temporal update are written once."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from api.gateway import send_update
from api.schemas import ProcessStateOut
from api.services.inbox import decision_request, decision_update_id, open_task
from api.visibility import Viewer
from domain.approvals import Outcome


async def decide_task(
    session: AsyncSession,
    viewer: Viewer,
    temporal: Client,
    task_id: str,
    outcome: Outcome,
    comment: str | None,
    return_to: str | None = None,
    cc: Sequence[str] = (),
) -> ProcessStateOut:
    """The workflow's `decide` update for `viewer` on an open task they may see (404 otherwise,
    409 if closed); the workflow refuses what the step does not allow (403/409/422, reason given).

    The update id derives from the task and the approver, so a double click is applied once."""
    task = await open_task(session, viewer, task_id)
    request = decision_request(task, viewer.actor, outcome, comment, return_to, cc)
    handle = temporal.get_workflow_handle(task.workflow_id, run_id=task.process_id)
    # Every workflow's `decide` answers with at least process_id, status and current_step.
    return await send_update(
        handle, "decide", request, update_id=decision_update_id(task_id, viewer.actor), result_type=ProcessStateOut
    )
