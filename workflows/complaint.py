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
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.calendar import CalendarActivities, DeadlineAnswer, DeadlineQuery
    from activities.complaint_store import ComplaintStore, ComplaintSync
    from activities.notifications import NotificationSpec
    from domain import errors
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
        DEADLINE_WORKING_DAYS,
        ESCALATION_LADDER,
        EXTENDED_WORKING_DAYS,
        EXTENSION_CHAIN,
        REMEDY_WORKING_DAYS,
        REMINDER_BEFORE_HOURS,
        REPORT_AT_ONCE,
        VERDICT_WORKING_DAYS,
        ComplaintStage,
        Remedy,
        Severity,
        remedy_role,
    )
    from domain.models import Actor, DecisionRequest, ProcessProjection, ProcessStatus, TaskClosure, TaskSpec
    from domain.roles import Role
    from workflows.approval import STORE_RETRY, ApprovalChain, ProcessRef, store

PROCESS_TYPE = "complaint"
STAGE_TITLES = {
    ComplaintStage.investigation: "投诉调查 Investigation and handling",
    ComplaintStage.technical_verdict: "技术部鉴定 Technical verdict (1 working day)",
    ComplaintStage.remedy: "退货重产/赔偿 Remedy (1 working day)",
    ComplaintStage.reply: "处理结果答复客户 Resolution and reply",
}


@dataclass
class WorkStep:
    spec: TaskSpec
    done: bool = False


@dataclass
class Outbox:
    """Writes waiting for the complaint's next sync: each leaves the outbox exactly once."""

    open_tasks: list[TaskSpec] = field(default_factory=list)
    closed_tasks: list[TaskClosure] = field(default_factory=list)
    notifications: list[NotificationSpec] = field(default_factory=list)


@workflow.defn(name="Complaint")
class ComplaintWorkflow:
    @workflow.init
    def __init__(self, start: ComplaintInput) -> None:
        info = workflow.info()
        self.ref = ProcessRef(
            process_id=info.run_id,
            workflow_id=info.workflow_id,
            process_type=PROCESS_TYPE,
            subject=f"{start.record.customer_name}: {start.record.category.value}",
            applicant=start.registered_by.username,
        )
        self.record = start.record
        self.registered_by = start.registered_by
        self.unit = start.unit
        self.stage = ComplaintStage.investigation
        self.due: DeadlineAnswer | None = None
        self.reminded = False
        self.level = 0
        self.overdue = False
        self.handler: str | None = None
        self.details: dict[str, Any] = {}
        self.work: WorkStep | None = None
        self.supervision: dict[str, Role] = {}  # open escalation tasks -> role they went to
        self.extension: ApprovalChain | None = None
        self.extension_state: str | None = None
        self.closed_at: datetime | None = None
        self.outbox = Outbox()
        self.writing = asyncio.Lock()  # one sync at a time: the rows are written in the order things happened
        self.syncs_in_flight = 0
        self.projected: tuple[str, str] | None = None  # (status, stage) last written to the process row
        self.settled = False
        self.changes = 0  # updates that changed the process: a rest begun before one cannot settle it

    @property
    def closed(self) -> bool:
        return self.stage is ComplaintStage.closed

    @workflow.run
    async def run(self, start: ComplaintInput) -> ComplaintView:
        severity = self.record.severity
        self.due = await self._deadline(self.record.received_at, DEADLINE_WORKING_DAYS[severity])
        if severity in REPORT_AT_ONCE:  # 001: serious complaints go to the business VP at once
            self._post("reported_to_vp", Role.business_vp, None, f"{severity.value} complaint registered")
        self._remind_if_due()
        clock = asyncio.create_task(self._watch_overall())
        await self._work_step(ComplaintStage.investigation, Role.marketing_reviewer)
        if self.details["investigation"]["product_cause"]:
            await self._work_step(ComplaintStage.technical_verdict, Role.technical_dept, VERDICT_WORKING_DAYS)
            remedy = Remedy(self.details["technical_verdict"]["remedy"])
            if remedy is not Remedy.none:
                await self._work_step(ComplaintStage.remedy, remedy_role(remedy), REMEDY_WORKING_DAYS)
        await self._work_step(ComplaintStage.reply, Role.marketing_reviewer)
        self.stage = ComplaintStage.closed
        self.closed_at = workflow.now()
        if self.extension is not None and self.extension_state == "pending":
            self.extension.cancel()
        await clock
        for task_id in list(self.supervision):
            self.outbox.closed_tasks.append(TaskClosure(task_id=task_id, status="cancelled", decided_at=workflow.now()))
        self.supervision.clear()
        await self._rest()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.view()

    # --- the clock ------------------------------------------------------------------------------

    async def _deadline(self, start: datetime, working_days: int) -> DeadlineAnswer:
        """The deadline and the moments of each further escalation level, fixed together, so the
        busiest moment of the clock (many deadlines at once) needs no calendar look-up."""
        query = DeadlineQuery(start=start, working_days=working_days, following=len(ESCALATION_LADDER) - 2)
        # A local activity: a read-only look-up, recorded in the history as a marker like any activity
        # result (replays never recompute it), without a round trip through the server per complaint.
        return await workflow.execute_local_activity_method(
            CalendarActivities.working_day_deadline,
            query,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=STORE_RETRY,
        )

    async def _sleep_until(self, moment: datetime, stop: Callable[[], bool]) -> bool:
        """A durable timer to `moment`; False if `stop()` came true first (closed, deadline moved)."""
        delay = (moment - workflow.now()).total_seconds()
        if delay > 0:
            try:
                await workflow.wait_condition(stop, timeout=delay)
                return False
            except TimeoutError:
                pass
        return not stop()

    async def _watch_overall(self) -> None:
        """000 §16: remind before the deadline; past it, overdue and one level up per missed period."""
        assert self.due is not None
        while not self.closed:
            deadline = self.due.deadline

            def moved(deadline: datetime = deadline) -> bool:
                return self.closed or self.due is None or self.due.deadline != deadline

            if not self.reminded and await self._sleep_until(self._remind_at(), moved):
                self._remind_if_due()
                await self._sync()
            if await self._sleep_until(deadline, moved):
                break
        if self.closed:
            return
        self.overdue = True
        moments = [self.due.deadline, *self.due.following]
        for level, missed in enumerate(moments[: len(ESCALATION_LADDER) - 1], start=1):
            if not await self._sleep_until(missed, lambda: self.closed):
                return
            self.level = level
            await self._escalate("complaint", level, missed)

    async def _watch_step(self, step: WorkStep, due: DeadlineAnswer) -> None:
        """001: the verdict and the remedy each escalate the same way when their day passes."""
        moments = [due.deadline, *due.following]
        for level, missed in enumerate(moments[: len(ESCALATION_LADDER) - 1], start=1):
            if not await self._sleep_until(missed, lambda: step.done or self.closed):
                return
            await self._escalate(step.spec.step, level, missed)

    def _remind_at(self) -> datetime:
        assert self.due is not None
        return self.due.deadline - timedelta(hours=REMINDER_BEFORE_HOURS)

    def _remind_if_due(self) -> None:
        """The handler's reminder, once its moment has come; a complaint registered that late gets it
        with its first task instead of a separate write a moment later."""
        if self.reminded or self.closed or workflow.now() < self._remind_at():
            return
        self.reminded = True
        assert self.due is not None
        self._post("reminder", Role.marketing_reviewer, self.handler, f"due at {self.due.deadline.isoformat()}")

    async def _escalate(self, scope: str, level: int, missed: datetime) -> None:
        """One level up: the leader's supervision task, a notification and the new state, at once."""
        role = ESCALATION_LADDER[level]
        spec = self._task_spec(f"supervise_{scope}", f"督办: 投诉逾期 ({scope}, level {level})", role, None)
        self.supervision[spec.task_id] = role
        self.outbox.open_tasks.append(spec)
        self._post(
            "escalation", role, None, f"{scope} overdue since {missed.isoformat()}; escalated to {role.value}", scope
        )
        await self._sync()

    def _post(self, kind: str, role: Role, user: str | None, text: str, step: str | None = None) -> None:
        """A notification, sent with the complaint's next sync."""
        self.outbox.notifications.append(self._notification(kind, role, user, text, step))

    def _notification(self, kind: str, role: Role, user: str | None, text: str, step: str | None) -> NotificationSpec:
        return NotificationSpec(
            notification_id=f"{self.ref.process_id}:{workflow.uuid4()}",
            process_id=self.ref.process_id,
            recipient_role=role.value,
            recipient=user,
            kind=kind,
            subject=f"[投诉 {self.record.severity.value}] {self.record.customer_name}: {text}",
            body=self.record.description[:500] + (f"\nstep: {step}" if step else ""),
        )

    # --- human work -----------------------------------------------------------------------------

    def _task_spec(self, step: str, title: str, role: Role, due_at: datetime | None) -> TaskSpec:
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
            due_at=due_at,
        )

    async def _work_step(self, stage: ComplaintStage, role: Role, due_working_days: int | None = None) -> None:
        self.stage = stage
        own_due = await self._deadline(workflow.now(), due_working_days) if due_working_days is not None else None
        due_at = own_due.deadline if own_due else self.due.deadline if self.due else None
        step = WorkStep(self._task_spec(stage.value, STAGE_TITLES[stage], role, due_at))
        self.work = step
        self.outbox.open_tasks.append(step.spec)
        clock = asyncio.create_task(self._watch_step(step, own_due)) if own_due else None
        await self._rest()
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
        if not actor.has(step.spec.role) and step.spec.assignee != actor.username:
            raise ApplicationError(
                f"stage {stage.value} needs role {step.spec.role.value}; {actor.username} does not hold it",
                type=errors.FORBIDDEN,
            )
        return step

    async def _complete(self, stage: ComplaintStage, actor: Actor, detail: dict[str, Any]) -> ComplaintView:
        step = self._check_work(stage, actor)
        self._unsettle()
        self.details[stage.value] = {**detail, "by": actor.username, "at": workflow.now().isoformat()}
        if stage is ComplaintStage.investigation and self.handler is None:
            self.handler = actor.username
        step.done = True
        closure = TaskClosure(
            task_id=step.spec.task_id, status="done", decided_by=actor.username, decided_at=workflow.now()
        )
        self.outbox.closed_tasks.append(closure)  # written with the next stage's task, in one sync
        await self._rested()
        return self.view()

    @workflow.update
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
        self._unsettle()
        self.extension_state = "pending"
        self.extension = ApprovalChain(
            chain=EXTENSION_CHAIN,
            process=ProcessRef(
                process_id=self.ref.process_id,
                workflow_id=self.ref.workflow_id,
                process_type=PROCESS_TYPE,
                subject=f"延期 {self.ref.subject}",
                applicant=request.actor.username,
            ),
            on_waiting=self._rest,
        )
        asyncio.create_task(self._run_extension(self.extension))
        await self._rested()
        return self.view()

    @request_extension.validator
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
            self.due = await self._deadline(self.record.received_at, EXTENDED_WORKING_DAYS)
            self.reminded = False
            self.extension_state = "approved"
        else:
            self.extension_state = "rejected"
        await self._rest()

    @workflow.update
    async def decide(self, request: DecisionRequest) -> ComplaintView:
        """Decisions on the extension chain's tasks, or a leader acknowledging a supervision task."""
        self._validate_decide(request)
        if request.task_id in self.supervision:
            del self.supervision[request.task_id]
            closure = TaskClosure(
                task_id=request.task_id,
                status="done",
                outcome=request.outcome,
                decided_by=request.actor.username,
                decided_at=workflow.now(),
                comment=request.comment,
            )
            self.outbox.closed_tasks.append(closure)
            await self._sync()
            return self.view()
        assert self.extension is not None
        self._unsettle()
        await self.extension.decide(request)
        await self._rested()
        return self.view()

    @decide.validator
    def _validate_decide(self, request: DecisionRequest) -> None:
        if request.task_id in self.supervision:
            role = self.supervision[request.task_id]
            if not request.actor.has(role):
                raise ApplicationError(f"this supervision task is for {role.value}", type=errors.FORBIDDEN)
            return
        if self.extension is None:
            raise ApplicationError(f"task {request.task_id} is not open in this complaint", type=errors.CONFLICT)
        self.extension.validate(request)

    @workflow.update
    async def current(self) -> ComplaintView:
        """Waits until the complaint rests (a task in an inbox, or closed): read-your-writes for the API."""
        await self._rested()
        return self.view()

    @workflow.query
    def view(self) -> ComplaintView:
        current = self.work.spec.task_id if self.work and not self.work.done else None
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
        )

    # --- projections ----------------------------------------------------------------------------

    def _unsettle(self) -> None:
        """An update changes the process: its answer waits until the process rests after this change."""
        self.settled = False
        self.changes += 1

    async def _rest(self) -> None:
        changes = self.changes
        await self._sync()
        self.settled = changes == self.changes  # an update that came meanwhile waits for the next rest

    async def _rested(self) -> None:
        """Read-your-writes: the complaint waits for a human and every write is done, including the
        clock's (a complaint registered already overdue escalates in the same moment)."""
        await workflow.wait_condition(lambda: self.settled and self.syncs_in_flight == 0)

    async def _sync(self) -> None:
        """Write the current state and everything in the outbox with one activity."""
        self.syncs_in_flight += 1
        try:
            async with self.writing:
                await self._write_state()
        finally:
            self.syncs_in_flight -= 1

    async def _write_state(self) -> None:
        """The complaint row always; the process row and the search attributes only when status or
        stage moved (an escalation changes neither: at the busiest moment it writes less)."""
        view = self.view()
        shown = (view.status.value, view.stage.value)
        process: ProcessProjection | None = None
        if shown != self.projected:
            self.projected = shown
            started = workflow.info().start_time
            process = self.ref.projection(view.status, view.current_step, started, customer_id=self.record.customer_id)
        outbox, self.outbox = self.outbox, Outbox()
        sync = ComplaintSync(
            process=process,
            complaint=self._complaint_projection(view),
            open_tasks=outbox.open_tasks,
            closed_tasks=outbox.closed_tasks,
            notifications=outbox.notifications,
        )
        await store(ComplaintStore.sync_complaint, sync)

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
