"""P1 onboarding of an allocation customer — 配置客户资信审批 (000 §6).

The application walks marketing review → finance re-check → business VP consent → GM approval.
A return sends it back to the applicant (or to an earlier step), and the resubmission starts again
where the chain declares; a rejection or a withdrawal ends it. On GM approval the customer is
created. Every step action (delegate, transfer, add signer, claim, urge, CC) comes from
`ApprovalHost`.
"""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.customer_registry import CustomerRegistry
    from activities.process_store import ProcessStore
    from activities.process_sync import ProcessSync
    from domain import errors
    from domain.approvals import ONBOARDING_CHAIN, Outcome
    from domain.china_time import in_china
    from domain.documents import document_problems, expired_documents, pinned_list
    from domain.models import (
        CustomerCreation,
        DecisionRequest,
        OnboardingApplication,
        OnboardingInput,
        ProcessStatus,
        ProcessView,
        ResubmitRequest,
        onboarding_kind_problem,
    )
    from domain.rule_change import documents_ref
    from domain.rulebook import enforces
    from workflows.activity_calls import store, write
    from workflows.approval import OUTCOME_STATUS, ApprovalChain, ProcessRef, SingleChainHost
    from workflows.kernel import Kernel, Outbox
    from workflows.rule_versions import name_rule


@workflow.defn(name="Onboarding")
class OnboardingWorkflow(SingleChainHost):
    @workflow.init
    def __init__(self, start: OnboardingInput) -> None:
        info = workflow.info()
        self.application: OnboardingApplication = start.application
        self.applicant = start.applicant
        self.applicant_name = start.applicant.username
        self.status = ProcessStatus.running
        self.customer_id: int | None = None
        self.started_at = workflow.now()
        self.kernel = Kernel(self._write)
        self.approvals = ApprovalChain(
            chain=start.chain or ONBOARDING_CHAIN,
            process=ProcessRef(
                process_id=info.run_id,
                workflow_id=info.workflow_id,
                process_type=ONBOARDING_CHAIN.process_type,
                subject=start.application.customer.name,
                applicant=start.applicant.username,
                unit=start.applicant.unit,
                unit_path=tuple(start.unit_path),
            ),
            kernel=self.kernel,
        )
        self.resubmitted = False
        # 新老划断: the document list in force when the application was filed (000 §6), to the end
        self.required = pinned_list(start.required)

    @workflow.run
    async def run(self, start: OnboardingInput) -> ProcessView:
        return await self.kernel.guard(self._run(start))

    @enforces("000-6-customer-after-gm-approval")
    async def _run(self, start: OnboardingInput) -> ProcessView:
        if start.required is not None:  # absent in processes filed before the list was versioned
            name_rule(self.kernel, documents_ref(start.required))
        resume_at: str | None = None
        while True:
            outcome = await self.approvals.run(resume_at)
            if outcome is None:  # withdrawn while a step was open
                break
            if outcome is Outcome.approve:
                await self._create_customer()
                self.status = ProcessStatus.approved
                break
            self.status = OUTCOME_STATUS[outcome]
            if self.status is ProcessStatus.rejected:
                break
            resume_at = self.approvals.resume_step()
            if not await self.await_resubmission():
                break
        await self.kernel.rest()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.view()

    # --- the sign-off (Update; withdraw and current come from SingleChainHost) ------------------

    @workflow.update
    async def decide(self, request: DecisionRequest) -> ProcessView:
        view: ProcessView = await SingleChainHost.decide(self, request)
        return view

    @decide.validator
    @enforces("000-6-customer-after-gm-approval")
    def validate_sign_off(self, request: DecisionRequest) -> None:
        """The chain's checks, then 000 §6 once more at the sign-off: the approval that completes the
        chain creates the customer, so every required document must still be in force that China day
        (domain.documents.expired_documents). The completing step is the last of the running plan —
        the general manager's, or a signer added after it. In the validator only, which never runs
        on replay: decisions accepted before this check replay as they ran."""
        self.validate_decide(request)
        if request.outcome is not Outcome.approve or request.step != self.approvals.plan[-1].key:
            return
        expired = expired_documents(
            self.application.documents,
            self.required,
            in_china(workflow.now()).date(),
            delegate=self.application.customer.delegate is not None,
        )
        if expired:
            raise ApplicationError(
                f"000 §6: {'; '.join(expired)} — a document expired while the case was under review; "
                "return the application to the applicant for the renewed document, or reject it",
                type=errors.CONFLICT,
            )

    # --- resubmission (Update) -------------------------------------------------------------------

    @workflow.update
    async def resubmit(self, request: ResubmitRequest) -> ProcessView:
        self._check_resubmit(request)
        self.kernel.main.move()
        self.application = request.application
        self.resubmitted = True
        await self.kernel.rested()
        return self.view()

    @resubmit.validator
    @enforces("000-6-documents")
    def validate_resubmit(self, request: ResubmitRequest) -> None:
        """Only the applicant corrects a returned application, and only into a complete one of a kind
        onboarding is for (000 §6). The rules on the application itself sit in the validator only,
        which never runs on replay: resubmissions accepted under earlier rules replay as they ran."""
        self._check_resubmit(request)
        kind_problem = onboarding_kind_problem(request.application.customer.kind)
        problems = [kind_problem] if kind_problem else []
        problems += document_problems(
            request.application.documents,
            self.required,
            in_china(workflow.now()).date(),  # the China day (000 §6), as at the sign-off
            delegate=request.application.customer.delegate is not None,
        )
        if problems:
            raise ApplicationError("; ".join(problems), problems, type=errors.INVALID)

    def _check_resubmit(self, request: ResubmitRequest) -> None:
        self._require_status(ProcessStatus.returned)
        self._require_applicant(request.actor.username, "resubmit")
        if request.application.customer.credit_code != self.application.customer.credit_code:
            raise ApplicationError("a resubmission cannot change the customer's credit code", type=errors.INVALID)

    @workflow.query
    def view(self) -> ProcessView:
        return self.chain_view(self.customer_id, round=self.approvals.round)

    @workflow.query
    def filed(self) -> OnboardingApplication:
        """The application as filed or last resubmitted: the applicant's correction form starts from it."""
        return self.application

    # --- helpers -------------------------------------------------------------------------------

    def _require_status(self, status: ProcessStatus) -> None:
        if self.status is not status:
            raise ApplicationError(f"the process is {self.status.value}, not {status.value}", type=errors.CONFLICT)

    def _require_applicant(self, username: str, action: str) -> None:
        if username != self.applicant.username:
            raise ApplicationError(f"only the applicant may {action} this application", type=errors.FORBIDDEN)

    async def _create_customer(self) -> None:
        last = self.approvals.decisions[-1]
        creation = CustomerCreation(
            process_id=self.approvals.process.process_id,
            customer=self.application.customer,
            documents=self.application.documents,
            created_by=last.actor,
            approved_at=last.at,
        )
        self.customer_id = await self.kernel.stored(lambda: store(CustomerRegistry.create_customer, creation))

    async def _write(self, outbox: Outbox) -> None:
        """One write: the process row, its search attributes, and whatever the moment changed."""
        view = self.view()
        projection = self.approvals.process.projection(
            view.status,
            view.current_step,
            self.started_at,
            customer_id=self.customer_id,
            subject_key=self.application.customer.credit_code,
        )
        sync = ProcessSync(process=projection, **outbox.as_fields())
        await write(ProcessStore.sync_process, sync)
