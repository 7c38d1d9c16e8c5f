"""Starting a process: the start and its first answer in one call to Temporal (update-with-start).

A new process answers only once it rests with its first task in an inbox (read-your-writes), so a
start is a start plus the `current` update. Sent together they cost one round trip, not two.
"""

from __future__ import annotations

from typing import Any, TypeVar

from temporalio.client import Client, WithStartWorkflowOperation, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from api.deps import release_session
from api.errors import Conflict, from_workflow

T = TypeVar("T")


async def start_process(
    client: Client,
    workflow: str,
    arg: Any,
    *,
    workflow_id: str,
    task_queue: str,
    result_type: type[T],
    already_running: str | None = None,
) -> T:
    """Start `workflow` and wait until it rests; 409 `already_running` if that id is open."""
    operation: WithStartWorkflowOperation[Any, Any] = WithStartWorkflowOperation(
        workflow,
        arg,
        id=workflow_id,
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
    )
    await release_session()  # no database connection is held while the worker starts the process
    try:
        result: T = await client.execute_update_with_start_workflow(
            "current", start_workflow_operation=operation, result_type=result_type
        )
    except WorkflowAlreadyStartedError as exc:
        raise Conflict(already_running or f"process {workflow_id} is already running") from exc
    except (WorkflowUpdateFailedError, RPCError) as exc:
        raise from_workflow(exc) from exc
    return result
