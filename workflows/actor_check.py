"""The worker refuses an update or a start whose actor the API did not sign (issue 24 §2).

A workflow checks the acting user's roles and unit, but the user is whatever the update's request
says: before this check, anyone who reached Temporal's port could decide as the general manager.
The API signs the actor it authenticated (api/actor_signing.py); here every update that names an
actor (`request.actor`) is refused before its validator runs unless the signature matches this
namespace, workflow, update (its name and id) and actor and has not expired (domain/actor_signature.py).

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

Signals have no validator, and a deal and its children talk by signals (the acts the deal hands a
child, the writes a child hands the deal; workflows/external_trade/child_messages.py). So every
signal a workflow sends leaves sealed with the newest key (`_SealingOutbound`), and a deal or a
child drops — and logs — an internal signal whose seal does not match (`INTERNAL_SIGNALS`): a
client that signals `act` to `<deal>/tender` with a bid of its own records nothing. The seal is an
HMAC over the target workflow id, the signal and its arguments as the payload
converter encodes them (domain/actor_signature.py): pure, so the drop replays as it happened. A run
that started before the seal (`SEALED_SIGNALS_PATCH` is false at its start) took unsealed signals
and is not checked, so its history replays; a sealed signal is checked again on replay, so a key is
retired only after the runs that may replay with it have closed (docs/operations/engine-security.md).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from temporalio import workflow
from temporalio.api.common.v1 import Payload
from temporalio.exceptions import ApplicationError
from temporalio.worker import (
    ExecuteWorkflowInput,
    HandleSignalInput,
    HandleUpdateInput,
    Interceptor,
    SignalChildWorkflowInput,
    SignalExternalWorkflowInput,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
    WorkflowOutboundInterceptor,
)

with workflow.unsafe.imports_passed_through():
    from domain import errors
    from domain.actor_signature import (
        HEADER,
        SIGNAL_HEADER,
        actor_of,
        header_text,
        refusal,
        seal_signal,
        signal_refusal,
        start_name,
        starter_of,
        with_header,
    )
    from domain.models import Actor

SEALED_SIGNALS_PATCH = "sealed-internal-signals"  # a run started since checks its internal signals' seals
_CHILD_SIGNALS = frozenset({"act", "written", "calendar_changed"})
# By workflow type, the signals only another workflow of the engine sends (a deal and its children).
INTERNAL_SIGNALS: Mapping[str, frozenset[str]] = {
    "ExternalTrade": frozenset(
        {"child_replied", "tender_synced", "contract_synced", "payment_form_synced", "tender_closing"}
    ),
    "ExternalTradeTender": _CHILD_SIGNALS | {"tender_closed"},
    "ExternalTradeContract": _CHILD_SIGNALS,
    "ExternalTradePaymentForm": _CHILD_SIGNALS,
}


def _bare(value: Any) -> Any:
    """A JSON value without its null fields: an act sent as `ChildAct` arrives as the child's own
    subclass (`TenderAct`), whose extra fields are all None."""
    if isinstance(value, dict):
        return {key: _bare(each) for key, each in value.items() if each is not None}
    if isinstance(value, list):
        return [_bare(each) for each in value]
    return value


def signal_digest(args: Sequence[Any]) -> str:
    """The digest of a signal's arguments as the workflow's payload converter encodes them (the
    sender's objects and the receiver's decoded ones encode alike once null fields are dropped)."""
    parts = []
    for payload in workflow.payload_converter().to_payloads(args):
        encoding = payload.metadata.get("encoding", b"").decode(errors="replace")
        if encoding == "json/plain":
            bare = _bare(json.loads(payload.data))
            parts.append([encoding, json.dumps(bare, ensure_ascii=False, sort_keys=True, separators=(",", ":"))])
        else:
            parts.append([encoding, payload.data.hex()])
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode()).hexdigest()


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

        def check(headers: Mapping[str, Payload], name: str, actor: Actor, now: datetime, update_id: str = "") -> None:
            signature, info = header_text(headers, HEADER), workflow.info()
            why = refusal(keys, signature, info.namespace, info.workflow_id, name, actor, now, update_id=update_id)
            if why is not None:
                workflow.logger.warning("%s refused: %s", name, why)
                raise ApplicationError(why, type=errors.FORBIDDEN, non_retryable=True)

        class _SealingOutbound(WorkflowOutboundInterceptor):
            def _sealed(
                self, headers: Mapping[str, Payload], target: str, signal: str, args: Any
            ) -> Mapping[str, Payload]:
                return with_header(headers, SIGNAL_HEADER, seal_signal(keys[0], target, signal, signal_digest(args)))

            async def signal_child_workflow(self, input: SignalChildWorkflowInput) -> None:
                input.headers = self._sealed(input.headers, input.child_workflow_id, input.signal, input.args)
                await super().signal_child_workflow(input)

            async def signal_external_workflow(self, input: SignalExternalWorkflowInput) -> None:
                input.headers = self._sealed(input.headers, input.workflow_id, input.signal, input.args)
                await super().signal_external_workflow(input)

        class _ActorCheckInbound(WorkflowInboundInterceptor):
            sealed: bool | None = None  # the run checks its internal signals' seals (None: not started yet)

            def init(self, outbound: WorkflowOutboundInterceptor) -> None:
                super().init(_SealingOutbound(outbound))

            async def handle_signal(self, input: HandleSignalInput) -> None:
                info = workflow.info()
                if input.signal in INTERNAL_SIGNALS.get(info.workflow_type, ()) and self.sealed is not False:
                    seal, digest = header_text(input.headers, SIGNAL_HEADER), signal_digest(input.args)
                    why = signal_refusal(keys, seal, info.workflow_id, input.signal, digest)
                    if why is not None:  # dropped: no handler runs, nothing changes
                        workflow.logger.warning("signal %s dropped: %s", input.signal, why)
                        return
                await super().handle_signal(input)

            async def execute_workflow(self, input: ExecuteWorkflowInput) -> Any:
                info = workflow.info()
                if info.workflow_type in INTERNAL_SIGNALS:  # its first command: deterministic
                    self.sealed = workflow.patched(SEALED_SIGNALS_PATCH)
                by_a_client = info.parent is None and info.continued_run_id is None
                starter = starter_of(input.args) if by_a_client and not workflow.unsafe.is_replaying() else None
                if starter is not None:
                    check(input.headers, start_name(info.workflow_type), starter, info.workflow_start_time)
                return await super().execute_workflow(input)

            def handle_update_validator(self, input: HandleUpdateInput) -> None:
                actor = actor_of(input.args)
                if actor is not None:
                    check(input.headers, input.update, actor, clock(), input.id)
                super().handle_update_validator(input)

        return _ActorCheckInbound
