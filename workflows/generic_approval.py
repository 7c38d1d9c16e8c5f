"""A declared chain run on its own — 通用审批: any regulation step chain that needs no workflow of
its own (a VAT-invoice joint review, 000 §9; a depot manager's review, 000 §8; a countersign of
named leaders) runs here with every step action of the engine. The chain is part of the start
input, so the history shows exactly which steps were asked for.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.process_store import ProcessStore
    from activities.process_sync import ProcessSync
    from domain.approvals import Outcome
    from domain.models import ApprovalInput, ProcessStatus, ProcessView
    from workflows.activity_calls import write
    from workflows.approval import OUTCOME_STATUS, ApprovalChain, ProcessRef, SingleChainHost
    from workflows.kernel import Kernel, Outbox


@workflow.defn(name="Approval")
class ApprovalWorkflow(SingleChainHost):
    @workflow.init
    def __init__(self, start: ApprovalInput) -> None:
        info = workflow.info()
        self.status = ProcessStatus.running
        self.started_at = workflow.now()
        self.applicant_name = start.applicant.username
        self.kernel = Kernel(self._write)
        unit = start.unit or start.applicant.unit
        self.approvals = ApprovalChain(
            chain=start.chain,
            process=ProcessRef(
                process_id=info.run_id,
                workflow_id=info.workflow_id,
                process_type=start.chain.process_type,
                subject=start.subject,
                applicant=start.applicant.username,
                unit=unit,
                unit_path=tuple(start.unit_path) or ((unit,) if unit else ()),
            ),
            kernel=self.kernel,
            signers=start.signers,
        )

    @workflow.run
    async def run(self, start: ApprovalInput) -> ProcessView:
        return await self.kernel.guard(self._run(start))

    async def _run(self, start: ApprovalInput) -> ProcessView:
        outcome = await self.approvals.run()
        if outcome is not None:
            await self.concluded(outcome)
            # A return to the applicant ends a chain run on its own: they file a corrected one.
            self.status = OUTCOME_STATUS[outcome]
        await self.kernel.rest()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.view()

    async def concluded(self, outcome: Outcome) -> None:
        """What a process built on a chain run on its own does once the chain decided (a rule change
        writes its version, workflows/rule_change.py); nothing here."""

    @workflow.query
    def view(self) -> ProcessView:
        return self.chain_view()

    async def _write(self, outbox: Outbox) -> None:
        projection = self.chain_projection(self.started_at)
        await write(ProcessStore.sync_process, ProcessSync(process=projection, **outbox.as_fields()))
