"""The Temporal worker: registers every workflow and activity on the product's task queue."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client
from temporalio.worker import Interceptor, UnsandboxedWorkflowRunner, Worker

from activities.mail import MailServer
from activities.registry import build_activities
from domain.calendar import OfficeHours
from temporal_client import with_sealed_headers
from workflows.actor_check import ActorCheckInterceptor
from workflows.audit import AuditInterceptor
from workflows.registry import WORKFLOWS
from workflows.repair import RepairInterceptor


def workflow_runner() -> UnsandboxedWorkflowRunner:
    """Workflows run without Temporal's sandbox; `workflows/ruff.toml` checks their determinism instead.

    The sandbox hardly looked at our code: `workflows/` had to be passed through it (re-importing
    those modules for every new run was half the worker's CPU when 10,000 complaints arrived
    together), and a passed-through module keeps the real `datetime`, `uuid` and `random`, so a
    `datetime.now()` in workflow code ran unrefused (`tests/test_workflow_determinism_guard.py`
    shows both); only the builtins `open`, `input` and `breakpoint` stayed restricted. What it
    still did was run every activation and every payload's serialization-context look-up through
    `exec` of freshly compiled glue code: 40% of the worker's CPU per decision (issue 9).
    The lint rule refuses the clock, random numbers, ids, files and I/O in workflow modules before
    they run; the saved histories still replay inside the full sandbox (the `Replayer`'s own,
    which passes none of our modules through) and catch a change of commands.
    """
    return UnsandboxedWorkflowRunner()


def wall_clock() -> datetime:
    """What an update's signature expiry is compared with (workflows/actor_check.py: validators only)."""
    return datetime.now(UTC)


def worker_interceptors(actor_keys: Sequence[bytes] = ()) -> list[Interceptor]:
    """In order: the signed-actor check (with a key ring), the audit record, and a failed process
    taking no act. The worker registers them; a replay of its histories needs the same."""
    checks = [ActorCheckInterceptor(actor_keys, clock=wall_clock)] if actor_keys else []
    return [*checks, AuditInterceptor(), RepairInterceptor()]


def build_worker(
    client: Client,
    task_queue: str,
    sessions: async_sessionmaker[AsyncSession],
    *,
    webhook_url: str | None = None,
    office_hours: OfficeHours | None = None,
    max_cached_workflows: int = 2_500,
    actor_keys: Sequence[bytes] = (),
    mail: MailServer | None = None,
) -> Worker:
    """The real registration, shared by `python worker.py` and the tests. With `actor_keys` (the
    settings' ring) an update's actor must be signed by the API (workflows/actor_check.py)."""
    return Worker(
        with_sealed_headers(client),  # the actor's signature arrives sealed (issue 24 §1, §2)
        task_queue=task_queue,
        workflows=WORKFLOWS,
        activities=build_activities(sessions, webhook_url, office_hours, mail),
        interceptors=worker_interceptors(actor_keys),
        max_cached_workflows=max_cached_workflows,
        workflow_runner=workflow_runner(),
        graceful_shutdown_timeout=timedelta(seconds=50),  # in-flight activities finish on SIGTERM
    )


async def main() -> None:
    from db.session import make_engine, make_sessionmaker
    from schedules import ensure_schedules
    from settings import get_settings
    from telemetry import temporal_interceptors, tracer_provider, worker_runtime
    from temporal_client import connect

    settings = get_settings()
    engine = make_engine(settings.database_url)
    tracing = tracer_provider("customer-approvals-worker", settings.otel_exporter_otlp_endpoint)
    client = await connect(  # tracing and the SDK's metrics endpoint, each when configured (telemetry.py)
        settings.temporal_address,
        settings.temporal_namespace,
        tls=settings.temporal_tls(),
        interceptors=temporal_interceptors(tracing),
        runtime=worker_runtime(settings.worker_metrics_address),
    )
    await ensure_schedules(client, settings.task_queue)
    worker = build_worker(
        client,
        settings.task_queue,
        make_sessionmaker(engine),
        webhook_url=settings.notify_webhook_url,
        office_hours=settings.office_hours(),
        max_cached_workflows=settings.workflow_cache_size(),
        actor_keys=settings.actor_signing_keys(),
        mail=MailServer.from_settings(settings),
    )
    # Everything imported and built so far lives as long as the process: keep it out of the
    # collector's generations, so a full collection under load scans only what the work created.
    gc.freeze()
    logging.info("worker polling %s on %s", settings.task_queue, settings.temporal_address)
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(signum, stop.set)
    try:
        async with worker:  # graceful: running activities finish before the worker leaves
            await stop.wait()
    finally:
        await engine.dispose()
        if tracing is not None:
            tracing.shutdown()  # the last spans leave before the process does


if __name__ == "__main__":
    from telemetry import configure_logging

    configure_logging()
    asyncio.run(main())
