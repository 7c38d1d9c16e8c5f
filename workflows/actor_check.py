"""The worker refuses an update or a start whose actor the API did not sign (issue 24 §2).

A workflow checks the acting user's roles and unit, but the user is whatever the update's request
says: before this check, anyone who reached Temporal's port could decide as the general manager.
The API signs the actor it authenticated (api/actor_signing.py); here every update that names an
actor (`request.actor`) is refused before its validator runs unless the signature matches this
namespace, workflow, update and actor and has not expired (domain/actor_signature.py).

Updates are checked in their validator only, and that is the whole design: a validator runs when
the update arrives and never on replay, and a refused update leaves no event in the history. So no
command changes (the saved histories, which carry no signatures, replay unchanged), a rotated-out
key never makes an old history fail, and a refusal is an ordinary rejected update — never a failed
workflow task. Every update that names an actor has a validator
(tests/workflows/test_actor_signature.py checks the registry), so none slips past unchecked.
The expiry is compared with the wall clock the worker hands in (`clock`): a validator runs when the
update arrives and never on replay, so the real time is safe there — and it is the time the API
signed by. `workflow.now()` is not: a time-skipping test server moves it days ahead of the clock.

A start that names a person as its applicant (`starter_of`) and comes from a client — not from a
parent workflow, not a continued run — is checked before the workflow's first line: refused, the
run fails at once with the refusal (no activity ran: no row, no task, no audit line). The expiry is
compared with the time Temporal accepted the start (`workflow_start_time`), so a start waiting for
a worker that was down is not refused for that. The check is skipped on replay: a run that exists
past its first task passed it, and a key retired since must not fail its replay.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from temporalio import workflow
from temporalio.api.common.v1 import Payload
from temporalio.exceptions import ApplicationError
from temporalio.worker import (
    ExecuteWorkflowInput,
    HandleUpdateInput,
    Interceptor,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
)

with workflow.unsafe.imports_passed_through():
    from domain import errors
    from domain.actor_signature import HEADER, actor_of, refusal, start_name, starter_of
    from domain.models import Actor


class ActorCheckInterceptor(Interceptor):
    """Registered first with the worker (`worker.build_worker`), so a refused update reaches no
    other interceptor: the audit record never sees it."""

    def __init__(self, keys: Sequence[bytes], clock: Callable[[], datetime]) -> None:
        if not keys:
            raise ValueError("the actor check needs at least one key")
        self.keys, self.clock = tuple(keys), clock

    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[WorkflowInboundInterceptor] | None:
        keys, clock = self.keys, self.clock

        def check(headers: Mapping[str, Payload], name: str, actor: Actor, now: datetime) -> None:
            header = headers.get(HEADER)
            signature = header.data.decode(errors="replace") if header is not None else None
            info = workflow.info()
            why = refusal(keys, signature, info.namespace, info.workflow_id, name, actor, now)
            if why is not None:
                workflow.logger.warning("%s refused: %s", name, why)
                raise ApplicationError(why, type=errors.FORBIDDEN, non_retryable=True)

        class _ActorCheckInbound(WorkflowInboundInterceptor):
            async def execute_workflow(self, input: ExecuteWorkflowInput) -> Any:
                starter, info = starter_of(input.args), workflow.info()
                by_a_client = info.parent is None and info.continued_run_id is None
                if starter is not None and by_a_client and not workflow.unsafe.is_replaying():
                    check(input.headers, start_name(info.workflow_type), starter, info.workflow_start_time)
                return await super().execute_workflow(input)

            def handle_update_validator(self, input: HandleUpdateInput) -> None:
                actor = actor_of(input.args)
                if actor is not None:
                    check(input.headers, input.update, actor, clock())
                super().handle_update_validator(input)

        return _ActorCheckInbound
