"""P5 credit: the application for periodic settlement, and the GM's approval of a delivery over the limit.

`CreditApplication` (000 §13): marketing and finance review jointly, the marketing and finance
leaders approve jointly, and the general manager too when the limit is above the grade's ceiling
(001 §3). A return goes to the applicant, who corrects and resubmits; the chain starts again at the
joint review. On final approval one store activity grants the terms.

`OverLimitApproval` (001 §3 超过信用范围的特殊协议): a delivery the ledger refused as over the limit
waits for the general manager; on approval it is booked once, through the credit store.
"""

from __future__ import annotations

from decimal import Decimal

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.credit_application_store import CreditApplicationStore
    from activities.credit_hold import RatificationDecided
    from activities.credit_store import CreditStore
    from activities.process_store import ProcessStore
    from activities.process_sync import ProcessSync
    from domain import errors
    from domain.approvals import Outcome
    from domain.credit_application import (
        GM_SPECIAL_AGREEMENT,
        JOINT_REVIEW,
        AnalysisRequest,
        CreditAnalysis,
        CreditApplicationForm,
        CreditApplicationInput,
        CreditGrant,
        CreditResubmission,
        OverLimitInput,
        OverLimitView,
        credit_application_chain,
        granting_ceiling,
        over_limit_subject,
    )
    from domain.models import DecisionRequest, ProcessStatus, ProcessView, WithdrawRequest
    from domain.rule_change import RuleKind, RuleVersionRef
    from domain.step_deadlines import carried
    from workflows.activity_calls import store, write
    from workflows.approval import OUTCOME_STATUS, ApprovalChain, ProcessRef, SingleChainHost, refuse
    from workflows.kernel import Kernel, Outbox
    from workflows.rule_versions import PINNED, name_rule, pin_rule

# issue 20 item 10: the joint review is approved with the reviewers' analysis (000 §13).
ANALYSIS_REQUIRED = "credit-analysis-required"


@workflow.defn(name="CreditApplication")
class CreditApplicationWorkflow(SingleChainHost):
    @workflow.init
    def __init__(self, start: CreditApplicationInput) -> None:
        info = workflow.info()
        self.start = start
        self.form = start.form
        self.applicant_name = start.applicant.username
        self.status = ProcessStatus.running
        self.started_at = workflow.now()
        self.kernel = Kernel(self._write)
        unit = start.customer.unit
        self.approvals = ApprovalChain(
            chain=start.chain,
            process=ProcessRef(
                process_id=info.run_id,
                workflow_id=info.workflow_id,
                process_type=start.chain.process_type,
                subject=f"{start.customer.name} 定期结算申请 limit {start.form.limit:.2f}, {start.form.term_days} days",
                applicant=start.applicant.username,
                unit=unit,
                unit_path=tuple(start.unit_path) or ((unit,) if unit else ()),
            ),
            kernel=self.kernel,
        )
        self.resubmitted = False
        self.analyses: list[CreditAnalysis] = []  # every reviewer's analysis, in order (000 §13)
        self.analysis_required = False  # set in run: histories saved before approved the joint review bare

    @workflow.run
    async def run(self, start: CreditApplicationInput) -> ProcessView:
        return await self.kernel.guard(self._run())

    async def _run(self) -> ProcessView:
        self.analysis_required = workflow.patched(ANALYSIS_REQUIRED)
        # 新老划断: the application was checked against this version of the credit policy (its
        # ceiling decides whether the GM signs, 001 §3) and is decided under it to its end.
        name_rule(self.kernel, RuleVersionRef(rule=RuleKind.credit_policy, version=self.form.policy_version))
        resume_at: str | None = None
        while True:
            outcome = await self.approvals.run(resume_at)
            if outcome is None:  # withdrawn while a step was open
                break
            if outcome is Outcome.approve:
                await self._grant()
                self.status = ProcessStatus.approved
                break
            self.status = OUTCOME_STATUS[outcome]
            if self.status is ProcessStatus.rejected:  # nothing is written but the process (000 §13)
                break
            resume_at = self.approvals.resume_step()
            if not await self.await_resubmission():
                break
        await self.kernel.rest()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.view()

    async def _grant(self) -> None:
        last = self.approvals.decisions[-1]
        grant = CreditGrant(
            process_id=self.approvals.process.process_id,
            customer=self.start.customer,
            form=self.form,
            applicant=self.applicant_name,
            decided_by=last.actor,
            decided_at=last.at,
            analysis=self.analyses[-1] if self.analyses else None,
            analyses=self.analyses,
            gm_approved=any(
                d.step == GM_SPECIAL_AGREEMENT.key and d.outcome is Outcome.approve for d in self.approvals.decisions
            ),
        )
        await self.kernel.stored(lambda: store(CreditApplicationStore.grant_credit, grant))

    def _replan(self, limit: Decimal, ceiling: Decimal) -> None:
        """The GM step is in the chain exactly when the limit is above the ceiling (001 §3); the
        step deadlines pinned at the start stay (domain/step_deadlines.py)."""
        chain = carried(
            credit_application_chain(limit, ceiling).model_copy(
                update={"process_type": self.approvals.chain.process_type}
            ),
            self.approvals.chain,
        )
        self.approvals.chain = chain
        self.approvals.plan = list(chain.steps)

    # --- the reviewers' analysis: their approval of the joint review (000 §13) ------------------

    def form_required(self, step: str) -> str | None:
        """000 §13 (经认真分析后…核定客户信用等级): a reviewer approves the joint review only with
        their analysis — grade, limit, security, reasoning; returning or rejecting needs none."""
        if step == JOINT_REVIEW.key and self.analysis_required:
            return (
                "the joint review is approved with the reviewer's analysis (000 §13): "
                "POST /credit-applications/{id}/analysis"
            )
        return None

    def _analysis_decision(self, request: AnalysisRequest) -> DecisionRequest:
        """The reviewer's own seat of the joint review (a countersign: each role has its seat)."""
        seats = [s for s in self.approvals.open_seats if s.spec.step == JOINT_REVIEW.key]
        problem: ApplicationError = refuse(f"no {JOINT_REVIEW.key} task is open")
        for index in range(max(len(seats), 1)):
            decision = self.form_decision(JOINT_REVIEW.key, request.actor, request.analysis.reasoning, index)
            try:
                self.approvals.validate(decision)
            except ApplicationError as error:
                problem = error
                continue
            return decision
        raise problem

    @workflow.update
    async def analyse(self, request: AnalysisRequest) -> ProcessView:
        """The analysis approves the reviewer's seat and sets the terms: the latest analysis is the
        one granted (the second reviewer signs on, or amends, the first's), and the GM joins the
        chain when its limit is above the ceiling of the grade it set (001 §3)."""
        self.validate_analyse(request)
        decision = self._analysis_decision(request)
        # never above the ceiling of the grade on file at filing without the GM (001 §1, §3)
        ceiling = granting_ceiling(request.ceiling, self.form.ceiling)
        self.analyses.append(
            CreditAnalysis(
                **request.analysis.model_dump(),
                analysed_by=request.actor.username,
                analysed_at=workflow.now(),
                ceiling=ceiling,
            )
        )
        self._replan(request.analysis.limit, ceiling)
        self.kernel.main.move()
        await self.approvals.decide(decision)
        await self.kernel.rested()
        return self.view()

    @analyse.validator
    def validate_analyse(self, request: AnalysisRequest) -> None:
        self._require_open()
        self._analysis_decision(request)

    @workflow.update
    async def resubmit(self, request: CreditResubmission) -> ProcessView:
        """The corrected application; a limit now above (or below) the ceiling adds (or drops) the
        GM step (001 §3). The chain starts again at the joint review."""
        self.validate_resubmit(request)
        self.kernel.main.move()
        self.form = request.form
        self._replan(request.form.limit, request.form.ceiling)
        self.analyses = []  # a new round is analysed afresh
        self.resubmitted = True
        await self.kernel.rested()
        return self.view()

    @resubmit.validator
    def validate_resubmit(self, request: CreditResubmission) -> None:
        if self.status is not ProcessStatus.returned:
            raise ApplicationError(f"the process is {self.status.value}, not returned", type=errors.CONFLICT)
        if request.actor.username != self.applicant_name:
            raise ApplicationError("only the applicant may resubmit this application", type=errors.FORBIDDEN)
        if request.form.customer_id != self.form.customer_id:
            raise ApplicationError("a resubmission cannot change the customer", type=errors.INVALID)

    @workflow.query
    def view(self) -> ProcessView:
        return self.chain_view(self.start.customer.customer_id, round=self.approvals.round)

    @workflow.query
    def filed(self) -> CreditApplicationForm:
        """The application as filed or last resubmitted: the applicant's correction form starts from it
        (a query: nothing in the history changes)."""
        return self.form

    async def _write(self, outbox: Outbox) -> None:
        projection = self.chain_projection(
            self.started_at, customer_id=self.start.customer.customer_id, subject_key=self.start.customer.credit_code
        )
        await write(ProcessStore.sync_process, ProcessSync(process=projection, **outbox.as_fields()))


@workflow.defn(name="OverLimitApproval")
class OverLimitApprovalWorkflow(SingleChainHost):
    @workflow.init
    def __init__(self, start: OverLimitInput) -> None:
        info = workflow.info()
        self.start = start
        self.applicant_name = start.applicant.username
        self.status = ProcessStatus.running
        self.started_at = workflow.now()
        self.booked_entry_id: int | None = None
        self.kernel = Kernel(self._write)
        unit = start.customer.unit
        self.approvals = ApprovalChain(
            chain=start.chain,
            process=ProcessRef(
                process_id=info.run_id,
                workflow_id=info.workflow_id,
                process_type=start.chain.process_type,
                subject=over_limit_subject(
                    start.customer, start.entry, start.standing, ratification=start.ratification
                ),
                applicant=start.applicant.username,
                unit=unit,
                unit_path=(unit,) if unit else (),
            ),
            kernel=self.kernel,
        )

    @workflow.run
    async def run(self, start: OverLimitInput) -> OverLimitView:
        return await self.kernel.guard(self._run())

    async def _run(self) -> OverLimitView:
        if workflow.patched(PINNED):  # the policy in force when the delivery was refused, named
            await pin_rule(self.kernel, RuleKind.credit_policy)
        outcome = await self.approvals.run()
        if self.start.ratification:
            await self._ratified(outcome)
        elif outcome is Outcome.approve:
            await self._book()
            self.status = ProcessStatus.approved
            self._tell_poster(f"approved by the general manager: delivery booked (entry {self.booked_entry_id})")
        elif outcome is not None:  # rejected: nothing is booked; withdrawn: the status says so already
            self.status = OUTCOME_STATUS[outcome]
            self._tell_poster("refused by the general manager: the delivery is not booked")
        await self.kernel.rest()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.view()

    async def _ratified(self, outcome: Outcome | None) -> None:
        """Imported deliveries, booked already: the GM's answer lifts the credit hold (ratified) or
        keeps it until a credit review decides (refused), in the credit store (domain.credit.CreditHold)."""
        if outcome is None:  # no withdrawal of a ratification (validate_withdraw): nothing to settle
            return
        ratified = outcome is Outcome.approve
        decided = RatificationDecided(
            customer_id=self.start.customer.customer_id,
            process_id=self.approvals.process.process_id,
            workflow_id=self.approvals.process.workflow_id,
            ratified=ratified,
        )
        await self.kernel.stored(lambda: store(CreditStore.settle_ratification, decided))
        self.status = OUTCOME_STATUS[outcome]
        self._tell_poster(
            "ratified by the general manager: credit sales resume"
            if ratified
            else "ratification refused by the general manager: credit stays held until a credit review decides"
        )

    def validate_withdraw(self, request: WithdrawRequest) -> None:
        """A delivery made already is ratified or refused by the GM (001 §3), not withdrawn."""
        if self.start.ratification:
            raise refuse("a ratification of deliveries already made is decided by the general manager (001 §3)")
        super().validate_withdraw(request)

    async def _book(self) -> None:
        """The approved delivery, booked once: the entry names this process (001 §3)."""
        entry = self.start.entry.model_copy(update={"process_id": self.approvals.process.process_id})
        self.booked_entry_id = await self.kernel.stored(lambda: store(CreditStore.book_approved_delivery, entry))

    def _tell_poster(self, text: str) -> None:
        """Whoever posted the delivery learns the GM's answer: the goods wait on it (001 §3)."""
        self.kernel.outbox.notifications.append(
            self.approvals.supervision.notification("over_limit_decided", None, self.applicant_name, text, None)
        )

    @workflow.query
    def view(self) -> OverLimitView:
        return OverLimitView(
            **self.chain_view(self.start.customer.customer_id).model_dump(),
            entry=self.start.entry,
            detail=self.start.detail,
            booked_entry_id=self.booked_entry_id,
        )

    async def _write(self, outbox: Outbox) -> None:
        projection = self.chain_projection(
            self.started_at, customer_id=self.start.customer.customer_id, subject_key=self.start.customer.credit_code
        )
        await write(ProcessStore.sync_process, ProcessSync(process=projection, **outbox.as_fields()))
