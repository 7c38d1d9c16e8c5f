"""P6 grading A/B/C — 客户等级 (001 §1, 000 §11, 002 rule 3).

Two workflows. `GradingClock` is one customer's clock: a durable timer that sleeps through the
first year (grade C, 001 §1), opens the first grading round on the anniversary, then one round at
each year end, continuing-as-new after each so its history stays a few events long. `Grading` is
one round, a process like any other: the marketing manager's task is decided with the score sheet
(`score`), computed with the grading rule in force on the scoring day; the business VP approves,
and the approval writes the sheet and sets the grade.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime, time
from typing import ClassVar

from temporalio import workflow
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    # the zone made outside the sandbox: a ZoneInfo made inside it is a restricted proxy
    from activities.grading_store import CHINA, SWEEP_BATCH, GradingStore
    from activities.process_store import ProcessStore
    from activities.process_sync import ProcessSync
    from domain import grading as rules
    from domain.approvals import Outcome
    from domain.grading import (
        GradingApplied,
        GradingCheck,
        GradingClockInput,
        GradingConfigView,
        GradingInput,
        ScoreRequest,
        ScoreResult,
        grading_clock_id,
        grading_workflow_id,
    )
    from domain.models import DecisionRequest, ProcessStatus, ProcessView
    from domain.rule_change import RuleKind, RuleVersionRef
    from workflows.activity_calls import look_up, store, write
    from workflows.approval import OUTCOME_STATUS, ApprovalChain, ProcessRef, SingleChainHost
    from workflows.clock import sleep_until
    from workflows.kernel import Kernel, Outbox
    from workflows.rule_versions import PINNED, name_rule


CLOCK_GATE_PATCH = "grading-clock-status-gate"  # issue 20 §1.1-2: clocks asleep before it replay as they ran


@workflow.defn(name="GradingClock")
class GradingClockWorkflow:
    """A customer's grading clock (no process row: nothing waits for a person until it fires)."""

    @workflow.run
    async def run(self, start: GradingClockInput) -> None:
        opens_at = datetime.combine(start.next_grading_on, time(0), CHINA)
        await sleep_until(opens_at, lambda: False)
        period = rules.grading_period(start.next_grading_on)
        # 001 §1, 004 §4-§6: no round for a customer in its first year of trade or not trading now
        # (suspended, past, terminated, destroyed); the clock runs on and asks again next year.
        problem = None
        if workflow.patched(CLOCK_GATE_PATCH):
            check = GradingCheck(customer_id=start.customer_id, on=start.next_grading_on)
            problem = await look_up(GradingStore.grading_problem, check)
        if problem is None:
            await self._open_round(start, period)
        workflow.continue_as_new(
            start.model_copy(update={"next_grading_on": rules.next_year_end_grading_day(start.next_grading_on)})
        )

    async def _open_round(self, start: GradingClockInput, period: str) -> None:
        # a round opened by hand is already open: it is this year's round
        with suppress(WorkflowAlreadyStartedError):
            await workflow.start_child_workflow(
                "Grading",
                GradingInput(
                    customer_id=start.customer_id,
                    credit_code=start.credit_code,
                    customer_name=start.customer_name,
                    unit=start.unit,
                    period=period,
                ),
                id=grading_workflow_id(start.credit_code),
                parent_close_policy=ParentClosePolicy.ABANDON,
            )


@workflow.defn(name="GradingClockSweep")
class GradingClockSweepWorkflow:
    """Daily (schedules.py): every customer without a grading clock gets one, whichever path created
    it (onboarding, a trade award, a depot or station customer). Least coupled: no creation
    workflow changes (their saved histories stay as they are), and a clock missed for any reason
    is started the next day. The clocks are abandoned children: they outlive the sweep."""

    @workflow.run
    async def run(self) -> int:
        missing = await look_up(GradingStore.customers_without_clock, SWEEP_BATCH)
        for clock in missing:
            with suppress(WorkflowAlreadyStartedError):  # started by `POST /customers/{id}/grading`
                await workflow.start_child_workflow(
                    "GradingClock",
                    clock,
                    id=grading_clock_id(clock.credit_code),
                    parent_close_policy=ParentClosePolicy.ABANDON,
                )
        if missing:
            await store(GradingStore.mark_clocks_started, [c.customer_id for c in missing])
        return len(missing)


@workflow.defn(name="Grading")
class GradingWorkflow(SingleChainHost):
    form_steps: ClassVar[dict[str, str]] = {
        "score": "the score step is approved with the score sheet: POST /customers/{id}/grading/scores"
    }

    @workflow.init
    def __init__(self, start: GradingInput) -> None:
        info = workflow.info()
        self.start = start
        self.status = ProcessStatus.running
        self.started_at = workflow.now()
        # Grading is the regulation's duty, not somebody's application: the manager who asks for a
        # round by hand is the one who scores it, so nobody is its applicant (recorded in the start).
        self.applicant_name = "system"
        self.result: ScoreResult | None = None
        self.config: GradingConfigView | None = None  # the rule pinned at the start (None: an older round)
        self.kernel = Kernel(self._write)
        self.approvals = ApprovalChain(
            chain=start.chain,
            process=ProcessRef(
                process_id=info.run_id,
                workflow_id=info.workflow_id,
                process_type=start.chain.process_type,
                subject=f"{start.customer_name} {start.period} 等级评定",
                applicant=self.applicant_name,
                unit=start.unit,
                unit_path=(start.unit,) if start.unit else (),
            ),
            kernel=self.kernel,
        )

    @workflow.run
    async def run(self, start: GradingInput) -> ProcessView:
        return await self.kernel.guard(self._run())

    async def _run(self) -> ProcessView:
        if workflow.patched(PINNED):
            await self._pin_rule()
        outcome = await self.approvals.run()
        if outcome is Outcome.approve:
            assert self.result is not None
            last = self.approvals.decisions[-1]
            applied = GradingApplied(
                process_id=self.approvals.process.process_id,
                customer_id=self.start.customer_id,
                period=self.start.period,
                result=self.result,
                approved_by=last.actor,
                approved_at=last.at,
            )
            await self.kernel.stored(lambda: store(GradingStore.apply_grading, applied))
            self.status = ProcessStatus.approved
        elif outcome is not None:
            self.status = OUTCOME_STATUS[outcome]
        await self.kernel.rest()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.view()

    async def _pin_rule(self) -> None:
        """新老划断: the round is scored with the grading rule in force when it opened, even if a newer
        version takes effect before the manager scores (issue 20 item 7; domain/rule_change.py)."""
        opened_on = workflow.now().astimezone(CHINA).date()
        self.config = await look_up(GradingStore.grading_config, opened_on)
        ref = RuleVersionRef(
            rule=RuleKind.grading_rule, version=self.config.version, effective_from=self.config.effective_from
        )
        name_rule(self.kernel, ref)

    # --- the score sheet: the manager's decision (001 §1) --------------------------------------

    def _score_decision(self, request: ScoreRequest) -> DecisionRequest:
        return self.form_decision("score", request.actor, request.sheet.comment)

    @workflow.update
    async def score(self, request: ScoreRequest) -> ProcessView:
        self.validate_score(request)
        config = self.config
        if config is None:  # a round opened before rules were pinned: the rule of the scoring day
            scored_on = workflow.now().astimezone(CHINA).date()
            config = await look_up(GradingStore.grading_config, scored_on)
        decision = self._score_decision(request)  # again: a racing decision may have won meanwhile
        self.approvals.validate(decision)
        self.result = rules.score(request.sheet.scores, config, request.actor.username, workflow.now())
        self.kernel.main.move()
        await self.approvals.decide(decision)
        await self.kernel.rested()
        return self.view()

    @score.validator
    def validate_score(self, request: ScoreRequest) -> None:
        self._require_open()
        self.approvals.validate(self._score_decision(request))

    @workflow.query
    def view(self) -> ProcessView:
        return self.chain_view(self.start.customer_id)

    async def _write(self, outbox: Outbox) -> None:
        projection = self.chain_projection(self.started_at, customer_id=self.start.customer_id)
        await write(ProcessStore.sync_process, ProcessSync(process=projection, **outbox.as_fields()))
