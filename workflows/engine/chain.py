"""`ApprovalChain`: the facade a workflow holds for each chain it runs. It builds the parts, each
the one owner of its piece of state, and answers for them:

- `walker.ChainWalker`: the chain, the plan, the round, the walk (and whether it was cancelled);
- `board.SeatBoard`: the open steps and their seats, closed tasks, decisions and opinions;
- `seats.SeatResolver`: who sits on a step, named signers;
- `deadlines.StepDeadlines`: each step's clock, re-planned deadlines;
- `decisions.DecisionDesk` (with `sign_modes`), `hand_over.HandOver`, `add_signer.AddSigners`,
  `urging.Urging`, `correction.Correction`, `notices.Notices`: the step actions;
- `read_model.ReadModel`: what the row, the view and the inboxes show.
"""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.approvals import ChainSpec, Outcome, StepSpec
    from domain.models import (
        AddSignerRequest,
        CalendarChanged,
        ClaimRequest,
        DeadlineReplan,
        DecisionRecord,
        DecisionRequest,
        HandOverRequest,
        TaskSpec,
        UrgeRequest,
    )
    from workflows.clock import Supervision
    from workflows.engine.add_signer import AddSigners
    from workflows.engine.board import SeatBoard
    from workflows.engine.context import ChainContext
    from workflows.engine.correction import Correction
    from workflows.engine.deadlines import StepDeadlines
    from workflows.engine.decisions import DecisionDesk
    from workflows.engine.guards import Guards
    from workflows.engine.hand_over import HandOver
    from workflows.engine.notices import Notices
    from workflows.engine.process_ref import ProcessRef
    from workflows.engine.read_model import ReadModel
    from workflows.engine.seats import SeatResolver
    from workflows.engine.step_run import SeatTask, StepRun
    from workflows.engine.urging import Urging
    from workflows.engine.walker import ChainWalker
    from workflows.kernel import Kernel, Lane


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
        if kernel.process is None:  # the process a refused write names, if the workflow did not say
            kernel.process = process
        supervision = Supervision(process.process_id, process.workflow_id, process.process_type, process.subject)
        self.context = context = ChainContext(process, kernel, lane or kernel.main, supervision)
        self.board = board = SeatBoard()
        self.seats = seats = SeatResolver(process, signers)
        guards = Guards(process, board)
        notices = Notices(context)
        self.deadlines = StepDeadlines(context, board, notices)
        self.walker = walker = ChainWalker(chain, context, board, seats, self.deadlines, notices)
        self.corrections = correction = Correction(context, board)
        self.add_signers = AddSigners(context, board, guards, seats, walker)
        self.decision_desk = DecisionDesk(context, board, guards, notices, correction, walker, self.add_signers)
        self.hand_overs = HandOver(context, board, guards, seats)
        self.urging = Urging(context, board, walker, notices)
        self.read_model = ReadModel(board, supervision, correction)

    # --- what the chain acts for, and the walk's state (settable where workflows set it) ---------

    @property
    def process(self) -> ProcessRef:
        return self.context.process

    @property
    def kernel(self) -> Kernel:
        return self.context.kernel

    @property
    def lane(self) -> Lane:
        return self.context.lane

    @property
    def supervision(self) -> Supervision:
        return self.context.supervision

    @property
    def chain(self) -> ChainSpec:
        return self.walker.chain

    @chain.setter
    def chain(self, chain: ChainSpec) -> None:
        self.walker.chain = chain

    @property
    def plan(self) -> list[StepSpec]:
        return self.walker.plan

    @plan.setter
    def plan(self, plan: list[StepSpec]) -> None:
        self.walker.plan = plan

    @property
    def round(self) -> int:
        return self.walker.round

    @round.setter
    def round(self, round_: int) -> None:
        self.walker.round = round_

    @property
    def cancelled(self) -> bool:
        return self.walker.cancelled

    @property
    def returned_from(self) -> str | None:
        return self.walker.returned_from

    @property
    def signers(self) -> dict[str, list[str]]:
        return self.seats.signers

    @property
    def runs(self) -> list[StepRun]:
        return self.board.runs

    @property
    def decisions(self) -> list[DecisionRecord]:
        return self.board.decisions

    @property
    def opinions(self) -> list[DecisionRecord]:
        return self.board.opinions

    @property
    def replans(self) -> list[DeadlineReplan]:
        return self.deadlines.replans

    @property
    def correction(self) -> TaskSpec | None:
        return self.corrections.spec

    # --- the read model ----------------------------------------------------------------------

    @property
    def current(self) -> StepRun | None:
        return self.board.current

    @property
    def current_step(self) -> str | None:
        return self.read_model.current_step

    @property
    def open_seats(self) -> list[SeatTask]:
        return self.board.open_seats

    @property
    def open_tasks(self) -> list[TaskSpec]:
        return self.read_model.open_tasks

    @property
    def open_task_ids(self) -> list[str]:
        return self.read_model.open_task_ids

    @property
    def holders(self) -> list[str]:
        return self.read_model.holders

    @property
    def due_at(self) -> datetime | None:
        return self.read_model.due_at

    @property
    def waiting_for_decision(self) -> bool:
        return self.read_model.waiting_for_decision

    def owns(self, task_id: str) -> bool:
        return self.read_model.owns(task_id)

    # --- the walk ----------------------------------------------------------------------------

    def set_first_step_due(self, working_days: int) -> None:
        self.walker.set_first_step_due(working_days)

    async def run(self, start_at: str | None = None) -> Outcome | None:
        return await self.walker.run(start_at)

    def resume_step(self) -> str | None:
        return self.walker.resume_step()

    def cancel(self) -> None:
        """Withdrawal: open tasks are cancelled, the chain ends without an outcome."""
        self.walker.cancelled = True
        self.corrections.close("cancelled", "withdrawn")

    def ask_for_correction(self) -> None:
        self.corrections.ask(self.walker.round)

    def close_correction(self, status: str, comment: str) -> None:
        self.corrections.close(status, comment)

    # --- step actions ------------------------------------------------------------------------

    def validate(self, request: DecisionRequest) -> None:
        self.decision_desk.validate(request)

    def refuse_decision_on_correction(self, task_id: str) -> None:
        self.corrections.refuse_decision(task_id)

    async def decide(self, request: DecisionRequest) -> DecisionRecord | None:
        return await self.decision_desk.decide(request)

    def settle(self, outcome: Outcome, comment: str) -> DecisionRecord | None:
        return self.decision_desk.settle(outcome, comment)

    def validate_hand_over(self, request: HandOverRequest) -> None:
        self.hand_overs.validate(request)

    async def hand_over(self, request: HandOverRequest) -> None:
        await self.hand_overs.hand_over(request)

    def validate_add_signer(self, request: AddSignerRequest) -> None:
        self.add_signers.validate(request)

    async def add_signer(self, request: AddSignerRequest) -> None:
        await self.add_signers.add(request)

    def validate_claim(self, request: ClaimRequest) -> None:
        self.hand_overs.validate_claim(request)

    async def claim(self, request: ClaimRequest) -> None:
        await self.hand_overs.claim(request)

    def validate_urge(self, request: UrgeRequest) -> None:
        self.urging.validate(request)

    async def urge(self, request: UrgeRequest) -> None:
        await self.urging.urge(request)

    async def replan(self, change: CalendarChanged) -> bool:
        return await self.deadlines.replan(change)
