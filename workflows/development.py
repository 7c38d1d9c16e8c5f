"""P9 market development (000 §5 (一)6, §12, §15).

`BigCustomerMeetingRound`: what the quarterly Schedule starts; it opens the quarter's meeting under
an id made from the quarter, so a second fire (or a manual run) finds it and does nothing.

`BigCustomerMeeting`: the marketing manager's task "organise the meeting and record the minutes"
(000 §15 每季度开展大客户座谈会; §5 (一)6 营销业务部负责定期组织), due on the last working day of the
quarter and escalated to the business VP when late. The minutes (`record_minutes`) decide the task.

`DevelopmentApproval`: a monthly development plan (000 §12, due before its month like the visit
plan) or a month's research notes (000 §15, due within the configured working days), each one
declared approval chain.
"""

from __future__ import annotations

from temporalio import workflow
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    # the zone made outside the sandbox: a ZoneInfo made inside it is a restricted proxy
    from activities.development_store import DevelopmentStore, DevelopmentSync, MeetingSync
    from activities.visit_store import CHINA, VisitStore
    from domain import errors
    from domain.approvals import Outcome
    from domain.development import (
        DevelopmentInput,
        MeetingInput,
        MeetingOpened,
        MeetingRound,
        MinutesRecorded,
        MinutesRequest,
        meeting_workflow_id,
        month_after_quarter,
        quarter_of,
    )
    from domain.models import DecisionRequest, ProcessStatus, ProcessView
    from domain.visits import PlanDueQuery
    from workflows.activity_calls import look_up, store, write
    from workflows.approval import OUTCOME_STATUS, ApprovalChain, ProcessRef, SingleChainHost, refuse
    from workflows.kernel import Kernel, Outbox

QUARTER_WORKING_DAYS = 130  # the longest a meeting's step counts: more than any quarter has


@workflow.defn(name="BigCustomerMeetingRound")
class BigCustomerMeetingRoundWorkflow:
    """The quarterly fire (000 §15): the quarter's meeting, started once."""

    @workflow.run
    async def run(self, start: MeetingRound) -> str:
        quarter = start.quarter or quarter_of(workflow.now().astimezone(CHINA).date())
        meeting_id = meeting_workflow_id(quarter, start.namespace_token)
        try:
            await workflow.start_child_workflow(
                "BigCustomerMeeting",
                MeetingInput(quarter=quarter),
                id=meeting_id,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,  # a recorded meeting stays the one
                parent_close_policy=ParentClosePolicy.ABANDON,
            )
        except WorkflowAlreadyStartedError:
            workflow.logger.info("%s is open already", meeting_id)
        return meeting_id


@workflow.defn(name="BigCustomerMeeting")
class BigCustomerMeetingWorkflow(SingleChainHost):
    @workflow.init
    def __init__(self, start: MeetingInput) -> None:
        info = workflow.info()
        self.start = start
        self.status = ProcessStatus.running
        self.started_at = workflow.now()
        self.applicant_name = "system"  # opened by the schedule: nobody withdraws it
        self.meeting_id = 0
        self.recorded = False
        self.kernel = Kernel(self._write)
        self.approvals = ApprovalChain(
            chain=start.chain,
            process=ProcessRef(
                process_id=info.run_id,
                workflow_id=info.workflow_id,
                process_type=start.chain.process_type,
                subject=f"{start.quarter} 大客户座谈会 Big-customer meeting",
                applicant="system",
            ),
            kernel=self.kernel,
        )

    @workflow.run
    async def run(self, start: MeetingInput) -> ProcessView:
        return await self.kernel.guard(self._run())

    async def _run(self) -> ProcessView:
        info = workflow.info()
        opened = MeetingOpened(quarter=self.start.quarter, workflow_id=info.workflow_id, opened_at=workflow.now())
        self.meeting_id = await self.kernel.stored(lambda: store(DevelopmentStore.open_meeting, opened))
        # 000 §15 每季度: due on the last working day of the quarter.
        query = PlanDueQuery(
            month=month_after_quarter(self.start.quarter), at=workflow.now(), longest=QUARTER_WORKING_DAYS
        )
        days = await look_up(VisitStore.plan_due_working_days, query)
        self.approvals.set_first_step_due(days)
        outcome = await self.approvals.run()  # ends when the minutes decide the task
        if outcome is not None:
            self.status = OUTCOME_STATUS[outcome]
        await self.kernel.rest()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.view()

    def _minutes_decision(self, request: MinutesRequest) -> DecisionRequest:
        seats = [s for s in self.approvals.open_seats if s.spec.step == "minutes"]
        if not seats:
            raise refuse("the meeting's task is not open yet")
        spec = seats[0].spec
        return DecisionRequest(
            task_id=spec.task_id,
            step="minutes",
            outcome=Outcome.approve,
            comment="座谈会纪要已记录",
            actor=request.actor,
        )

    @workflow.update
    async def record_minutes(self, request: MinutesRequest) -> ProcessView:
        self.validate_record_minutes(request)
        self.kernel.main.move()
        self.recorded = True
        recorded = MinutesRecorded(
            meeting_id=self.meeting_id,
            minutes=request.minutes,
            recorded_by=request.actor.username,
            recorded_at=workflow.now(),
        )
        await self.kernel.stored(lambda: store(DevelopmentStore.record_minutes, recorded))
        await self.approvals.decide(self._minutes_decision(request))
        await self.kernel.rested()
        return self.view()

    @record_minutes.validator
    def validate_record_minutes(self, request: MinutesRequest) -> None:
        """000 §5 (一)6: the marketing manager (the task's holder) records the minutes, once."""
        self._require_open()
        if self.recorded:
            raise refuse("the minutes are recorded already")
        self.approvals.validate(self._minutes_decision(request))

    def validate_decide(self, request: DecisionRequest) -> None:
        """The task closes with the minutes (`POST /big-customer-meetings/{id}/minutes`), not a bare decision."""
        super().validate_decide(request)
        raise refuse("record the meeting's minutes to close this task", errors.CONFLICT)

    @workflow.query
    def view(self) -> ProcessView:
        return self.chain_view()

    async def _write(self, outbox: Outbox) -> None:
        view = self.view()
        sync = MeetingSync(
            process=self.chain_projection(self.started_at),
            meeting_id=self.meeting_id,
            meeting_status=view.status.value,
            due_at=view.due_at,
            **outbox.as_fields(),
        )
        await write(DevelopmentStore.sync_meeting, sync)


@workflow.defn(name="DevelopmentApproval")
class DevelopmentApprovalWorkflow(SingleChainHost):
    @workflow.init
    def __init__(self, start: DevelopmentInput) -> None:
        info = workflow.info()
        self.start = start
        self.status = ProcessStatus.running
        self.started_at = workflow.now()
        self.applicant_name = start.author.username
        self.kernel = Kernel(self._write)
        unit = start.author.unit
        self.approvals = ApprovalChain(
            chain=start.chain,
            process=ProcessRef(
                process_id=info.run_id,
                workflow_id=info.workflow_id,
                process_type=start.chain.process_type,
                subject=start.subject,
                applicant=start.author.username,
                unit=unit,
                unit_path=tuple(start.unit_path) or ((unit,) if unit else ()),
            ),
            kernel=self.kernel,
        )

    @workflow.run
    async def run(self, start: DevelopmentInput) -> ProcessView:
        return await self.kernel.guard(self._run())

    async def _run(self) -> ProcessView:
        if self.start.due_before_month:
            # 000 §12: approved before the month starts, like the visit plan.
            query = PlanDueQuery(month=self.start.month, at=workflow.now())
            days = await look_up(VisitStore.plan_due_working_days, query)
            self.approvals.set_first_step_due(days)
        outcome = await self.approvals.run()
        if outcome is not None:
            self.status = OUTCOME_STATUS[outcome]
        await self.kernel.rest()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.view()

    @workflow.query
    def view(self) -> ProcessView:
        return self.chain_view()

    async def _write(self, outbox: Outbox) -> None:
        view = self.view()
        decided = self.approvals.decisions[-1] if self.approvals.decisions and not view.status.is_open else None
        sync = DevelopmentSync(
            process=self.chain_projection(self.started_at),
            kind=self.start.kind,
            record_id=self.start.record_id,
            record_status=view.status.value,
            decided_by=decided.actor if decided else None,
            decided_at=decided.at if decided else None,
            **outbox.as_fields(),
        )
        await write(DevelopmentStore.sync_development, sync)
