"""A change of a company rule — 规则变更 (001 信用管理措施 §1-§2, 001 §1; domain/rule_change.py).

The declared chain (business VP, then general manager) runs on the one approval engine; the
drafter is the applicant, so the engine refuses them any seat of their own change. Only the GM's
approval writes the new version, through one store activity, in force from its date; a rejection
or a withdrawal writes nothing, so the rule in force never meets a change nobody approved.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.grading_store import CHINA
    from activities.process_store import ProcessStore, ProcessSync
    from activities.rule_store import RuleStore
    from domain.approvals import Outcome
    from domain.models import ProcessStatus, ProcessView
    from domain.rule_change import RuleApproval, RuleChangeInput, RuleChangeView, RuleVersionRef, rule_change_subject
    from workflows.approval import OUTCOME_STATUS, ApprovalChain, ProcessRef, SingleChainHost, store, write
    from workflows.kernel import Kernel, Outbox


class RuleChangeProcessView(ProcessView, RuleChangeView):
    pass


@workflow.defn(name="RuleChange")
class RuleChangeWorkflow(SingleChainHost):
    @workflow.init
    def __init__(self, start: RuleChangeInput) -> None:
        info = workflow.info()
        self.start = start
        self.applicant_name = start.applicant.username
        self.status = ProcessStatus.running
        self.started_at = workflow.now()
        self.applied: RuleVersionRef | None = None
        self.kernel = Kernel(self._write)
        unit = start.applicant.unit
        self.approvals = ApprovalChain(
            chain=start.chain,
            process=ProcessRef(
                process_id=info.run_id,
                workflow_id=info.workflow_id,
                process_type=start.chain.process_type,
                subject=rule_change_subject(start.change, start.applicant.username),
                applicant=start.applicant.username,
                unit=unit,
                unit_path=(unit,) if unit else (),
            ),
            kernel=self.kernel,
        )

    @workflow.run
    async def run(self, start: RuleChangeInput) -> RuleChangeProcessView:
        return await self.kernel.guard(self._run())

    async def _run(self) -> RuleChangeProcessView:
        outcome = await self.approvals.run()
        if outcome is Outcome.approve:
            await self._apply()
            self.status = ProcessStatus.approved
            self._tell_drafter()
        elif outcome is not None:  # rejected: no version is written; withdrawn: the status says so
            self.status = OUTCOME_STATUS[outcome]
            self._tell_drafter()
        await self.kernel.rest()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.view()

    async def _apply(self) -> None:
        last = self.approvals.decisions[-1]
        approval = RuleApproval(
            process_id=self.approvals.process.process_id,
            change=self.start.change,
            drafted_by=self.applicant_name,
            approved_by=last.actor,
            approved_on=last.at.astimezone(CHINA).date(),
        )
        self.applied = await self.kernel.stored(lambda: store(RuleStore.apply_approved_change, approval))

    def _tell_drafter(self) -> None:
        if self.applied is not None:
            applied = self.applied
            text = f"approved: {applied.rule.value} v{applied.version} in force from {applied.effective_from}"
        else:
            text = f"{self.status.value}: the {self.start.change.rule.value} in force stays as it is"
        self.kernel.outbox.notifications.append(
            self.approvals.supervision.notification("rule_change_decided", None, self.applicant_name, text, None)
        )

    @workflow.query
    def view(self) -> RuleChangeProcessView:
        return RuleChangeProcessView(
            **self.chain_view().model_dump(),
            rule=self.start.change.rule,
            requested_from=self.start.change.payload.effective_from,
            applied=self.applied,
        )

    async def _write(self, outbox: Outbox) -> None:
        projection = self.chain_projection(self.started_at)
        await write(ProcessStore.sync_process, ProcessSync(process=projection, **outbox.as_fields()))
