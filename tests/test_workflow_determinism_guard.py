"""Workflow code's determinism is checked at lint time (`workflows/ruff.toml`), not by the sandbox.

The sandbox hardly looked inside our workflow modules: they are passed through it, and a
passed-through module calls the real clock unrefused (the first test shows it, so an SDK that
starts checking them again is noticed); only the builtins open, input and breakpoint stayed
restricted. The lint rule refuses what the sandbox would have, open and breakpoint included.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from tests.sandbox_probe import ClockProbe
from worker import workflow_runner

ROOT = Path(__file__).resolve().parents[1]
RUFF = Path(sys.executable).with_name("ruff")


@pytest.mark.asyncio(loop_scope="session")
async def test_the_sandbox_refuses_the_clock_only_in_modules_it_does_not_pass_through(
    temporal_env: WorkflowEnvironment,
) -> None:
    passed = SandboxRestrictions.default.with_passthrough_modules("tests.sandbox_probe")
    answers = []
    for runner in (SandboxedWorkflowRunner(), SandboxedWorkflowRunner(restrictions=passed)):
        queue = f"probe-{uuid.uuid4().hex[:8]}"
        async with Worker(temporal_env.client, task_queue=queue, workflows=[ClockProbe], workflow_runner=runner):
            answers.append(
                await temporal_env.client.execute_workflow(ClockProbe.run, id=f"probe-{queue}", task_queue=queue)
            )
    assert answers == ["RestrictedWorkflowAccessError", "read the wall clock"]


def lint(source: str, path: str) -> str:
    result = subprocess.run(
        [str(RUFF), "check", "--no-cache", "--stdin-filename", path, "-"],
        input=source,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    return result.stdout + result.stderr


UNSAFE = [
    ("from datetime import datetime\n\n\ndef f() -> object:\n    return datetime.now()\n", "datetime.datetime.now"),
    ("from datetime import date\n\n\ndef f() -> object:\n    return date.today()\n", "datetime.date.today"),
    ("import time\n\n\ndef f() -> object:\n    return time.time()\n", "`time`"),
    ("import random\n\n\ndef f() -> object:\n    return random.random()\n", "`random`"),
    ("import uuid\n\n\ndef f() -> object:\n    return uuid.uuid4()\n", "uuid.uuid4"),
    ("import os\n\n\ndef f() -> object:\n    return os.environ\n", "`os`"),
    ("import httpx\n\n\ndef f() -> object:\n    return httpx.get('x')\n", "`httpx`"),
    ("from sqlalchemy import select\n\n\ndef f() -> object:\n    return select(1)\n", "`sqlalchemy`"),
    ("def f() -> object:\n    return open('x')\n", "PTH123"),  # the sandbox refused open() at run time
    ("def f() -> None:\n    breakpoint()\n", "T100"),
    ("from pathlib import Path\n\n\ndef f() -> object:\n    return Path('x').read_text()\n", "`pathlib`"),
]


@pytest.mark.parametrize(("source", "banned"), UNSAFE, ids=[banned.strip("`") for _, banned in UNSAFE])
def test_workflow_modules_may_not_read_the_clock_random_ids_or_do_io(source: str, banned: str) -> None:
    found = lint(source, "workflows/probe.py")
    assert banned in found and "Found" in found, found
    assert "All checks passed" in lint(source, "activities/probe.py")  # activities do exactly this


def test_workflow_time_and_ids_pass_and_the_worker_runs_unsandboxed() -> None:
    source = (
        "from temporalio import workflow\n\n\n"
        "def f() -> object:\n    return workflow.now(), workflow.uuid4(), workflow.random().random()\n"
    )
    assert "All checks passed" in lint(source, "workflows/probe.py")
    assert isinstance(workflow_runner(), UnsandboxedWorkflowRunner)
