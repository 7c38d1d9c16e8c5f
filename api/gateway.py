"""The API's only way into workflows: find a process, check who may see it, send it an update or signal."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any, TypeVar

from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.service import RPCError, RPCStatusCode

from api.deps import release_session
from api.errors import from_workflow
from api.visibility import get_process, visible_processes
from db.models import Process

__all__ = ["get_process", "handle_for", "send_update", "signal_all", "visible_processes"]

T = TypeVar("T")
log = logging.getLogger(__name__)


def handle_for(client: Client, process: Process) -> WorkflowHandle[Any, Any]:
    return client.get_workflow_handle(process.workflow_id, run_id=process.process_id)


async def send_update(
    handle: WorkflowHandle[Any, Any],
    name: str,
    arg: object | None = None,
    *,
    update_id: str | None = None,
    result_type: type[T],
) -> T:
    """Execute an update; a refusal becomes 403/404/409/422 with the workflow's own reason."""
    args = [] if arg is None else [arg]
    await release_session()  # no database connection is held while the workflow works
    try:
        result: T = await handle.execute_update(name, args=args, id=update_id, result_type=result_type)
    except (WorkflowUpdateFailedError, RPCError) as exc:
        raise from_workflow(exc) from exc
    return result


async def signal_all(
    client: Client, runs: Iterable[tuple[str, str]], name: str, arg: object, *, concurrency: int = 10
) -> tuple[int, int]:
    """Signal each (workflow_id, run_id); a run that has ended meanwhile is skipped.

    Answers (signalled, skipped). Other failures are logged and counted as skipped: the caller's
    own change is already committed and must not be reported as failed because of one process.
    """
    gate = asyncio.Semaphore(concurrency)

    async def one(workflow_id: str, run_id: str) -> bool:
        async with gate:
            try:
                await client.get_workflow_handle(workflow_id, run_id=run_id).signal(name, arg)
            except RPCError as exc:
                if exc.status != RPCStatusCode.NOT_FOUND:  # NOT_FOUND: the run has already completed
                    log.warning("signal %s to %s/%s failed: %s", name, workflow_id, run_id, exc)
                return False
            return True

    done = await asyncio.gather(*(one(w, r) for w, r in dict.fromkeys(runs)))
    return sum(done), len(done) - sum(done)
