"""The one approval-step mechanism every workflow uses: a declared chain of steps, run seat by seat.

A workflow declares its chain in `domain/approvals.py` and runs it here; every step action a real
approver expects comes from the declaration, not from code of the workflow's own:
sign modes (single, countersign 会签, or-sign 或签, joint review across roles), delegate 委托 and
transfer 转办, add signer 加签 before or after, return to the applicant or to an earlier step
退回, CC 抄送, urge 催办, leader chains 按汇报线, step deadlines with reminder and escalation (the
one clock of `workflows/clock.py`), re-planned deadlines when the calendar changes, unit scoping
(000 §5 分级实施), and claiming a role task.

Decisions arrive as Temporal Updates: `validate_*` refuses what is not allowed before anything
reaches the history, and each handler checks again because two racing updates can both pass
their validators. Writes go to the process's outbox (`workflows/kernel.py`): a transition is
one write.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.calendar import DeadlineAnswer, StepDeadline
    from activities.process_store import ProcessStore
    from domain import errors, search
    from domain.approvals import ChainSpec, LeaderGap, Outcome, SignMode, StepSpec, UnitScope
    from domain.china_time import china_iso
    from domain.models import (
        Actor,
        AddSignerRequest,
        CalendarChanged,
        ClaimRequest,
        DeadlineReplan,
        DecisionRecord,
        DecisionRequest,
        HandOverKind,
        HandOverRequest,
        ProcessProjection,
        ProcessStatus,
        ProcessView,
        Seat,
        SeatAnswer,
        SeatQuery,
        SignerPosition,
        TaskClosure,
        TaskSpec,
        UrgeRequest,
        WatcherSpec,
        WithdrawRequest,
    )
    from domain.repair import RepairOutcome, RepairRequest
    from domain.roles import OVERSIGHT_ROLES, UNIT_SCOPED_ROLES, Role
    from domain.rulebook import enforces
    from workflows.activity_calls import look_up
    from workflows.clock import DeadlineClock, Supervision, deadline_query, working_day_deadline
    from workflows.kernel import Kernel, Lane

# A step's deadline is counted by the write that opens its tasks (issue 9): one local activity per
# step opening instead of a calendar look-up and then the write. Histories recorded before it
# replay the look-up.
DEADLINE_IN_WRITE = "deadline-in-write"
# A return to the applicant opens a "correct and resubmit" task in their inbox (issue 20 item 16).
# Histories recorded before it replay without the task.
CORRECTION_TASK = "correction-task"
CORRECTION_STEP = "correct_and_resubmit"


def refuse(message: str, kind: str = errors.CONFLICT) -> ApplicationError:
    return ApplicationError(message, type=kind)


@dataclass
class ProcessRef:
    process_id: str
    workflow_id: str
    process_type: str
    subject: str
    applicant: str
    unit: str | None = None  # the unit the process acts for (000 §5)
    unit_path: tuple[str, ...] = ()  # that unit and the units above it, nearest first

    def projection(
        self,
        status: ProcessStatus,
        current_step: str | None,
        started_at: datetime,
        *,
        customer_id: int | None = None,
        subject_key: str | None = None,
    ) -> ProcessProjection:
        """The process row as of now, with the search attributes the Temporal UI filters on set to match."""
        attributes = [
            search.PROCESS_TYPE.value_set(self.process_type),
            search.PROCESS_STATUS.value_set(status.value),
            search.CURRENT_STEP.value_set(current_step or ""),
        ]
        if subject_key is not None:
            attributes.append(search.CUSTOMER_CREDIT_CODE.value_set(subject_key))
        workflow.upsert_search_attributes(attributes)
        return ProcessProjection(
            process_id=self.process_id,
            workflow_id=self.workflow_id,
            process_type=self.process_type,
            status=status,
            current_step=current_step,
            subject=self.subject[:200],
            subject_key=subject_key,
            applicant=self.applicant,
            customer_id=customer_id,
            unit_code=self.unit,
            started_at=started_at,
            updated_at=workflow.now(),
        )


@dataclass
class SeatTask:
    """One seat of a step and its task in somebody's inbox."""

    spec: TaskSpec
    decision: DecisionRecord | None = None
    closed: bool = False
    replaced: bool = False  # 前加签: closed while the added signer decides; a new task comes back later

    @property
    def holder(self) -> str:
        return self.spec.holder


@dataclass
class StepResult:
    outcome: Outcome
    return_to: str | None = None


@dataclass
class StepRun:
    """A step while it is open: its seats, its clock, what is pending on it."""

    step: StepSpec
    seats: list[SeatTask]
    clock: DeadlineClock | None = None
    result: StepResult | None = None
    pending_before: list[tuple[StepSpec, SeatTask]] = field(default_factory=list)  # 前加签 waiting to run

    def seat(self, task_id: str) -> SeatTask | None:
        return next((s for s in self.seats if s.spec.task_id == task_id and not s.closed), None)


def holders_of(tasks: list[TaskSpec]) -> list[str]:
    """Who open tasks wait for, each once, in the order the tasks opened."""
    return list(dict.fromkeys(t.holder for t in tasks))


class ApprovalChain:
    """Walks a declared chain; each step waits for the decisions of its seats."""

    def __init__(
        self,
        chain: ChainSpec,
        process: ProcessRef,
        kernel: Kernel,
        lane: Lane | None = None,
        signers: dict[str, list[str]] | None = None,
    ) -> None:
        self.chain = chain
        self.process = process
        self.kernel = kernel
        if kernel.process is None:  # the process a refused write names, if the workflow did not say
            kernel.process = process
        self.lane = lane or kernel.main
        self.signers: dict[str, list[str]] = {k: list(v) for k, v in (signers or {}).items()}
        self.round = 1
        self.plan: list[StepSpec] = list(chain.steps)
        self.runs: list[StepRun] = []  # the open step, and an added signer's step opened inside it
        self.decisions: list[DecisionRecord] = []
        self.opinions: list[DecisionRecord] = []  # a delegate's advice: not a decision
        self.closed_task_ids: dict[str, str] = {}  # task id -> who decided (or "cancelled")
        self.supervision = Supervision(process.process_id, process.workflow_id, process.process_type, process.subject)
        self.replans: list[DeadlineReplan] = []
        self.cancelled = False
        self.returned_from: str | None = None  # the step that returned the application to the applicant
        self.last_urged_at: datetime | None = None
        self.added_to: dict[str, tuple[str, bool]] = {}  # an added signer's step -> (its step, after?)
        self._added = 0
        self.correction: TaskSpec | None = None  # the applicant's "correct and resubmit" task, while open

    # --- state read by workflows -------------------------------------------------------------

    @property
    def current(self) -> StepRun | None:
        return self.runs[-1] if self.runs else None

    @property
    def current_step(self) -> str | None:
        return self.current.step.key if self.current else None

    @property
    def open_seats(self) -> list[SeatTask]:
        return [s for run in self.runs for s in run.seats if not s.closed]

    @property
    def open_tasks(self) -> list[TaskSpec]:
        """Every task of the chain in an inbox: its seats, the 督办 tasks of an overdue step, and
        the applicant's "correct and resubmit" task after a return."""
        tasks = [s.spec for s in self.open_seats] + self.supervision.open_tasks()
        return tasks + ([self.correction] if self.correction is not None else [])

    @property
    def open_task_ids(self) -> list[str]:
        """The open seats' tasks (the tasks a decision of the chain's steps is made on)."""
        return [s.spec.task_id for s in self.open_seats]

    @property
    def holders(self) -> list[str]:
        """Who the chain waits for, one entry per open task's holder (users, or role@unit)."""
        return holders_of(self.open_tasks)

    @property
    def due_at(self) -> datetime | None:
        dues = [s.spec.due_at for s in self.open_seats if s.spec.due_at is not None]
        return min(dues) if dues else None

    @property
    def waiting_for_decision(self) -> bool:
        return bool(self.open_seats)

    def owns(self, task_id: str) -> bool:
        return (
            any(s.spec.task_id == task_id for run in self.runs for s in run.seats)
            or task_id in self.closed_task_ids
            or self.supervision.owns(task_id)
            or (self.correction is not None and self.correction.task_id == task_id)
        )

    # --- the walk ----------------------------------------------------------------------------

    def set_first_step_due(self, working_days: int) -> None:
        """A deadline computed per process before the chain runs (a plan due on the last working day
        before its month, 000 §12): the first step's `due_working_days`."""
        first = self.chain.steps[0].model_copy(update={"due_working_days": working_days})
        self.chain = self.chain.model_copy(update={"steps": (first, *self.chain.steps[1:])})
        self.plan = list(self.chain.steps)

    async def run(self, start_at: str | None = None) -> Outcome | None:
        """Approve when every step approves; stop at a reject or a return to the applicant;
        None if cancelled. A return to an earlier step walks on from there."""
        index = self._plan_index(start_at) if start_at else 0
        self.returned_from = None
        while index < len(self.plan):
            step = self.plan[index]
            result = await self._run_step(step)
            if result is None:
                return None
            if result.outcome is Outcome.approve:
                index += 1
                continue
            if result.outcome is Outcome.return_ and result.return_to:
                index = self._plan_index(result.return_to)
                continue
            if result.outcome is Outcome.return_:
                self.returned_from = step.key
            return result.outcome
        return Outcome.approve

    def resume_step(self) -> str | None:
        """Where a resubmission starts: declared per chain (first step, or the step that returned it)."""
        if self.chain.resubmission.value == "returning_step" and self.returned_from:
            return self.returned_from
        return None

    def cancel(self) -> None:
        """Withdrawal: open tasks are cancelled, the chain ends without an outcome."""
        self.cancelled = True
        self.close_correction("cancelled", "withdrawn")

    def ask_for_correction(self) -> None:
        """退回: the application went back to the applicant. A "correct and resubmit" task opens in
        their inbox with the returner's reason, and they are notified; a resubmission or a
        withdrawal closes it (`close_correction`). The reason is the return decision's comment,
        which a return cannot be without."""
        returned = next(d for d in reversed(self.decisions) if d.outcome is Outcome.return_)
        reason = f"{returned.actor} returned it at {returned.step}: {returned.comment or ''}".strip()
        spec = TaskSpec(
            task_id=str(workflow.uuid4()),
            process_id=self.process.process_id,
            workflow_id=self.process.workflow_id,
            process_type=self.process.process_type,
            step=CORRECTION_STEP,
            step_title="退回修改后重新提交 Correct and resubmit (or withdraw)",
            assignee=self.process.applicant,
            subject=self.process.subject[:200],
            round=self.round,
            created_at=workflow.now(),
            comment=reason,
        )
        self.correction = spec
        self.kernel.outbox.put_task(spec)
        self.kernel.outbox.notifications.append(
            self.supervision.notification("returned", None, self.process.applicant, reason, CORRECTION_STEP)
        )

    def close_correction(self, status: str, comment: str) -> None:
        """The applicant resubmitted ("done") or withdrew ("cancelled"): their task leaves the inbox."""
        spec, self.correction = self.correction, None
        if spec is None:
            return
        closure = TaskClosure(
            task_id=spec.task_id,
            status=status,
            decided_by=self.process.applicant,
            decided_at=workflow.now(),
            comment=comment,
        )
        self.closed_task_ids[spec.task_id] = self.process.applicant
        self.kernel.outbox.close(closure)

    async def _run_step(self, step: StepSpec) -> StepResult | None:
        seats, note = await self._resolve(step)
        if not seats:  # a leader level with nobody at it, declared to be skipped
            self._notify_step(step, f"skipped: {note}")
            return StepResult(Outcome.approve)
        in_write = step.due_working_days is not None and workflow.patched(DEADLINE_IN_WRITE)
        due = None if in_write else await self._deadline(step)
        run = StepRun(step, [SeatTask(self._task(step, seat, due)) for seat in seats])
        for seat in run.seats:
            self.kernel.outbox.put_task(seat.spec)
        if in_write:
            self.kernel.outbox.deadlines.append(self._dated_by_write(step, run))
        self._copy_roles(step)
        self.runs.append(run)
        clock_task = self._start_clock(run, due) if due is not None else None
        await self.kernel.rest(self.lane)
        if in_write:
            clock_task = self._start_clock(run, self._date_seats(run))
        try:
            while run.result is None and not self.cancelled:
                await workflow.wait_condition(
                    lambda: run.result is not None or self.cancelled or bool(run.pending_before)
                )
                await self._run_added_before(run)
        finally:
            self.runs.remove(run)
        for seat in run.seats:
            if not seat.closed:
                self._close(seat, "cancelled")
        self.supervision.cancel_all(self.kernel.outbox)
        if clock_task is not None:
            await clock_task
        if self.cancelled:
            return None
        return run.result

    async def _run_added_before(self, run: StepRun) -> None:
        """前加签: the added signer decides first; on approval the task comes back to whoever added them."""
        while run.pending_before and run.result is None and not self.cancelled:
            added, seat = run.pending_before.pop(0)
            result = await self._run_step(added)
            if result is None:
                return
            if result.outcome is not Outcome.approve:
                run.result = result
                return
            back = seat.spec.model_copy(update={"task_id": str(workflow.uuid4()), "created_at": workflow.now()})
            run.seats.append(SeatTask(back))
            self.kernel.outbox.put_task(back)
            await self.kernel.rest(self.lane)

    def _plan_index(self, key: str) -> int:
        return [s.key for s in self.plan].index(key)

    # --- opening a step ------------------------------------------------------------------------

    async def _resolve(self, step: StepSpec) -> tuple[list[Seat], str | None]:
        """Who sits on the step: roles need no look-up; people (leaders, named signers, every holder,
        deputies of the absent) are resolved against the organisation when the step opens."""
        if not (step.named or step.leader_level or step.every_holder):
            return [Seat(role=role) for role in step.seat_roles], None
        scoped = step.unit_scope is not UnitScope.none
        query = SeatQuery(
            step=step.key,
            roles=list(step.seat_roles),
            every_holder=step.every_holder,
            named=self.signers.get(step.key) or list(step.signers),
            leader_level=step.leader_level,
            applicant_unit=self.process.unit_path[0] if self.process.unit_path else self.process.unit,
            unit=self.process.unit if scoped else None,
            unit_parents=step.unit_scope is UnitScope.unit_and_parents,
            at=workflow.now(),
        )
        answer: SeatAnswer = await look_up(ProcessStore.resolve_seats, query)
        if answer.seats or (step.leader_level is None and not step.signers):
            return answer.seats or [Seat(role=role) for role in step.seat_roles], answer.note
        if self.chain.leader_gap is LeaderGap.admin:
            return [Seat(role=Role.admin, note=answer.note)], answer.note
        return [], answer.note

    def _start_clock(self, run: StepRun, due: DeadlineAnswer) -> asyncio.Task[None]:
        step = run.step
        run.clock = DeadlineClock(
            due,
            levels=len(step.escalate_to),
            remind_before=timedelta(hours=step.remind_before_hours),
            done=lambda: run.result is not None or self.cancelled,
            paused=lambda: self.kernel.repair.stopped,
        )
        return asyncio.create_task(run.clock.run(partial_remind(self, run), partial_escalate(self, run)))

    def _dated_by_write(self, step: StepSpec, run: StepRun) -> StepDeadline:
        """The step's deadline, asked of the write that opens its tasks (keyed by its first task)."""
        assert step.due_working_days is not None
        return StepDeadline(
            key=run.seats[0].spec.task_id,
            query=deadline_query(workflow.now(), step.due_working_days, len(step.escalate_to)),
            task_ids=[seat.spec.task_id for seat in run.seats],
        )

    def _date_seats(self, run: StepRun) -> DeadlineAnswer:
        """After the write: the deadline it counted, on the step's tasks as they were stored."""
        due = self.kernel.answers.pop(run.seats[0].spec.task_id)
        for seat in run.seats:
            seat.spec = seat.spec.model_copy(update={"due_at": due.deadline, "due_provisional": due.provisional})
        return due

    async def _deadline(self, step: StepSpec) -> DeadlineAnswer | None:
        if step.due_working_days is None:
            return None
        query = deadline_query(workflow.now(), step.due_working_days, len(step.escalate_to))
        return await working_day_deadline(query)

    def _task(self, step: StepSpec, seat: Seat, due: DeadlineAnswer | None) -> TaskSpec:
        scoped = step.unit_scope is not UnitScope.none and seat.user is None and seat.role in UNIT_SCOPED_ROLES
        return TaskSpec(
            task_id=str(workflow.uuid4()),
            process_id=self.process.process_id,
            workflow_id=self.process.workflow_id,
            process_type=self.process.process_type,
            step=step.key,
            step_title=step.title,
            role=seat.role,
            unit=self.process.unit if scoped else None,
            unit_parents=scoped and step.unit_scope is UnitScope.unit_and_parents,
            assignee=seat.user,
            on_behalf_of=seat.on_behalf_of,
            subject=self.process.subject[:200],
            round=self.round,
            created_at=workflow.now(),
            due_at=due.deadline if due else None,
            due_provisional=due.provisional if due else False,
        )

    def _close(self, seat: SeatTask, status: str, record: DecisionRecord | None = None) -> None:
        seat.closed = True
        self.closed_task_ids[seat.spec.task_id] = record.actor if record else status
        self.kernel.outbox.close(
            TaskClosure(
                task_id=seat.spec.task_id,
                status=status,
                outcome=record.outcome if record else None,
                decided_by=record.actor if record else None,
                decided_at=workflow.now(),
                comment=record.comment if record else None,
            )
        )

    # --- who may act -----------------------------------------------------------------------------

    def _seat_for(self, task_id: str) -> tuple[StepRun, SeatTask]:
        if task_id in self.closed_task_ids:
            by = self.closed_task_ids[task_id]
            raise refuse(f"task {task_id} was already {'cancelled' if by == 'cancelled' else 'decided by ' + by}")
        for run in reversed(self.runs):
            seat = run.seat(task_id)
            if seat is not None:
                return run, seat
        raise refuse(f"task {task_id} is not open in this process")

    @enforces("000-4-unified-tiered")
    def _in_unit(self, spec: TaskSpec, actor: Actor) -> bool:
        """000 §5: a unit-scoped task is for holders in its unit (or, if declared, the units above)."""
        if spec.unit is None:
            return True
        if actor.unit == spec.unit:
            return True
        return spec.unit_parents and actor.unit is not None and actor.unit in self.process.unit_path[1:]

    def _require_holder(self, seat: SeatTask, actor: Actor) -> None:
        """The person the task is assigned to; or, for a role task, a holder of the role in the unit
        who has not been beaten to it by a claim."""
        spec = seat.spec
        if spec.assignee is not None:
            if actor.username != spec.assignee:
                raise refuse(f"task {spec.task_id} is assigned to {spec.assignee}", errors.FORBIDDEN)
            return
        assert spec.role is not None
        if not actor.has(spec.role):
            raise refuse(
                f"step {spec.step} needs role {spec.role.value}; {actor.username} does not hold it", errors.FORBIDDEN
            )
        if not self._in_unit(spec, actor):
            raise refuse(
                f"task {spec.task_id} is for {spec.role.value} of unit {spec.unit}; {actor.username} is in "
                f"{actor.unit or 'no unit'} (000 §5)",
                errors.FORBIDDEN,
            )
        if spec.claimed_by is not None and spec.claimed_by != actor.username:
            raise refuse(f"task {spec.task_id} is claimed by {spec.claimed_by}")

    @enforces("000-6-distinct-signers")
    def _require_not_twice(self, username: str, run: StepRun, who: str = "") -> None:
        """One person never decides two steps of the same process, nor two seats of one step; the
        same step again (after a return or a resubmission) is theirs to decide again."""
        who = who or username
        if username == self.process.applicant:
            raise refuse(f"{who}: the applicant cannot approve their own application", errors.FORBIDDEN)
        for earlier in self.decisions:
            if earlier.actor == username and earlier.step != run.step.key:
                raise refuse(
                    f"{who} already decided step {earlier.step}; one person cannot decide two steps "
                    "of the same process",
                    errors.FORBIDDEN,
                )
        if any(s.decision is not None and s.decision.actor == username for s in run.seats):
            raise refuse(f"{who} already decided another seat of step {run.step.key}", errors.FORBIDDEN)

    # --- decisions ---------------------------------------------------------------------------

    def validate(self, request: DecisionRequest) -> None:
        """Refuse a decision that is stale, by the wrong person, or malformed (raises ApplicationError)."""
        if self.supervision.owns(request.task_id):
            self.supervision.validate(request)
            return
        self.refuse_decision_on_correction(request.task_id)
        run, seat = self._seat_for(request.task_id)
        spec = seat.spec
        if request.step != spec.step:
            raise refuse(f"task {request.task_id} belongs to step {spec.step}, not {request.step}")
        self._require_holder(seat, request.actor)
        principal = spec.delegated_by or spec.on_behalf_of
        if request.on_behalf_of is not None and request.on_behalf_of != principal:
            raise refuse(f"task {request.task_id} has moved: it is no longer held for {request.on_behalf_of}")
        if spec.delegated_by is None:  # a delegate's advice is not a decision
            self._require_not_twice(request.actor.username, run)
            if spec.on_behalf_of is not None:
                self._require_not_twice(spec.on_behalf_of, run, f"{spec.on_behalf_of} (represented)")
        if request.outcome is not Outcome.approve and not (request.comment or "").strip():
            raise refuse(f"a {request.outcome.value} decision needs a reason in comment", errors.INVALID)
        if request.outcome is Outcome.return_:
            if not run.step.allow_return:
                raise refuse(f"step {spec.step} cannot return the application", errors.INVALID)
            if request.return_to is not None:
                self._require_earlier(run.step, request.return_to)

    def refuse_decision_on_correction(self, task_id: str) -> None:
        """The applicant's correction task is closed by a resubmission or a withdrawal, not a decision."""
        if self.correction is not None and task_id == self.correction.task_id:
            raise refuse(
                f"task {task_id} asks the applicant to correct and resubmit the application, or withdraw it: "
                "it takes no decision",
                errors.INVALID,
            )

    def _require_earlier(self, step: StepSpec, target: str) -> None:
        keys = [s.key for s in self.chain.steps]
        if target not in keys:
            raise refuse(f"return_to {target} is not a step of {self.chain.process_type}", errors.INVALID)
        if keys.index(target) >= self._chain_position(step):
            raise refuse(f"return_to {target} is not an earlier step than {step.key}", errors.INVALID)

    def _chain_position(self, step: StepSpec) -> int:
        """A declared step's place in the chain; an added signer's step sits before or after its step."""
        if step.key in self.added_to:
            base, after = self.added_to[step.key]
            return self.chain.index(base) + (1 if after else 0)
        return self.chain.index(step.key)

    async def decide(self, request: DecisionRequest) -> DecisionRecord | None:
        """Apply a validated decision exactly once; the update answers once the process rests."""
        self.validate(request)
        if self.supervision.owns(request.task_id):
            self.supervision.acknowledge(self.kernel.outbox, request)
            await self.kernel.rest(self.lane)
            return None
        run, seat = self._seat_for(request.task_id)
        spec = seat.spec
        record = DecisionRecord(
            task_id=spec.task_id,
            step=spec.step,
            round=spec.round,
            outcome=request.outcome,
            comment=(request.comment or "").strip() or None,
            actor=request.actor.username,
            at=workflow.now(),
        )
        self._copy_users(request.cc, request.actor.username, spec.step)
        if spec.delegated_by is not None:
            # 委托: the delegate's advice is recorded, the task goes back to the delegator to decide.
            self.opinions.append(record)
            back = {"assignee": spec.delegated_by, "delegated_by": None, "on_behalf_of": None}
            seat.spec = spec.model_copy(update=back)
            self.kernel.outbox.put_task(seat.spec)
            await self.kernel.rest(self.lane)
            return record
        seat.decision = record
        self.decisions.append(record)
        if run.step.rules:
            self.kernel.outbox.name_rules(spec.task_id, spec.step, run.step.rules)
        self._close(seat, "done", record)
        result = self._step_result(run, record, request.return_to)
        if result is None:  # a countersign still waiting for other seats
            await self.kernel.rest(self.lane)
        else:
            run.result = result
        return record

    def settle(self, outcome: Outcome, comment: str) -> DecisionRecord | None:
        """The system decides the open step because what it waited for came true (a month-end
        collection paid by receipts, 000 §13): every open seat closes as decided by `system`, with
        the reason. None when no step is open or it is decided already."""
        run = self.current
        if run is None or run.result is not None or self.cancelled:
            return None
        seats = [s for s in run.seats if not s.closed]
        if not seats:
            return None
        record = DecisionRecord(
            task_id=seats[0].spec.task_id,
            step=run.step.key,
            round=self.round,
            outcome=outcome,
            comment=comment,
            actor="system",
            at=workflow.now(),
        )
        for seat in seats:
            self._close(seat, "done", record)
        self.decisions.append(record)
        run.result = StepResult(outcome)
        return record

    @staticmethod
    def _step_result(run: StepRun, record: DecisionRecord, return_to: str | None) -> StepResult | None:
        """Single and or-sign: the decision decides. Countersign: the first reject or return decides;
        approval once every seat approved (a seat waiting for its added signer has not)."""
        if run.step.mode is not SignMode.all or record.outcome is not Outcome.approve:
            return StepResult(record.outcome, return_to if record.outcome is Outcome.return_ else None)
        if run.pending_before or any(not s.closed for s in run.seats):
            return None
        return StepResult(Outcome.approve)

    # --- delegate, transfer, add signer, claim -----------------------------------------------------

    def validate_hand_over(self, request: HandOverRequest) -> None:
        run, seat = self._seat_for(request.task_id)
        self._require_holder(seat, request.actor)
        if seat.spec.delegated_by is not None:
            raise refuse(f"this task was delegated by {seat.spec.delegated_by} and goes back to them")
        target = request.to
        if target.username == request.actor.username:
            raise refuse("a task cannot be handed to oneself", errors.INVALID)
        if target.username == self.process.applicant:
            raise refuse("a task cannot be handed to the applicant", errors.FORBIDDEN)
        named = target.username in self.signers.get(run.step.key, [])
        if not named and not any(target.has(role) for role in run.step.seat_roles):
            wanted = ", ".join(r.value for r in run.step.seat_roles) or "a named signer of the step"
            raise refuse(f"{target.username} cannot take step {run.step.key}: it needs {wanted}", errors.FORBIDDEN)
        if seat.spec.unit is not None and not self._in_unit(seat.spec, target):
            raise refuse(f"{target.username} is not in unit {seat.spec.unit} (000 §5)", errors.FORBIDDEN)
        if request.kind is HandOverKind.transfer:
            self._require_not_twice(target.username, run)
        if request.deputy is not None:
            self._require_deputy(request, run)

    def _require_deputy(self, request: HandOverRequest, run: StepRun) -> None:
        """The absent target's deputy takes the task for them: never the hander, nor the applicant."""
        deputy = request.deputy
        assert deputy is not None
        if deputy.username in (request.actor.username, self.process.applicant):
            who = "the applicant" if deputy.username == self.process.applicant else "you"
            raise refuse(
                f"{request.to.username} is out of office and their deputy {deputy.username} is {who}: "
                "hand the task to someone else",
                errors.FORBIDDEN,
            )
        if request.kind is HandOverKind.transfer:
            self._require_not_twice(deputy.username, run, f"{deputy.username} (deputy of {request.to.username})")

    async def hand_over(self, request: HandOverRequest) -> None:
        """委托 comes back to the delegator for the final decision; 转办 moves the task for good. A
        target who is out of office gets it through their deputy, who acts on their behalf."""
        self.validate_hand_over(request)
        _, seat = self._seat_for(request.task_id)
        deputy = request.deputy
        update: dict[str, Any] = {
            "assignee": (deputy or request.to).username,
            "claimed_by": None,
            "on_behalf_of": request.to.username if deputy else None,
        }
        if request.kind is HandOverKind.delegate:
            update["delegated_by"] = request.actor.username
        seat.spec = seat.spec.model_copy(update=update)
        self.kernel.outbox.put_task(seat.spec)
        await self.kernel.rest(self.lane)

    def validate_add_signer(self, request: AddSignerRequest) -> None:
        run, seat = self._seat_for(request.task_id)
        self._require_holder(seat, request.actor)
        if seat.spec.delegated_by is not None:
            raise refuse("a delegate cannot add signers; the delegator can")
        signer = request.signer.username
        if signer == request.actor.username:
            raise refuse("one cannot add oneself as a signer", errors.INVALID)
        if signer == self.process.applicant:
            raise refuse("the applicant cannot be added as a signer", errors.FORBIDDEN)
        self._require_not_twice(signer, run)

    async def add_signer(self, request: AddSignerRequest) -> None:
        """加签: the added signer's step is a normal step (deadline, escalation, history)."""
        self.validate_add_signer(request)
        run, seat = self._seat_for(request.task_id)
        self._added += 1
        position = request.position.value
        added = run.step.model_copy(
            update={
                "key": f"{run.step.key}_added_{self._added}"[:60],
                "title": f"加签 ({position}) {request.signer.username}: {run.step.title}"[:200],
                "role": None,
                "roles": (),
                "mode": SignMode.single,
                "every_holder": False,
                "named": True,
                "leader_level": None,
                "unit_scope": UnitScope.none,
                "cc": (),
            }
        )
        self.signers[added.key] = [request.signer.username]
        base = self.added_to.get(run.step.key, (run.step.key, False))[0]
        self.added_to[added.key] = (base, request.position is SignerPosition.after)
        if request.position is SignerPosition.after:
            index = self._plan_index(run.step.key) + 1
            while index < len(self.plan) and not self.chain.has_step(self.plan[index].key):
                index += 1  # after the signers added earlier to this step
            self.plan.insert(index, added)
            await self.kernel.rest(self.lane)
            return
        # Before: the adder's task waits for the added signer, then comes back to the adder.
        seat.spec = seat.spec.model_copy(update={"assignee": request.actor.username, "claimed_by": None})
        self._close(seat, "cancelled")
        seat.replaced = True
        run.pending_before.append((added, seat))

    def validate_claim(self, request: ClaimRequest) -> None:
        _, seat = self._seat_for(request.task_id)
        spec = seat.spec
        if spec.assignee is not None:
            raise refuse(f"task {spec.task_id} is assigned to {spec.assignee}: nothing to claim")
        if request.release:
            if spec.claimed_by != request.actor.username:
                raise refuse(f"task {spec.task_id} is not claimed by {request.actor.username}")
            return
        self._require_holder(seat, request.actor)

    async def claim(self, request: ClaimRequest) -> None:
        """A claimed role task is the claimer's alone until they release it or decide it."""
        self.validate_claim(request)
        _, seat = self._seat_for(request.task_id)
        claimed_by = None if request.release else request.actor.username
        if seat.spec.claimed_by != claimed_by:
            seat.spec = seat.spec.model_copy(update={"claimed_by": claimed_by})
            self.kernel.outbox.put_task(seat.spec)
        await self.kernel.rest(self.lane)

    # --- urge, CC, escalation -------------------------------------------------------------------

    def validate_urge(self, request: UrgeRequest) -> None:
        run = self.current
        if run is None or not self.open_seats:
            raise refuse("nobody is holding a task of this process right now")
        actor = request.actor
        supervisors = set(run.step.escalate_to) | set(OVERSIGHT_ROLES - {Role.auditor})
        if actor.username != self.process.applicant and not any(actor.has(r) for r in supervisors):
            raise refuse("only the applicant or a supervisor of the step may urge", errors.FORBIDDEN)
        interval = timedelta(minutes=self.chain.urge_interval_minutes)
        if self.last_urged_at is not None and workflow.now() < self.last_urged_at + interval:
            again = china_iso(self.last_urged_at + interval)
            raise refuse(f"already urged at {china_iso(self.last_urged_at)}; next possible at {again}")

    async def urge(self, request: UrgeRequest) -> None:
        """催办: every current holder is nudged; recorded in the history as the update itself."""
        self.validate_urge(request)
        self.last_urged_at = workflow.now()
        text = f"催办 by {request.actor.username}" + (f": {request.comment}" if request.comment else "")
        for seat in self.open_seats:
            self._notify_holder(seat, "urge", text)
        await self.kernel.rest(self.lane)

    def _notify_holder(self, seat: SeatTask, kind: str, text: str) -> None:
        spec = seat.spec
        user = spec.assignee or spec.claimed_by
        role = None if user else spec.role
        self.kernel.outbox.notifications.append(self.supervision.notification(kind, role, user, text, spec.step))

    def _notify_step(self, step: StepSpec, text: str) -> None:
        self.kernel.outbox.notifications.append(self.supervision.notification("step_note", None, None, text, step.key))

    def _copy_roles(self, step: StepSpec) -> None:
        for role in step.cc:
            self._watch(
                WatcherSpec(
                    watcher_id=f"{self.process.process_id}:{workflow.uuid4()}",
                    process_id=self.process.process_id,
                    role=role,
                    added_by="system",
                    step=step.key,
                    added_at=workflow.now(),
                ),
                f"知会: step {step.key} opened",
            )

    def _copy_users(self, users: list[str], by: str, step: str) -> None:
        for user in dict.fromkeys(users):
            self._watch(
                WatcherSpec(
                    watcher_id=f"{self.process.process_id}:{workflow.uuid4()}",
                    process_id=self.process.process_id,
                    username=user,
                    added_by=by,
                    step=step,
                    added_at=workflow.now(),
                ),
                f"抄送 by {by} at step {step}",
            )

    def _watch(self, watcher: WatcherSpec, text: str) -> None:
        self.kernel.outbox.watchers.append(watcher)
        self.kernel.outbox.notifications.append(
            self.supervision.notification("cc", watcher.role, watcher.username, text, watcher.step)
        )

    async def _remind(self, run: StepRun) -> None:
        assert run.clock is not None
        for seat in run.seats:
            if not seat.closed:
                self._notify_holder(seat, "reminder", f"due at {china_iso(run.clock.due.deadline)}")
        await self.kernel.flush()

    async def _escalate(self, run: StepRun, level: int, missed: datetime) -> None:
        """Past the step's deadline: its tasks are overdue; the level's supervisor gets a 督办 task."""
        role = run.step.escalate_to[level - 1]
        for seat in run.seats:
            if not seat.closed:
                seat.spec = seat.spec.model_copy(update={"overdue": True, "escalation_level": level})
                self.kernel.outbox.put_task(seat.spec)
        self.supervision.escalate(self.kernel.outbox, run.step.key, level, role, missed, None)
        await self.kernel.flush()

    # --- calendar re-plan ---------------------------------------------------------------------------

    async def replan(self, change: CalendarChanged) -> bool:
        """A provisional deadline counted in a year the administrator just entered is computed again;
        the running timer moves and the history keeps both. True when a deadline moved."""
        moved = False
        for run in list(self.runs):
            clock = run.clock
            if clock is None or not clock.due.provisional or not set(clock.due.unknown_years) & set(change.years):
                continue
            old = clock.due
            assert old.start is not None and old.working_days is not None
            query = deadline_query(old.start, old.working_days, clock.levels).model_copy(
                update={"replaces": old.deadline}
            )
            new = await working_day_deadline(query)
            if run.clock is not clock or run.result is not None:
                continue
            clock.replan(new)
            self.replans.append(
                DeadlineReplan(
                    step=run.step.key, previous=old.deadline, deadline=new.deadline, provisional=new.provisional
                )
            )
            for seat in run.seats:
                if not seat.closed:
                    seat.spec = seat.spec.model_copy(
                        update={"due_at": new.deadline, "due_provisional": new.provisional}
                    )
                    self.kernel.outbox.put_task(seat.spec)
            moved = True
        return moved


def partial_remind(chain: ApprovalChain, run: StepRun) -> Callable[[], Awaitable[None]]:
    async def remind() -> None:
        await chain._remind(run)

    return remind


def partial_escalate(chain: ApprovalChain, run: StepRun) -> Callable[[int, datetime], Awaitable[None]]:
    async def escalate(level: int, missed: datetime) -> None:
        await chain._escalate(run, level, missed)

    return escalate


class ApprovalHost:
    """The step actions every process workflow offers, dispatched to the chain that owns the task.

    A workflow inherits these Updates and the calendar signal; it lists its chains in `_chains`
    and says in `_require_open` when it takes no more actions.
    """

    kernel: Kernel

    def _chains(self) -> list[ApprovalChain]:
        raise NotImplementedError

    def _require_open(self) -> None:
        """Refuse every step action once the process has ended (override)."""

    def view(self) -> Any:
        raise NotImplementedError

    def _chain_for(self, task_id: str) -> ApprovalChain:
        for chain in self._chains():
            if chain.owns(task_id):
                return chain
        raise refuse(f"task {task_id} is not open in this process")

    async def _act(self, chain: ApprovalChain, action: Callable[[], Awaitable[Any]]) -> Any:
        chain.lane.move()
        await action()
        await self.kernel.rested(chain.lane)
        return self.view()

    @workflow.update
    async def hand_over(self, request: HandOverRequest) -> Any:
        """委托 / 转办 of an open task."""
        self.validate_hand_over(request)
        chain = self._chain_for(request.task_id)
        return await self._act(chain, lambda: chain.hand_over(request))

    @hand_over.validator
    def validate_hand_over(self, request: HandOverRequest) -> None:
        self._require_open()
        self._chain_for(request.task_id).validate_hand_over(request)

    @workflow.update
    async def add_signer(self, request: AddSignerRequest) -> Any:
        """加签 before or after the current step."""
        self.validate_add_signer(request)
        chain = self._chain_for(request.task_id)
        return await self._act(chain, lambda: chain.add_signer(request))

    @add_signer.validator
    def validate_add_signer(self, request: AddSignerRequest) -> None:
        self._require_open()
        self._chain_for(request.task_id).validate_add_signer(request)

    @workflow.update
    async def claim(self, request: ClaimRequest) -> Any:
        """Claim (or release) a role task."""
        self.validate_claim(request)
        chain = self._chain_for(request.task_id)
        return await self._act(chain, lambda: chain.claim(request))

    @claim.validator
    def validate_claim(self, request: ClaimRequest) -> None:
        self._require_open()
        self._chain_for(request.task_id).validate_claim(request)

    def _waiting_chains(self) -> list[ApprovalChain]:
        return [chain for chain in self._chains() if chain.waiting_for_decision]

    @workflow.update
    async def urge(self, request: UrgeRequest) -> Any:
        """催办: nudge whoever holds the process's open approval tasks."""
        self.validate_urge(request)
        for chain in self._waiting_chains():
            chain.lane.move()
            await chain.urge(request)
        for chain in self._chains():
            await self.kernel.rested(chain.lane)
        return self.view()

    @urge.validator
    def validate_urge(self, request: UrgeRequest) -> None:
        self._require_open()
        waiting = self._waiting_chains()
        if not waiting:
            raise refuse("no approval task of this process is open: nothing to urge")
        for chain in waiting:
            chain.validate_urge(request)

    @workflow.update
    async def repair(self, request: RepairRequest) -> RepairOutcome:
        """An administrator's decision on a process stopped by a refused write (workflows/repair.py)."""
        self.validate_repair(request)
        # The decision's audit row is written with it (activities/process_failures.py), even when
        # the process ends on it: not with the next write, which an abandoned process never makes.
        self.kernel.outbox.audit = [e for e in self.kernel.outbox.audit if e.name != "repair"]
        outcome = await self.kernel.repair.decide(request)
        if outcome.status == ProcessStatus.running.value:
            kernel = self.kernel

            def rested() -> bool:  # read-your-writes: the row shows the resumed process as it now is
                return (kernel.in_flight == 0 and kernel.main.settled) or kernel.repair.stopped

            await workflow.wait_condition(rested)
        return outcome

    @repair.validator
    def validate_repair(self, request: RepairRequest) -> None:
        self.kernel.repair.validate(request)

    @workflow.signal
    async def calendar_changed(self, change: CalendarChanged) -> None:
        """An administrator entered a year's schedule: provisional deadlines are computed again.
        A read arriving meanwhile (`current`) waits for the re-plan and its write."""
        async with self.kernel.busy():
            moved = False
            for chain in self._chains():
                moved = await chain.replan(change) or moved
            moved = await self._replan_own(change) or moved
            if moved:
                await self.kernel.flush()

    async def _replan_own(self, change: CalendarChanged) -> bool:
        """Deadlines a workflow keeps outside its chains (a complaint's) re-plan here (override)."""
        return False


# What a chain's outcome makes of its process (a chain that ends without one was withdrawn).
OUTCOME_STATUS = {
    Outcome.approve: ProcessStatus.approved,
    Outcome.reject: ProcessStatus.rejected,
    Outcome.return_: ProcessStatus.returned,
}


class SingleChainHost(ApprovalHost):
    """A process that is one chain (onboarding, a chain run on its own): decisions, withdrawal and
    read-your-writes, written once for both."""

    approvals: ApprovalChain
    status: ProcessStatus
    applicant_name: str
    resubmitted: bool = False  # set by a workflow's own `resubmit` update
    # Steps approved only with their form (a score sheet, a review form), sent by an update of their
    # own: step → what a bare approval is told. Rejecting or returning needs no form.
    form_steps: ClassVar[dict[str, str]] = {}

    def _chains(self) -> list[ApprovalChain]:
        return [self.approvals]

    def chain_view(self, customer_id: int | None = None, **extra: Any) -> ProcessView:
        """The process as its chain shows it: step and due date while it runs; its open tasks and
        their holders while it is open (a returned application waits for its applicant)."""
        running = self.status is ProcessStatus.running
        tasks = self.approvals.open_tasks if self.status.is_open else []
        return ProcessView(
            process_id=self.approvals.process.process_id,
            process_type=self.approvals.process.process_type,
            status=self.status,
            current_step=self.approvals.current_step if running else None,
            customer_id=customer_id,
            open_task_ids=[t.task_id for t in tasks],
            holders=holders_of(tasks),
            due_at=self.approvals.due_at if running else None,
            **extra,
        )

    def chain_projection(self, started_at: datetime, **extra: Any) -> ProcessProjection:
        """The process row as `view()` shows it now (customer_id, subject_key in `extra`)."""
        view = self.view()
        return self.approvals.process.projection(view.status, view.current_step, started_at, **extra)

    def _require_open(self) -> None:
        if self.status is not ProcessStatus.running:
            raise refuse(f"the process is {self.status.value}, not running")

    async def await_resubmission(self) -> bool:
        """A return to the applicant: the process rests as `returned`, with a "correct and resubmit"
        task (the returner's reason on it) in the applicant's inbox, until their `resubmit` (True:
        the task is done, the next round begins) or their withdrawal (False: the task is cancelled).
        Histories recorded before the task existed replay without it."""
        self.status = ProcessStatus.returned
        if workflow.patched(CORRECTION_TASK):
            self.approvals.ask_for_correction()
        await self.kernel.rest()
        await workflow.wait_condition(lambda: self.resubmitted or self.status is ProcessStatus.withdrawn)
        if self.status is ProcessStatus.withdrawn:
            return False
        self.approvals.close_correction("done", "resubmitted")
        self.resubmitted = False
        self.status = ProcessStatus.running
        self.approvals.round += 1
        return True

    @workflow.update
    async def decide(self, request: DecisionRequest) -> Any:
        self.validate_decide(request)
        self.kernel.main.move()
        await self.approvals.decide(request)
        await self.kernel.rested()
        return self.view()

    def form_required(self, step: str) -> str | None:
        """What a bare approval of `step` is told when the step is approved only with its form; a
        workflow whose form became required later overrides it (saved histories approved bare)."""
        return self.form_steps.get(step)

    def form_decision(self, step: str, actor: Actor, comment: str | None, seat: int = 0) -> DecisionRequest:
        """The approval a form sent by its own update makes on `step`'s open seat (a score sheet, a
        review form; `seat`: which, of a countersign's); a deputy's or delegate's decision names its
        principal, as the inbox's does."""
        if self.approvals.current_step != step:
            raise refuse(f"the process is at step {self.approvals.current_step}, not {step}")
        seats = [s for s in self.approvals.open_seats if s.spec.step == step]
        if len(seats) <= seat:
            raise refuse(f"no {step} task is open")
        spec = seats[seat].spec
        principal = (spec.delegated_by or spec.on_behalf_of) if spec.assignee == actor.username else None
        return DecisionRequest(
            task_id=spec.task_id,
            step=step,
            outcome=Outcome.approve,
            comment=comment,
            actor=actor,
            on_behalf_of=principal,
        )

    @decide.validator
    def validate_decide(self, request: DecisionRequest) -> None:
        self.approvals.refuse_decision_on_correction(request.task_id)
        self._require_open()
        needs_form = self.form_required(request.step)
        if needs_form is not None and request.outcome is Outcome.approve:
            raise ApplicationError(needs_form, type=errors.INVALID)
        self.approvals.validate(request)

    @workflow.update
    async def withdraw(self, request: WithdrawRequest) -> Any:
        """The applicant withdraws an open application; its open tasks are cancelled."""
        self.validate_withdraw(request)
        self.kernel.main.move()
        self.status = ProcessStatus.withdrawn
        self.approvals.cancel()
        await self.kernel.rested()
        return self.view()

    @withdraw.validator
    def validate_withdraw(self, request: WithdrawRequest) -> None:
        if not self.status.is_open:
            raise refuse(f"the process is already {self.status.value}")
        if request.actor.username != self.applicant_name:
            raise refuse("only the applicant may withdraw this application", errors.FORBIDDEN)

    @workflow.update
    async def current(self) -> Any:
        """Waits until the process rests (tasks in inboxes, or finished): read-your-writes for the API."""
        await self.kernel.rested()
        return self.view()
