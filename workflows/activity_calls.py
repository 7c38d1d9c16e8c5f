"""How a workflow calls its activities: a database write or look-up retried until the database answers.

Below the engine (`workflows/engine/`) and the clock (`workflows/clock.py`), which both call
through it, so neither imports the other for it; every process workflow calls its stores with it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.process_sync import ProcessSync
    from workflows.kernel import Kernel

A = TypeVar("A")
R = TypeVar("R")

STORE_RETRY = RetryPolicy(initial_interval=timedelta(milliseconds=200), maximum_interval=timedelta(seconds=10))


async def store(method: Callable[[Any, A], Awaitable[R]], arg: A) -> R:
    """Run a database activity: short timeout, retried until the database answers."""
    return await workflow.execute_activity_method(
        method, arg, start_to_close_timeout=timedelta(seconds=30), retry_policy=STORE_RETRY
    )


async def write(method: Callable[[Any, A], Awaitable[R]], arg: A) -> R:
    """A process's one write per moment, as a local activity: it runs in the worker that runs the
    workflow, its result (the write, echoed for the auditors' history) is a marker in the history,
    and no server round trip stands between a decision and its answer. Idempotent, so a replay
    after a crash that runs it again changes nothing. The steps it dated hand their deadlines to
    the process's kernel, for their clocks."""
    result = await look_up(method, arg)
    kernel = Kernel.running()
    if isinstance(result, ProcessSync) and result.deadlines and kernel is not None:
        kernel.answered(result.deadlines)
    return result


async def look_up(method: Callable[[Any, A], Awaitable[R]], arg: A) -> R:
    """A read-only look-up as a local activity: a marker in the history, no server round trip."""
    return await workflow.execute_local_activity_method(
        method, arg, start_to_close_timeout=timedelta(seconds=30), retry_policy=STORE_RETRY
    )
