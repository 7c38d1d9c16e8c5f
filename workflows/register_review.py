"""P8 register reviews in February and August — 交易往来客户名簿调查 (004 §4 (二)).

A Temporal Schedule (schedules.py) starts `RegisterReviewRound` twice a year; the round opens one
`RegisterReview` per unit whose register lists customers. Each review is one task for the unit's
keeper (the depot or station manager for their unit, 000 §5; head-office marketing for head-office
files) listing the unit's customers; the keeper confirms each, suspends it (交易中止) or moves it to
past (交易过去, 004 §4 (四), §6). The results are recorded per customer and the cards' status follows,
and they are reported to the finance section, which keeps the register (004 §4 (二) 财务科; reading
chosen: the unit's keeper still reviews, as before, and finance is copied on the results — it may
read the review and is notified; a review opened before this rule reports nothing: `REPORT_TO_FINANCE`).
"""

from __future__ import annotations

from datetime import timedelta, timezone

from temporalio import workflow
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from activities.borrowing_store import BorrowingStore
    from activities.process_store import ProcessStore
    from activities.process_sync import ProcessSync
    from domain import errors
    from domain.approvals import Outcome
    from domain.borrowing import (
        ReviewDecision,
        ReviewInput,
        ReviewOpening,
        ReviewRecord,
        ReviewResult,
        ReviewRound,
        keeper_role,
        keeper_unit,
        review_summary,
    )
    from domain.models import Actor, DecisionRequest, ProcessStatus, ProcessView, TaskClosure, TaskSpec
    from domain.roles import UNIT_SCOPED_ROLES, Role
    from domain.rulebook import enforces
    from workflows.activity_calls import store, write
    from workflows.approval import ProcessRef, refuse
    from workflows.clock import Supervision
    from workflows.kernel import Kernel, Outbox

PROCESS_TYPE = "register_review"
REPORT_TO_FINANCE = "register-review-reported-to-finance"  # workflow.patched id (issue 20 item 9)
STEP = "register_review"
CHINA_OFFSET = timezone(timedelta(hours=8))  # Asia/Shanghai keeps no daylight saving time


def review_workflow_id(period: str, unit: str, round_run: str) -> str:
    """A unit's review of a period, opened by one round (a second round of the period skips the
    units reviewed already: `BorrowingStore.units_to_review`)."""
    return f"register-review-{period}-{unit}-{round_run}"


@workflow.defn(name="RegisterReviewRound")
class RegisterReviewRoundWorkflow:
    """What the schedule starts: one review per unit with customers on its register (004 §4 (二))."""

    @workflow.run
    @enforces("004-4-register-review-february-august")
    async def run(self, start: ReviewRound) -> list[str]:
        period = start.period or workflow.now().astimezone(CHINA_OFFSET).strftime("%Y-%m")
        units = await store(BorrowingStore.units_to_review, ReviewRound(period=period))
        opened: list[str] = []
        for unit in units.units:
            review_id = review_workflow_id(period, unit.unit, workflow.info().run_id)
            await workflow.start_child_workflow(
                RegisterReviewWorkflow.run,
                ReviewInput(period=period, unit=unit.unit, keeper=keeper_role(unit.kind)),
                id=review_id,
                parent_close_policy=ParentClosePolicy.ABANDON,
            )
            opened.append(review_id)
        return opened


@workflow.defn(name="RegisterReview")
class RegisterReviewWorkflow:
    """One unit's review: one task, the per-customer results, the cards' status (004 §4, §6)."""

    @workflow.init
    def __init__(self, start: ReviewInput) -> None:
        info = workflow.info()
        self.start = start
        self.status = ProcessStatus.running
        self.started_at = workflow.now()
        self.kernel = Kernel(self._write)
        self.process = ProcessRef(
            process_id=info.run_id,
            workflow_id=info.workflow_id,
            process_type=PROCESS_TYPE,
            subject=f"客户名簿复查 {start.period} {start.unit}",
            applicant="system",
            unit=start.unit,
        )
        self.kernel.process = self.process
        self.notes = Supervision(info.run_id, info.workflow_id, PROCESS_TYPE, self.process.subject)
        self.customers: list[int] = []
        self.task: TaskSpec | None = None
        self.decision: ReviewRecord | None = None

    @workflow.run
    async def run(self, start: ReviewInput) -> ProcessView:
        return await self.kernel.guard(self._run())

    async def _run(self) -> ProcessView:
        opening = ReviewOpening(review_id=self.process.process_id, unit=self.start.unit, period=self.start.period)
        self.customers = await self.kernel.stored(lambda: store(BorrowingStore.open_review, opening))
        if self.customers:
            await self._open_task()
            await workflow.wait_condition(lambda: self.decision is not None)
            decision = self.decision
            assert decision is not None
            await self.kernel.stored(lambda: store(BorrowingStore.record_review, decision))
            if workflow.patched(REPORT_TO_FINANCE):
                self.notes.report(self.kernel.outbox, Role.finance_reviewer, review_summary(decision), STEP)
        self.status = ProcessStatus.approved
        await self.kernel.rest()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.view()

    async def _open_task(self) -> None:
        keeper = self.start.keeper
        self.task = TaskSpec(
            task_id=str(workflow.uuid4()),
            process_id=self.process.process_id,
            workflow_id=self.process.workflow_id,
            process_type=PROCESS_TYPE,
            step=STEP,
            step_title=f"客户名簿复查 Register review {self.start.period}: {len(self.customers)} customers (004 §4)",
            role=keeper,
            unit=keeper_unit(keeper, self.start.unit),
            subject=self.process.subject,
            created_at=workflow.now(),
        )
        self.kernel.outbox.put_task(self.task)
        text = f"{len(self.customers)} customers to confirm, suspend or move to past"
        self.kernel.outbox.notifications.append(self.notes.notification("review", keeper, None, text, STEP))
        await self.kernel.rest()

    # --- the decision (Updates) ----------------------------------------------------------------

    @workflow.update
    async def review(self, request: ReviewDecision) -> ProcessView:
        """The keeper's results per customer; a customer of the list not named is confirmed."""
        self.validate_review(request)
        self._decide(request.actor, request.results, request.comment)
        await self.kernel.rested()
        return self.view()

    @review.validator
    def validate_review(self, request: ReviewDecision) -> None:
        self._require_reviewer(request.actor)
        unknown = sorted(set(request.results) - set(self.customers))
        if unknown:
            raise refuse(f"not on this unit's register review: customers {unknown}", errors.INVALID)

    @workflow.update
    async def decide(self, request: DecisionRequest) -> ProcessView:
        """From the inbox: approve confirms every customer on the list as it stands."""
        self.validate_decide(request)
        self._decide(request.actor, {}, request.comment)
        await self.kernel.rested()
        return self.view()

    @decide.validator
    def validate_decide(self, request: DecisionRequest) -> None:
        self._require_reviewer(request.actor)
        if self.task is None or request.task_id != self.task.task_id:
            raise refuse(f"task {request.task_id} is not open in this review")
        if request.outcome is not Outcome.approve:
            raise refuse("to suspend or move customers to past, send per-customer results", errors.INVALID)

    @workflow.update
    async def current(self) -> ProcessView:
        await self.kernel.rested()
        return self.view()

    def _require_reviewer(self, actor: Actor) -> None:
        if self.status is not ProcessStatus.running or self.task is None or self.decision is not None:
            raise refuse(f"the review is {self.status.value} and waits for no decision")
        keeper = self.start.keeper
        if not actor.has(keeper) or (keeper in UNIT_SCOPED_ROLES and actor.unit != self.start.unit):
            raise refuse(f"this review is for the {keeper.value} of {self.start.unit} (000 §5)", errors.FORBIDDEN)

    def _decide(self, actor: Actor, results: dict[int, ReviewResult], comment: str | None) -> None:
        assert self.task is not None
        self.kernel.main.move()
        now = workflow.now()
        self.decision = ReviewRecord(
            review_id=self.process.process_id,
            period=self.start.period,
            comment=comment,
            results={c: results.get(c, ReviewResult.confirm) for c in self.customers},
            decided_by=actor.username,
            decided_at=now,
        )
        self.kernel.outbox.close(
            TaskClosure(
                task_id=self.task.task_id,
                status="done",
                outcome=Outcome.approve,
                decided_by=actor.username,
                decided_at=now,
                comment=comment,
            )
        )

    # --- state ---------------------------------------------------------------------------------

    @workflow.query
    def view(self) -> ProcessView:
        waiting = self.status is ProcessStatus.running and self.task is not None and self.decision is None
        holder = f"{self.task.role.value}@{self.task.unit}" if self.task and self.task.role and self.task.unit else None
        return ProcessView(
            process_id=self.process.process_id,
            process_type=PROCESS_TYPE,
            status=self.status,
            current_step=STEP if waiting else None,
            open_task_ids=[self.task.task_id] if waiting and self.task else [],
            holders=[holder or (self.task.role.value if self.task and self.task.role else "")] if waiting else [],
        )

    async def _write(self, outbox: Outbox) -> None:
        view = self.view()
        projection = self.process.projection(view.status, view.current_step, self.started_at)
        await write(ProcessStore.sync_process, ProcessSync(process=projection, **outbox.as_fields()))
