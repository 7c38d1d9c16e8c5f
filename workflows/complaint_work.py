"""The human work of a complaint (000 §16, 001 complaint rules, 002 rule 2): each stage is one task
in an inbox, done by the role it names, with the stage's own deadline where 001 gives one. Part of
workflows/complaint.py's workflow."""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.calendar import DeadlineAnswer
    from domain import errors
    from domain.complaint_models import (
        ComplaintView,
        InvestigateRequest,
        RemedyRequest,
        ReplyRequest,
        VerdictRequest,
    )
    from domain.complaints import ComplaintStage
    from domain.models import Actor, TaskClosure, TaskSpec
    from domain.roles import Role
    from domain.rulebook import enforces
    from workflows.approval import ProcessRef
    from workflows.clock import DeadlineClock
    from workflows.complaint_clock import LEVELS, ComplaintClock, WorkStep

STAGE_TITLES = {
    ComplaintStage.investigation: "投诉调查 Investigation and handling",
    ComplaintStage.technical_verdict: "技术部鉴定 Technical verdict (1 working day)",
    ComplaintStage.remedy: "退货重产/赔偿 Remedy (1 working day)",
    ComplaintStage.rush_production: "生产部急单重产 Rush re-production (1 working day)",
    ComplaintStage.reply: "处理结果答复客户 Resolution and reply",
}


class ComplaintWork(ComplaintClock):
    """The stages' tasks, who may complete them, and the Updates that do."""

    ref: ProcessRef
    details: dict[str, Any]

    def view(self) -> ComplaintView:
        raise NotImplementedError  # the workflow's query

    def _task_spec(self, step: str, title: str, role: Role, due: DeadlineAnswer | None) -> TaskSpec:
        return TaskSpec(
            task_id=str(workflow.uuid4()),
            process_id=self.ref.process_id,
            workflow_id=self.ref.workflow_id,
            process_type=self.ref.process_type,
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
