"""P5 credit review 客户升(降)级评审 (001 信用审核; 003 §6; 000 §13).

Three workflows. `CreditReview` is one customer's review, a process like any other: it prepares the
review form from the ledger and the account, the marketing reviewer (业务部) decides its outcome with
the form (`assess`: keep / lower / withdraw), the business VP and the chief accountant approve
jointly, and the approval changes the credit terms and tells finance and the customer's unit.
`CreditReviewRound` (January and July, schedules.py) opens one review per credit customer (001
每年两次). `CreditRiskSweep` (daily) recomputes every credit customer's risk — overdue days grow
with no ledger change — and opens a risk review for each customer blocked by high risk (003 §6).
Both walk the customers in batches and continue as new, so thousands of customers are fine.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta, timezone
from typing import ClassVar

from temporalio import workflow
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from activities.credit_review_store import CreditReviewStore
    from activities.credit_store import CreditStore, RiskSweepRequest
    from activities.process_store import ProcessStore
    from activities.process_sync import ProcessSync
    from domain import errors
    from domain.approvals import Outcome
    from domain.credit import CreditCustomer, CreditReviewInput, ReviewOccasion, credit_review_workflow_id
    from domain.credit_review import (
        CREDIT_REVIEW_CHAIN,
        CREDIT_REVIEW_GM_CHAIN,
        AssessmentIn,
        AssessmentRequest,
        Batch,
        FormRequest,
        ReviewApplied,
        ReviewForm,
        ReviewFormView,
        RoundInput,
        SweepInput,
        assessment_errors,
        half_year,
        needs_general_manager,
        risk_key,
    )
    from domain.models import DecisionRequest, ProcessStatus, ProcessView
    from domain.rulebook import enforces
    from domain.step_deadlines import carried
    from workflows.activity_calls import look_up, store, write
    from workflows.approval import OUTCOME_STATUS, ApprovalChain, ProcessRef, SingleChainHost
    from workflows.kernel import Kernel, Outbox

CHINA = timezone(timedelta(hours=8))  # Asia/Shanghai keeps no daylight saving time
OCCASION_TITLE = {ReviewOccasion.semiannual: "半年度", ReviewOccasion.risk: "高风险", ReviewOccasion.manual: "专项"}


async def start_review(review: CreditReviewInput) -> bool:
    """Start one review as an abandoned child (it outlives the round); False when this review (same
    customer, occasion and key) was started before, open or closed: a second start is harmless."""
    try:
        await workflow.start_child_workflow(
            "CreditReview",
            review,
            id=credit_review_workflow_id(review.customer.credit_code, review.occasion, review.key),
            parent_close_policy=ParentClosePolicy.ABANDON,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
    except WorkflowAlreadyStartedError:
        return False
    return True


async def start_reviews(reviews: list[CreditReviewInput]) -> int:
    return sum(await asyncio.gather(*(start_review(r) for r in reviews)))


@enforces("001-credit-review-twice-a-year")
@workflow.defn(name="CreditReviewRound")
class CreditReviewRoundWorkflow:
    """001 信用审核 每年两次: one review per credit customer, keyed by the half year (2027H1)."""

    @workflow.run
    async def run(self, start: RoundInput) -> int:
        half = start.half or half_year(workflow.now().astimezone(CHINA).date())
        customers: list[CreditCustomer] = await store(
            CreditReviewStore.periodic_customers, Batch(after_customer_id=start.after_customer_id, limit=start.batch)
        )
        reviews = [CreditReviewInput(customer=c, occasion=ReviewOccasion.semiannual, key=half) for c in customers]
        opened = start.opened + await start_reviews(reviews)
        if len(customers) == start.batch:
            cursor = {"half": half, "after_customer_id": customers[-1].customer_id, "opened": opened}
            workflow.continue_as_new(start.model_copy(update=cursor))
        return opened


@enforces("003-6-risk-assessment")
@workflow.defn(name="CreditRiskSweep")
class CreditRiskSweepWorkflow:
    """Daily (003 §6): the risk of every credit customer recomputed for the day (turning high blocks
    credit sales and notifies, in `CreditStore.refresh_risks`), then a risk review for every
    customer blocked and not reviewed yet — its key is the moment the risk turned high, so each
    episode is reviewed once at a time. A review rejected leaves the customer blocked, and the next
    sweep opens the episode's next review (`domain.credit_review.risk_key`); the marketing manager
    may also open one by hand (`POST /customers/{id}/credit-reviews`)."""

    @workflow.run
    async def run(self, start: SweepInput) -> SweepInput:
        state = start.model_copy(update={"today": start.today or workflow.now().astimezone(CHINA).date()})
        assert state.today is not None
        if not state.risk_done:
            changes = await store(
                CreditStore.refresh_risks,
                RiskSweepRequest(today=state.today, after_customer_id=state.after_customer_id, limit=state.batch),
            )
            turned = state.turned_high + sum(1 for c in changes if c.turned_high)
            if len(changes) == state.batch:
                workflow.continue_as_new(
                    state.model_copy(update={"after_customer_id": changes[-1].customer_id, "turned_high": turned})
                )
            state = state.model_copy(update={"risk_done": True, "turned_high": turned})
        due = await store(
            CreditReviewStore.reviews_due, Batch(after_customer_id=state.reviews_after_customer_id, limit=state.batch)
        )
        reviews = [
            CreditReviewInput(
                customer=d.customer, occasion=ReviewOccasion.risk, key=risk_key(d.risk_since, d.closed_reviews)
            )
            for d in due
        ]
        state = state.model_copy(update={"reviews_started": state.reviews_started + await start_reviews(reviews)})
        if len(due) == state.batch:
            workflow.continue_as_new(
                state.model_copy(update={"reviews_after_customer_id": due[-1].customer.customer_id})
            )
        return state


@workflow.defn(name="CreditReview")
class CreditReviewWorkflow(SingleChainHost):
    form_steps: ClassVar[dict[str, str]] = {
        "assessment": "the assessment is decided with the review form's outcome: POST /credit-reviews/{id}/assessment"
    }

    @workflow.init
    def __init__(self, start: CreditReviewInput) -> None:
        info = workflow.info()
        self.start = start
        self.status = ProcessStatus.running
        self.started_at = workflow.now()
        # The review is the regulation's duty (001 每年两次, 003 §6), nobody's application — unless
        # the marketing manager opened it by hand: then theirs (they may withdraw it).
        self.applicant_name = start.requested_by or "system"
        self.form: ReviewForm | None = None
        self.assessment: AssessmentIn | None = None
        self.assessed_by: str | None = None
        self.assessed_at = workflow.now()
        customer = start.customer
        self.kernel = Kernel(self._write)
        self.approvals = ApprovalChain(
            chain=CREDIT_REVIEW_CHAIN,
            process=ProcessRef(
                process_id=info.run_id,
                workflow_id=info.workflow_id,
                process_type=CREDIT_REVIEW_CHAIN.process_type,
                subject=f"{customer.name} {OCCASION_TITLE[start.occasion]}信用评审 {start.key}",
                applicant=self.applicant_name,
                unit=customer.unit,
                unit_path=(customer.unit,) if customer.unit else (),
            ),
            kernel=self.kernel,
        )

    @workflow.run
    async def run(self, start: CreditReviewInput) -> ProcessView:
        return await self.kernel.guard(self._run())

    async def _run(self) -> ProcessView:
        today = workflow.now().astimezone(CHINA).date()
        request = FormRequest(
            customer=self.start.customer, occasion=self.start.occasion, key=self.start.key, today=today
        )
        self.form = await look_up(CreditReviewStore.prepare_form, request)
        outcome = await self.approvals.run()
        if outcome is Outcome.approve:
            await self._apply()
            self.status = ProcessStatus.approved
        elif outcome is not None:
            self.status = OUTCOME_STATUS[outcome]
        await self.kernel.rest()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.view()

    async def _apply(self) -> None:
        assert self.form is not None and self.assessment is not None and self.assessed_by is not None
        last = self.approvals.decisions[-1]
        approvers = [
            d.actor
            for d in self.approvals.decisions
            if d.step in {"approval", "gm_approval"} and d.round == last.round and d.outcome is Outcome.approve
        ]
        applied = ReviewApplied(
            process_id=self.approvals.process.process_id,
            customer_id=self.start.customer.customer_id,
            unit=self.start.customer.unit,
            subject=self.approvals.process.subject,
            form=self.form,
            assessment=self.assessment,
            assessed_by=self.assessed_by,
            assessed_at=self.assessed_at,
            approved_by=approvers,
            approved_at=last.at,
        )
        await self.kernel.stored(lambda: store(CreditReviewStore.apply_review, applied))

    # --- the review form's outcome: the marketing reviewer's decision (001 信用审核) -------------

    def _assess_decision(self, request: AssessmentRequest) -> DecisionRequest:
        return self.form_decision("assessment", request.actor, request.assessment.comment)

    @workflow.update
    async def assess(self, request: AssessmentRequest) -> ProcessView:
        self.validate_assess(request)
        decision = self._assess_decision(request)
        self.assessment = request.assessment
        self.assessed_by = request.actor.username
        self.assessed_at = workflow.now()
        if needs_general_manager(request.assessment, request.ceiling):  # only a raise (new): no replay differs
            self.approvals.chain = carried(CREDIT_REVIEW_GM_CHAIN, self.approvals.chain)  # deadlines as pinned
            self.approvals.plan = list(self.approvals.chain.steps)
        self.kernel.main.move()
        await self.approvals.decide(decision)
        await self.kernel.rested()
        return self.view()

    @assess.validator
    def validate_assess(self, request: AssessmentRequest) -> None:
        """Who may assess first (403/409), then whether the outcome fits the current terms (422)."""
        self._require_open()
        self.approvals.validate(self._assess_decision(request))
        assert self.form is not None  # the assessment task opens after the form is prepared
        problems = assessment_errors(self.form, request.assessment)
        if problems:
            raise ApplicationError("; ".join(problems), type=errors.INVALID)

    @workflow.query
    def view(self) -> ProcessView:
        return self.chain_view(self.start.customer.customer_id)

    @workflow.query
    def review_form(self) -> ReviewFormView:
        return ReviewFormView(
            process_id=self.approvals.process.process_id,
            status=self.status.value,
            form=self.form,
            assessment=self.assessment,
            assessed_by=self.assessed_by,
            assessed_at=self.assessed_at if self.assessed_by else None,
            requested_by=self.start.requested_by,
            reason=self.start.reason,
        )

    async def _write(self, outbox: Outbox) -> None:
        projection = self.chain_projection(self.started_at, customer_id=self.start.customer.customer_id)
        await write(ProcessStore.sync_process, ProcessSync(process=projection, **outbox.as_fields()))
