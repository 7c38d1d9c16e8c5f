"""A change of a company rule — 规则变更 (001 信用管理措施 §1-§2, 001 §1; domain/rule_change.py).

A declared chain run on its own (the generic `Approval` workflow: business VP, then general
manager) on the one approval engine; the drafter is the applicant, so the engine refuses them any
seat of their own change. Only the GM's approval writes the new version, through one store
activity, in force from its date; a rejection writes nothing, so the rule in force never meets a
change nobody approved.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.grading_store import CHINA
    from activities.rule_store import RuleStore
    from domain.approvals import Outcome
    from domain.models import ProcessView
    from domain.rule_change import RuleApproval, RuleChangeInput, RuleChangeView, RuleVersionRef
    from workflows.activity_calls import store
    from workflows.generic_approval import ApprovalWorkflow


class RuleChangeProcessView(ProcessView, RuleChangeView):
    pass


@workflow.defn(name="RuleChange")
class RuleChangeWorkflow(ApprovalWorkflow):
    @workflow.init
    def __init__(self, start: RuleChangeInput) -> None:
        super().__init__(start)
        self.change = start.change
        self.applied: RuleVersionRef | None = None

    @workflow.run
    async def run(self, start: RuleChangeInput) -> RuleChangeProcessView:  # type: ignore[override]
        await super().run(start)
        return self.view()

    async def concluded(self, outcome: Outcome) -> None:
        if outcome is Outcome.approve:
            last = self.approvals.decisions[-1]
            approval = RuleApproval(
                process_id=self.approvals.process.process_id,
                change=self.change,
                drafted_by=self.applicant_name,
                approved_by=last.actor,
                approved_on=last.at.astimezone(CHINA).date(),
            )
            self.applied = await self.kernel.stored(lambda: store(RuleStore.apply_approved_change, approval))
            text = f"approved: {self.applied.rule.value} v{self.applied.version} from {self.applied.effective_from}"
        else:
            text = f"{outcome.value}: the {self.change.rule.value} in force stays as it is"
        self.kernel.outbox.notifications.append(
            self.approvals.supervision.notification("rule_change_decided", None, self.applicant_name, text, None)
        )

    @workflow.query
    def view(self) -> RuleChangeProcessView:
        return RuleChangeProcessView(
            **self.chain_view().model_dump(),
            rule=self.change.rule,
            requested_from=self.change.payload.effective_from,
            applied=self.applied,
        )
