"""P7 complaints — 客户投诉 (000 §16, 001 complaint rules, 002 rule 2, 003 §3).

Registered → investigated by marketing (the handler is named) → for product causes the
technical verdict and the remedy, each within 1 working day (001) → resolution and reply to the
customer → closed. The clock acts on its own: a reminder before the deadline; past it the
complaint is overdue and climbs the escalation ladder one level per missed period, each level
getting a task and a notification. Deadlines come from an activity (working-day calendar) and
are waited on with durable timers: no polling, no table scans.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.complaint_store import ComplaintStore, ComplaintSync
    from domain import errors
    from domain.complaint_models import ComplaintInput, ComplaintProjection, ComplaintView, ExtensionRequest
    from domain.complaints import (
        ESCALATION_LADDER,
        EXTENDED_WORKING_DAYS,
        EXTENSION_CHAIN,
        REMEDY_WORKING_DAYS,
        REPORT_AT_ONCE,
        RUSH_PRODUCTION_WORKING_DAYS,
        VERDICT_WORKING_DAYS,
        ComplaintStage,
        Remedy,
        Severity,
        deadline_working_days,
        needs_rush_production,
        remedy_role,
    )
    from domain.models import DeadlineReplan, DecisionRequest, ProcessProjection, ProcessStatus
    from domain.roles import Role
    from domain.rulebook import enforces
    from workflows.activity_calls import write
    from workflows.approval import ApprovalChain, ApprovalHost, ProcessRef, holders_of
    from workflows.clock import DeadlineClock, Supervision
    from workflows.complaint_clock import LEVELS, REMIND_BEFORE
    from workflows.complaint_work import ComplaintWork
    from workflows.kernel import Kernel, Outbox

PROCESS_TYPE = "complaint"
# Issue 20 item 12: after marketing's re-production order, production_dept runs it as a rush order,
# an inbox task with its own deadline. Complaints whose history passed the remedy without it replay
# as they ran.
RUSH_PRODUCTION_PATCH = "complaint-rush-production"


@workflow.defn(name="Complaint")
class ComplaintWorkflow(ComplaintWork, ApprovalHost):
    """One complaint from registration to the customer's reply; its clocks (workflows/complaint_clock.py)
    and its stages' work (workflows/complaint_work.py) are its parts."""

    @workflow.init
    def __init__(self, start: ComplaintInput) -> None:
        info = workflow.info()
        self.ref = ProcessRef(
            process_id=info.run_id,
            workflow_id=info.workflow_id,
            process_type=PROCESS_TYPE,
            subject=f"{start.record.customer_name}: {start.record.category.value}",
            applicant=start.registered_by.username,
            unit=start.unit,
        )
        self.record = start.record
        self.registered_by = start.registered_by
        self.unit = start.unit
        self.stage = ComplaintStage.investigation
        self.clock = None
        self.handler = None
        self.details = {}
        self.work = None
        self.supervision = Supervision(self.ref.process_id, self.ref.workflow_id, PROCESS_TYPE, self.ref.subject)
        self.extension: ApprovalChain | None = None
        self.extension_state: str | None = None
        self.closed_at: datetime | None = None
        self.replans: list[DeadlineReplan] = []
        self.kernel = Kernel(self._write_state, self.ref)
        self.projected: tuple[str, str] | None = None  # (status, stage) last written to the process row

    @workflow.run
    async def run(self, start: ComplaintInput) -> ComplaintView:
        return await self.kernel.guard(self._run(start))

    @enforces(
        "000-16-marketing-owns-complaints",
        "001-complaint-product-cause-to-technical",
        "001-complaint-non-product-in-marketing",
        "001-complaint-serious-to-vp",
    )
    async def _run(self, start: ComplaintInput) -> ComplaintView:
        severity = self.record.severity
        due = await self._deadline(self.record.received_at, deadline_working_days(severity))
        self.clock = DeadlineClock(
            due, levels=LEVELS, remind_before=REMIND_BEFORE, done=lambda: self.closed, paused=self._stopped
        )
        if severity in REPORT_AT_ONCE:  # 001: serious complaints go to the business VP at once
            self._post("reported_to_vp", Role.business_vp, None, f"{severity.value} complaint registered")
        self._remind_if_due()
        clock = asyncio.create_task(self.clock.run(self._remind, self._escalate_complaint))
        await self._work_step(ComplaintStage.investigation, Role.marketing_reviewer)
        if self.details["investigation"]["product_cause"]:
            await self._work_step(ComplaintStage.technical_verdict, Role.technical_dept, VERDICT_WORKING_DAYS)
            remedy = Remedy(self.details["technical_verdict"]["remedy"])
            if remedy is not Remedy.none:
                await self._work_step(ComplaintStage.remedy, remedy_role(remedy), REMEDY_WORKING_DAYS)
            if needs_rush_production(remedy) and workflow.patched(RUSH_PRODUCTION_PATCH):
                await self._work_step(
                    ComplaintStage.rush_production, Role.production_dept, RUSH_PRODUCTION_WORKING_DAYS
                )
        await self._work_step(ComplaintStage.reply, Role.marketing_reviewer)
        self.stage = ComplaintStage.closed
        self.closed_at = workflow.now()
        if self.extension is not None and self.extension_state == "pending":
            self.extension.cancel()
        await clock
        self.supervision.cancel_all(self.kernel.outbox)
        await self.kernel.rest()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.view()

    # --- extension of a special case: the leaders approve level by level (000 §16) ---------------

    @workflow.update
    async def request_extension(self, request: ExtensionRequest) -> ComplaintView:
        self._validate_extension(request)
        self.kernel.main.move()
        self.extension_state = "pending"
        self.extension = ApprovalChain(
            chain=EXTENSION_CHAIN,
            process=ProcessRef(
                process_id=self.ref.process_id,
                workflow_id=self.ref.workflow_id,
                process_type=PROCESS_TYPE,
                subject=f"延期 {self.ref.subject}",
                applicant=request.actor.username,
                unit=self.unit,
            ),
            kernel=self.kernel,
        )
        asyncio.create_task(self._run_extension(self.extension))
        await self.kernel.rested()
        return self.view()

    @request_extension.validator
    @enforces("000-16-special-seven-days-by-leaders")
    def _validate_extension(self, request: ExtensionRequest) -> None:
        if self.record.severity is not Severity.special:
            raise ApplicationError("only a special complaint can be extended (000 §16)", type=errors.INVALID)
        if self.closed or self.overdue:
            raise ApplicationError("an extension must be approved before the deadline passes", type=errors.CONFLICT)
        if self.extension_state is not None:
            raise ApplicationError(f"an extension was already requested ({self.extension_state})", type=errors.CONFLICT)
        if not request.actor.has(Role.marketing_reviewer) and request.actor.username != self.handler:
            raise ApplicationError("only the marketing handler may request an extension", type=errors.FORBIDDEN)

    async def _run_extension(self, chain: ApprovalChain) -> None:
        outcome = await chain.run()
        if outcome is None:
            self.extension_state = "cancelled"
        elif outcome.value == "approve":
            assert self.clock is not None
            self.clock.replan(await self._deadline(self.record.received_at, EXTENDED_WORKING_DAYS))
            self.extension_state = "approved"
        else:
            self.extension_state = "rejected"
        await self.kernel.rest()

    @workflow.update
    async def decide(self, request: DecisionRequest) -> ComplaintView:
        """Decisions on the extension chain's tasks, or a leader acknowledging a supervision task."""
        self._validate_decide(request)
        if self.supervision.owns(request.task_id):
            self.supervision.acknowledge(self.kernel.outbox, request)
            await self.kernel.flush()
            return self.view()
        assert self.extension is not None
        self.kernel.main.move()
        await self.extension.decide(request)
        await self.kernel.rested()
        return self.view()

    @decide.validator
    def _validate_decide(self, request: DecisionRequest) -> None:
        if self.supervision.owns(request.task_id):
            self.supervision.validate(request)
            return
        if self.extension is None:
            raise ApplicationError(f"task {request.task_id} is not open in this complaint", type=errors.CONFLICT)
        self.extension.validate(request)

    @workflow.update
    async def current(self) -> ComplaintView:
        """Waits until the complaint rests (a task in an inbox, or closed): read-your-writes for the API."""
        await self.kernel.rested()
        return self.view()

    @workflow.query
    def view(self) -> ComplaintView:
        current = self.work.spec.task_id if self.work and not self.work.done else None
        tasks = ([self.work.spec] if self.work and current else []) + self.supervision.open_tasks()
        tasks += self.extension.open_tasks if self.extension is not None else []
        return ComplaintView(
            process_id=self.ref.process_id,
            status=ProcessStatus.closed if self.closed else ProcessStatus.running,
            stage=self.stage,
            current_step=None if self.closed else self.stage.value,
            severity=self.record.severity.value,
            handler=self.handler,
            due_at=self.due.deadline if self.due else None,
            due_provisional=self.due.provisional if self.due else False,
            unknown_years=self.due.unknown_years if self.due else [],
            escalation_level=self.level,
            escalated_to=ESCALATION_LADDER[self.level].value if self.level else None,
            overdue=self.overdue,
            extension=self.extension_state,
            current_task_id=current,
            closed_at=self.closed_at,
            open_task_ids=[t.task_id for t in tasks],
            holders=holders_of(tasks),
        )

    # --- projections ----------------------------------------------------------------------------

    def _chains(self) -> list[ApprovalChain]:
        return [self.extension] if self.extension is not None else []

    def _require_open(self) -> None:
        if self.closed:
            raise ApplicationError("the complaint is closed", type=errors.CONFLICT)

    async def _write_state(self, outbox: Outbox) -> None:
        """The complaint row always; the process row and the search attributes only when status or
        stage moved (an escalation changes neither: at the busiest moment it writes less)."""
        view = self.view()
        shown = (view.status.value, view.stage.value)
        process: ProcessProjection | None = None
        if shown != self.projected:
            started = workflow.info().start_time
            process = self.ref.projection(view.status, view.current_step, started, customer_id=self.record.customer_id)
        sync = ComplaintSync(process=process, complaint=self._complaint_projection(view), **outbox.as_fields())
        await write(ComplaintStore.sync_complaint, sync)
        self.projected = shown  # only once written: a write the database refused is retried whole

    def _complaint_projection(self, view: ComplaintView) -> ComplaintProjection:
        return ComplaintProjection(
            process_id=self.ref.process_id,
            workflow_id=self.ref.workflow_id,
            record=self.record,
            registered_by=self.registered_by.username,
            unit_code=self.unit,
            view=view,
            details=self.details,
            updated_at=workflow.now(),
        )
