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
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.calendar import DeadlineAnswer
    from activities.complaint_store import ComplaintStore, ComplaintSync
    from domain import errors
    from domain.china_time import china_iso
    from domain.complaint_models import (
        ComplaintInput,
        ComplaintProjection,
        ComplaintView,
        ExtensionRequest,
        InvestigateRequest,
        RemedyRequest,
        ReplyRequest,
        VerdictRequest,
    )
    from domain.complaints import (
        ESCALATION_LADDER,
        EXTENDED_WORKING_DAYS,
        EXTENSION_CHAIN,
        REMEDY_WORKING_DAYS,
        REMINDER_BEFORE_HOURS,
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
    from domain.models import (
        Actor,
        CalendarChanged,
        DeadlineReplan,
        DecisionRequest,
        ProcessProjection,
        ProcessStatus,
        TaskClosure,
        TaskSpec,
    )
    from domain.roles import Role
    from domain.rulebook import enforces
    from workflows.activity_calls import write
    from workflows.approval import ApprovalChain, ApprovalHost, ProcessRef, holders_of
    from workflows.clock import DeadlineClock, Supervision, deadline_query, working_day_deadline
    from workflows.kernel import Kernel, Outbox

PROCESS_TYPE = "complaint"
STAGE_TITLES = {
    ComplaintStage.investigation: "投诉调查 Investigation and handling",
    ComplaintStage.technical_verdict: "技术部鉴定 Technical verdict (1 working day)",
    ComplaintStage.remedy: "退货重产/赔偿 Remedy (1 working day)",
    ComplaintStage.rush_production: "生产部急单重产 Rush re-production (1 working day)",
    ComplaintStage.reply: "处理结果答复客户 Resolution and reply",
}
# Issue 20 item 12: after marketing's re-production order, production_dept runs it as a rush order,
# an inbox task with its own deadline. Complaints whose history passed the remedy without it replay
# as they ran.
RUSH_PRODUCTION_PATCH = "complaint-rush-production"
LEVELS = len(ESCALATION_LADDER) - 1  # level 0 is the handler; each missed period climbs one level
REMIND_BEFORE = timedelta(hours=REMINDER_BEFORE_HOURS)


class WorkStep:
    def __init__(self, spec: TaskSpec) -> None:
        self.spec = spec
        self.done = False
        self.clock: DeadlineClock | None = None


@workflow.defn(name="Complaint")
class ComplaintWorkflow(ApprovalHost):
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
        self.clock: DeadlineClock | None = None
        self.handler: str | None = None
        self.details: dict[str, Any] = {}
        self.work: WorkStep | None = None
        self.supervision = Supervision(self.ref.process_id, self.ref.workflow_id, PROCESS_TYPE, self.ref.subject)
        self.extension: ApprovalChain | None = None
        self.extension_state: str | None = None
        self.closed_at: datetime | None = None
        self.replans: list[DeadlineReplan] = []
        self.kernel = Kernel(self._write_state, self.ref)
        self.projected: tuple[str, str] | None = None  # (status, stage) last written to the process row

    @property
    def closed(self) -> bool:
        return self.stage is ComplaintStage.closed

    @property
    def due(self) -> DeadlineAnswer | None:
        return self.clock.due if self.clock else None

    @property
    def level(self) -> int:
        return self.clock.level if self.clock else 0

    @property
    def overdue(self) -> bool:
        return self.clock.overdue if self.clock else False

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

    # --- the clock (workflows/clock.py: the one clock of the codebase) ----------------------------

    async def _deadline(self, start: datetime, working_days: int) -> DeadlineAnswer:
        return await working_day_deadline(deadline_query(start, working_days, LEVELS))

    def _stopped(self) -> bool:
        return self.kernel.repair.stopped

    def _remind_if_due(self) -> None:
        """The handler's reminder, once its moment has come; a complaint registered that late gets it
        with its first task instead of a separate write a moment later."""
        assert self.clock is not None
        remind_at = self.clock.remind_at()
        if self.clock.reminded or self.closed or remind_at is None or workflow.now() < remind_at:
            return
        self.clock.reminded = True
        self._post("reminder", Role.marketing_reviewer, self.handler, f"due at {china_iso(self.clock.due.deadline)}")

    async def _remind(self) -> None:
        assert self.clock is not None
        self._post("reminder", Role.marketing_reviewer, self.handler, f"due at {china_iso(self.clock.due.deadline)}")
        await self.kernel.flush()

    @enforces("000-16-no-shirking")
    async def _escalate_complaint(self, level: int, missed: datetime) -> None:
        """000 §16: past the deadline, overdue and one level up per missed period."""
        await self._escalate("complaint", level, missed)

    async def _escalate(self, scope: str, level: int, missed: datetime) -> None:
        """One level up: the leader's supervision task, a notification and the new state, at once."""
        self.supervision.escalate(self.kernel.outbox, scope, level, ESCALATION_LADDER[level], missed, None)
        await self.kernel.flush()

    def _step_escalation(self, step: WorkStep) -> Any:
        async def escalate(level: int, missed: datetime) -> None:
            await self._escalate(step.spec.step, level, missed)

        return escalate

    @staticmethod
    async def _no_reminder() -> None:
        return None

    def _post(self, kind: str, role: Role, user: str | None, text: str, step: str | None = None) -> None:
        """A notification, sent with the complaint's next sync."""
        note = self.supervision.notification(kind, role, user, text, step)
        note = note.model_copy(
            update={
                "subject": f"[投诉 {self.record.severity.value}] {self.record.customer_name}: {text}"[:300],
                "body": self.record.description[:500] + (f"\nstep: {step}" if step else ""),
            }
        )
        self.kernel.outbox.notifications.append(note)

    async def _replan_own(self, change: CalendarChanged) -> bool:
        """A provisional complaint deadline (or stage deadline) in a year just entered moves."""
        moved = False
        clocks = [("complaint", self.clock)]
        if self.work is not None and self.work.clock is not None:
            clocks.append((self.work.spec.step, self.work.clock))
        for scope, clock in clocks:
            if clock is None or self.closed or not clock.due.provisional:
                continue
            if not set(clock.due.unknown_years) & set(change.years):
                continue
            old = clock.due
            assert old.start is not None and old.working_days is not None
            query = deadline_query(old.start, old.working_days, LEVELS).model_copy(update={"replaces": old.deadline})
            new = await working_day_deadline(query)
            clock.replan(new)
            self.replans.append(
                DeadlineReplan(step=scope, previous=old.deadline, deadline=new.deadline, provisional=new.provisional)
            )
            if self.work is not None and not self.work.done and (scope == "complaint") == (self.work.clock is None):
                self.work.spec = self.work.spec.model_copy(
                    update={"due_at": new.deadline, "due_provisional": new.provisional}
                )
                self.kernel.outbox.put_task(self.work.spec)
            moved = True
        return moved

    # --- human work -----------------------------------------------------------------------------

    def _task_spec(self, step: str, title: str, role: Role, due: DeadlineAnswer | None) -> TaskSpec:
        return TaskSpec(
            task_id=str(workflow.uuid4()),
            process_id=self.ref.process_id,
            workflow_id=self.ref.workflow_id,
            process_type=PROCESS_TYPE,
            step=step,
            step_title=title,
            role=role,
            assignee=self.handler if role is Role.marketing_reviewer else None,
            subject=self.ref.subject,
            created_at=workflow.now(),
            due_at=due.deadline if due else None,
            due_provisional=due.provisional if due else False,
        )

    @enforces("001-complaint-verdict-one-working-day", "001-complaint-remedy-one-working-day")
    async def _work_step(self, stage: ComplaintStage, role: Role, due_working_days: int | None = None) -> None:
        self.stage = stage
        own_due = await self._deadline(workflow.now(), due_working_days) if due_working_days is not None else None
        due = own_due or self.due
        step = WorkStep(self._task_spec(stage.value, STAGE_TITLES[stage], role, due))
        self.work = step
        self.kernel.outbox.put_task(step.spec)
        clock = None
        if own_due is not None:  # 001: the verdict and the remedy each escalate when their day passes
            step.clock = DeadlineClock(
                own_due, levels=LEVELS, remind_before=None, done=lambda: step.done or self.closed, paused=self._stopped
            )
            clock = asyncio.create_task(step.clock.run(self._no_reminder, self._step_escalation(step)))
        await self.kernel.rest()
        await workflow.wait_condition(lambda: step.done)
        self.work = None
        if clock is not None:
            await clock

    def _check_work(self, stage: ComplaintStage, actor: Actor) -> WorkStep:
        if self.closed:
            raise ApplicationError("the complaint is closed", type=errors.CONFLICT)
        step = self.work
        if step is None or step.done or step.spec.step != stage.value:
            raise ApplicationError(
                f"the complaint is at stage {self.stage.value}, not {stage.value}", type=errors.CONFLICT
            )
        role = step.spec.role
        assert role is not None
        if not actor.has(role) and step.spec.assignee != actor.username:
            raise ApplicationError(
                f"stage {stage.value} needs role {role.value}; {actor.username} does not hold it",
                type=errors.FORBIDDEN,
            )
        return step

    async def _complete(self, stage: ComplaintStage, actor: Actor, detail: dict[str, Any]) -> ComplaintView:
        step = self._check_work(stage, actor)
        self.kernel.main.move()
        self.details[stage.value] = {**detail, "by": actor.username, "at": workflow.now().isoformat()}
        if stage is ComplaintStage.investigation and self.handler is None:
            self.handler = actor.username
        step.done = True
        closure = TaskClosure(
            task_id=step.spec.task_id, status="done", decided_by=actor.username, decided_at=workflow.now()
        )
        self.kernel.outbox.close(closure)  # written with the next stage's task, in one sync
        await self.kernel.rested()
        return self.view()

    @workflow.update
    @enforces("000-16-handler-named")
    async def investigate(self, request: InvestigateRequest) -> ComplaintView:
        """002 rule 2 §17: the investigation report; its author becomes the named handler."""
        return await self._complete(ComplaintStage.investigation, request.actor, request.report.model_dump())

    @investigate.validator
    def _validate_investigate(self, request: InvestigateRequest) -> None:
        self._check_work(ComplaintStage.investigation, request.actor)

    @workflow.update
    async def verdict(self, request: VerdictRequest) -> ComplaintView:
        detail = {"remedy": request.remedy.value, "verdict": request.verdict}
        return await self._complete(ComplaintStage.technical_verdict, request.actor, detail)

    @verdict.validator
    def _validate_verdict(self, request: VerdictRequest) -> None:
        self._check_work(ComplaintStage.technical_verdict, request.actor)

    @workflow.update
    async def remedy(self, request: RemedyRequest) -> ComplaintView:
        return await self._complete(ComplaintStage.remedy, request.actor, {"note": request.note})

    @remedy.validator
    def _validate_remedy(self, request: RemedyRequest) -> None:
        self._check_work(ComplaintStage.remedy, request.actor)

    @workflow.update
    async def rush_production(self, request: RemedyRequest) -> ComplaintView:
        """001: production reports the rush re-production done (batch, quantity, when shipped)."""
        return await self._complete(ComplaintStage.rush_production, request.actor, {"note": request.note})

    @rush_production.validator
    def _validate_rush_production(self, request: RemedyRequest) -> None:
        self._check_work(ComplaintStage.rush_production, request.actor)

    @workflow.update
    @enforces("001-complaint-reply-to-customer")
    async def reply(self, request: ReplyRequest) -> ComplaintView:
        """Closed only with a recorded resolution and customer reply (000 §16: nothing concealed)."""
        detail = {"resolution": request.resolution, "method": request.method.value, "reply": request.reply}
        return await self._complete(ComplaintStage.reply, request.actor, detail)

    @reply.validator
    def _validate_reply(self, request: ReplyRequest) -> None:
        self._check_work(ComplaintStage.reply, request.actor)

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
