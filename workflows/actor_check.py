"""The worker refuses an update whose actor the API did not sign (issue 24 §2).

A workflow checks the acting user's roles and unit, but the user is whatever the update's request
says: before this check, anyone who reached Temporal's port could decide as the general manager.
The API signs the actor it authenticated (api/actor_signing.py); here every update that names an
actor (`request.actor`) is refused before its validator runs unless the signature matches this
namespace, workflow, update and actor and has not expired (domain/actor_signature.py).

Checked in the update's validator only, and that is the whole design: a validator runs when the
update arrives and never on replay, and a refused update leaves no event in the history. So no
command changes (the saved histories, which carry no signatures, replay unchanged), a rotated-out
key never makes an old history fail, and a refusal is an ordinary rejected update — never a failed
workflow task. Every update that names an actor has a validator
(tests/workflows/test_actor_signature.py checks the registry), so none slips past unchecked.
The expiry is compared with `workflow.now()`, the workflow task's time, not a clock.
"""

from __future__ import annotations

from collections.abc import Sequence

from temporalio import workflow
from temporalio.exceptions import ApplicationError
from temporalio.worker import (
    HandleUpdateInput,
    Interceptor,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
)

with workflow.unsafe.imports_passed_through():
    from domain import errors
    from domain.actor_signature import HEADER, actor_of, refusal


class ActorCheckInterceptor(Interceptor):
    """Registered first with the worker (`worker.build_worker`), so a refused update reaches no
    other interceptor: the audit record never sees it."""

    def __init__(self, keys: Sequence[bytes]) -> None:
        if not keys:
            raise ValueError("the actor check needs at least one key")
        self.keys = tuple(keys)

    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[WorkflowInboundInterceptor] | None:
        keys = self.keys

        class _ActorCheckInbound(WorkflowInboundInterceptor):
            def handle_update_validator(self, input: HandleUpdateInput) -> None:
                actor = actor_of(input.args)
                if actor is not None:
                    header = input.headers.get(HEADER)
                    signature = header.data.decode(errors="replace") if header is not None else None
                    info = workflow.info()
                    where = (info.namespace, info.workflow_id, input.update)
                    why = refusal(keys, signature, *where, actor, workflow.now())
                    if why is not None:
                        workflow.logger.warning("update %s refused: %s", input.update, why)
                        raise ApplicationError(why, type=errors.FORBIDDEN, non_retryable=True)
                super().handle_update_validator(input)

        return _ActorCheckInbound
