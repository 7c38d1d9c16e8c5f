"""Every human act of every process, handed to the process's next write for the audit record.

One interceptor instead of a line in each of the thirty update handlers: a start is "submitted"
by its applicant, an update that runs is the act its name says (a validator's refusal never gets
here; a handler that fails, the loser of a race, takes its entry back). The entry goes into the
kernel's outbox, so the sync activity that projects the act writes its audit row in the same
transaction. Only a local activity's argument changes: no command, so old histories replay.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from temporalio import workflow
from temporalio.worker import (
    ExecuteWorkflowInput,
    HandleUpdateInput,
    Interceptor,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
)

with workflow.unsafe.imports_passed_through():
    from domain.approvals import ChainSpec
    from domain.audit import AuditEntry, AuditKind
    from workflows.kernel import Kernel

READ_ONLY_UPDATES = frozenset({"current"})


def _payload(args: Any) -> dict[str, Any]:
    first = args[0] if args else None
    return first.model_dump(mode="json") if isinstance(first, BaseModel) else {}


class _AuditInbound(WorkflowInboundInterceptor):
    def __init__(self, next: WorkflowInboundInterceptor) -> None:
        super().__init__(next)
        self._seq = 0  # advances in replay exactly as it did the first time

    def _record(
        self, kind: AuditKind, name: str, args: Any, payload: dict[str, Any] | None = None, update_id: str | None = None
    ) -> AuditEntry | None:
        kernel = Kernel.running()
        if kernel is None:  # a workflow without a process (the monthly statistics)
            return None
        self._seq += 1
        info = workflow.info()
        entry = AuditEntry(
            seq=self._seq,
            process_id=info.run_id,
            workflow_type=info.workflow_type,
            at=workflow.now(),
            kind=kind,
            name=name,
            payload=_payload(args) if payload is None else payload,
            update_id=update_id,
        )
        kernel.outbox.audit.append(entry)
        return entry

    async def execute_workflow(self, input: ExecuteWorkflowInput) -> Any:
        self._record("start", "submitted", input.args)
        self._name_rule_versions(input.args)
        return await super().execute_workflow(input)

    def _name_rule_versions(self, args: Any) -> None:
        """新老划断 (issue 21 §3): the rule versions pinned into the process's chain at its start
        (api/starts.py) are named in its history with its first moment, for every workflow alike."""
        chain = getattr(args[0], "chain", None) if args else None
        for ref in chain.rule_versions if isinstance(chain, ChainSpec) else ():
            self._record("rule", ref.rule, None, ref.model_dump(mode="json"))

    async def handle_update_handler(self, input: HandleUpdateInput) -> Any:
        if input.update in READ_ONLY_UPDATES:
            return await super().handle_update_handler(input)
        entry = self._record("update", input.update, input.args, update_id=input.id)
        try:
            return await super().handle_update_handler(input)
        except BaseException:
            kernel = Kernel.running()
            if entry is not None and kernel is not None:  # refused by the handler: nothing happened
                kernel.outbox.audit = [e for e in kernel.outbox.audit if e is not entry]
            raise


class AuditInterceptor(Interceptor):
    """Registered with the worker (`worker.build_worker`)."""

    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[WorkflowInboundInterceptor] | None:
        return _AuditInbound
