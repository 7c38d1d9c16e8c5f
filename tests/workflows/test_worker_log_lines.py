"""The worker's log lines name the process they are about (issue 24 §3): a line written inside an
activity, through the SDK's activity logger or any module's logger, carries the workflow id as
`process_id` — on a real worker and the Temporal dev server."""

from __future__ import annotations

import io
import json
import logging
import uuid
from datetime import timedelta

import pytest
from temporalio import activity, workflow
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from telemetry import json_handler

pytestmark = pytest.mark.asyncio(loop_scope="session")

module_log = logging.getLogger("tests.worker_lines")


@activity.defn
async def say_something(word: str) -> None:
    activity.logger.info("through the SDK's logger: %s", word)
    module_log.info("through a module's logger: %s", word)


@workflow.defn
class Talkative:
    @workflow.run
    async def run(self, word: str) -> None:
        await workflow.execute_activity(say_something, word, start_to_close_timeout=timedelta(seconds=10))


async def test_an_activity_s_log_lines_carry_its_process_id(temporal_env: WorkflowEnvironment) -> None:
    stream = io.StringIO()
    handler, root = json_handler(stream), logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    queue, process_id, word = f"tq-{uuid.uuid4()}", f"talkative-{uuid.uuid4()}", uuid.uuid4().hex
    try:
        async with Worker(
            temporal_env.client,
            task_queue=queue,
            workflows=[Talkative],
            activities=[say_something],
            workflow_runner=UnsandboxedWorkflowRunner(),
        ):
            await temporal_env.client.execute_workflow(Talkative.run, word, id=process_id, task_queue=queue)
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    said = [line for line in lines if word in line["message"]]
    assert len(said) == 2, said
    assert all(line["process_id"] == process_id for line in said), said
