"""P9 visits — 拜访 (000 §12, §15; 002 rule 7).

`VisitPlan`: a salesperson's plan for next month, approved by the marketing manager by the last
working day before the month (000 §12; the step's deadline is computed per plan, the escalation
goes to the business VP). On approval each visit becomes a `Visit`, a child the plan waits for.

`Visit`: a durable timer sleeps until the visit day; then the salesperson's report task opens, due
2 working days later with a reminder and an escalation to the marketing manager (002 rule 7). The
report (`report`) is the decision of that task; a report sent early ends the visit without a task.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    # the zone made outside the sandbox: a ZoneInfo made inside it is a restricted proxy
    from activities.visit_store import CHINA, VisitPlanSync, VisitStore, VisitSync
    from domain import errors
    from domain.approvals import Outcome
    from domain.models import DecisionRequest, ProcessStatus, ProcessView
    from domain.visits import (
        VISIT_DAY_STARTS,
        PlanDueQuery,
        ReportRequest,
        VisitInput,
        VisitPlanInput,
        VisitReported,
        future_visit_problem,
        visit_workflow_id,
    )
    from workflows.activity_calls import look_up, store, write
    from workflows.approval import OUTCOME_STATUS, ApprovalChain, ProcessRef, SingleChainHost, refuse
    from workflows.clock import sleep_until
    from workflows.kernel import Kernel, Outbox


@workflow.defn(name="VisitPlan")
class VisitPlanWorkflow(SingleChainHost):
    @workflow.init
    def __init__(self, start: VisitPlanInput) -> None:
        info = workflow.info()
        self.start = start
        self.status = ProcessStatus.running
        self.started_at = workflow.now()
        self.applicant_name = start.salesperson.username
        self.kernel = Kernel(self._write)
        unit = start.salesperson.unit
        self.approvals = ApprovalChain(
            chain=start.chain,
            process=ProcessRef(
                process_id=info.run_id,
                workflow_id=info.workflow_id,
                process_type=start.chain.process_type,
                subject=f"{start.month} 拜访计划 {start.salesperson.username} ({len(start.visits)})",
                applicant=start.salesperson.username,
                unit=unit,
                unit_path=tuple(start.unit_path) or ((unit,) if unit else ()),
            ),
            kernel=self.kernel,
        )

    @workflow.run
    async def run(self, start: VisitPlanInput) -> ProcessView:
        return await self.kernel.guard(self._run())

    async def _run(self) -> ProcessView:
        # 000 §12: approved before the month starts — due on the last working day before it.
        days = await look_up(VisitStore.plan_due_working_days, PlanDueQuery(month=self.start.month, at=workflow.now()))
        self.approvals.set_first_step_due(days)
        outcome = await self.approvals.run()
        if outcome is not None:
            self.status = OUTCOME_STATUS[outcome]
        visits = []
        if outcome is Outcome.approve:
            for visit in self.start.visits:
                child = await workflow.start_child_workflow(
                    "Visit",
                    VisitInput(
                        visit_id=visit.visit_id,
                        plan_id=self.start.plan_id,
                        salesperson=self.start.salesperson.username,
                        unit=self.start.salesperson.unit,
                        customer_id=visit.customer_id,
                        customer_name=visit.customer_name,
                        planned_on=visit.planned_on,
                    ),
                    id=visit_workflow_id(workflow.info().workflow_id, visit.visit_id),
                )
                visits.append(child)
        await self.kernel.rest()
        # The plan stays open (approved) until every visit is reported: its visits are its children.
        await asyncio.gather(*visits)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.view()

    @workflow.query
    def view(self) -> ProcessView:
        return self.chain_view()

    async def _write(self, outbox: Outbox) -> None:
        view = self.view()
        projection = self.chain_projection(self.started_at)
        decided = self.approvals.decisions[-1] if self.approvals.decisions and not view.status.is_open else None
        sync = VisitPlanSync(
            process=projection,
            plan_id=self.start.plan_id,
            plan_status=view.status.value,
            decided_by=decided.actor if decided else None,
            decided_at=decided.at if decided else None,
            **outbox.as_fields(),
        )
        await write(VisitStore.sync_visit_plan, sync)


@workflow.defn(name="Visit")
class VisitWorkflow(SingleChainHost):
    @workflow.init
    def __init__(self, start: VisitInput) -> None:
        info = workflow.info()
        self.start = start
        self.status = ProcessStatus.running
        self.started_at = workflow.now()
        self.applicant_name = start.salesperson
        self.reported = False
        self.kernel = Kernel(self._write)
        self.approvals = ApprovalChain(
            chain=start.chain,
            process=ProcessRef(
                process_id=info.run_id,
                workflow_id=info.workflow_id,
                process_type=start.chain.process_type,
                subject=f"{start.planned_on.isoformat()} 拜访 {start.customer_name}",
                # the report is the salesperson's own task: the process has no applicant to refuse
                applicant="system",
                unit=start.unit,
                unit_path=(start.unit,) if start.unit else (),
            ),
            kernel=self.kernel,
            signers={"report": [start.salesperson]},
        )

    @workflow.run
    async def run(self, start: VisitInput) -> ProcessView:
        return await self.kernel.guard(self._run())

    async def _run(self) -> ProcessView:
        await self.kernel.rest()
        visit_day = datetime.combine(self.start.planned_on, VISIT_DAY_STARTS, CHINA)
        if await sleep_until(visit_day, lambda: self.reported or self.status is not ProcessStatus.running):
            await self.approvals.run()  # ends when the report decides the task (or on withdrawal)
        if self.status is ProcessStatus.running:
            self.status = ProcessStatus.approved
        await self.kernel.rest()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.view()

    def _report_decision(self, request: ReportRequest) -> DecisionRequest | None:
        """The report task's decision, or None before the visit day (no task yet)."""
        seats = [s for s in self.approvals.open_seats if s.spec.step == "report"]
        if not seats:
            return None
        spec = seats[0].spec
        return DecisionRequest(
            task_id=spec.task_id,
            step="report",
            outcome=Outcome.approve,
            comment="拜访报告已提交",
            actor=request.actor,
            on_behalf_of=spec.on_behalf_of if spec.assignee == request.actor.username else None,
        )

    @workflow.update
    async def report(self, request: ReportRequest) -> ProcessView:
        self.validate_report(request)
        self.kernel.main.move()
        self.reported = True
        reported = VisitReported(
            visit_id=self.start.visit_id,
            report=request.report,
            reported_by=request.actor.username,
            reported_at=workflow.now(),
        )
        await self.kernel.stored(lambda: store(VisitStore.record_report, reported))
        decision = self._report_decision(request)
        if decision is not None:
            await self.approvals.decide(decision)
        await self.kernel.rested()
        return self.view()

    @report.validator
    def validate_report(self, request: ReportRequest) -> None:
        """002 rule 7: the salesperson who planned the visit (or whoever holds the task) reports, once."""
        self._require_open()
        if self.reported:
            raise refuse("the visit is already reported")
        if request.report.visited_on < self.start.planned_on.replace(day=1):
            raise refuse("the visit date lies before the plan's month", errors.INVALID)
        decision = self._report_decision(request)
        if decision is not None:
            self.approvals.validate(decision)
        elif request.actor.username != self.start.salesperson:
            raise refuse(f"only {self.start.salesperson} reports this visit", errors.FORBIDDEN)
        problem = future_visit_problem(request.report.visited_on, workflow.now().astimezone(CHINA).date())
        if problem:
            raise refuse(problem, errors.INVALID)

    @workflow.query
    def view(self) -> ProcessView:
        return self.chain_view(self.start.customer_id)

    async def _write(self, outbox: Outbox) -> None:
        view = self.view()
        projection = self.chain_projection(self.started_at, customer_id=self.start.customer_id)
        sync = VisitSync(
            process=projection, visit_id=self.start.visit_id, report_due_at=view.due_at, **outbox.as_fields()
        )
        await write(VisitStore.sync_visit, sync)
