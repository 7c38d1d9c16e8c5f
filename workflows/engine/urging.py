"""催办: the applicant or a supervisor of the step nudges whoever holds the open tasks, at most once
per the chain's declared interval; recorded in the history as the update itself.

The owner of `last_urged_at`."""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain import errors
    from domain.china_time import china_iso
    from domain.models import UrgeRequest
    from domain.roles import OVERSIGHT_ROLES, Role
    from workflows.engine.board import SeatBoard
    from workflows.engine.context import ChainContext
    from workflows.engine.notices import Notices
    from workflows.engine.refusal import refuse
    from workflows.engine.walker import ChainWalker


class Urging:
    def __init__(self, context: ChainContext, board: SeatBoard, walker: ChainWalker, notices: Notices) -> None:
        self.context = context
        self.board = board
        self.walker = walker
        self.notices = notices
        self.last_urged_at: datetime | None = None

    def validate(self, request: UrgeRequest) -> None:
        run = self.board.current
        if run is None or not self.board.open_seats:
            raise refuse("nobody is holding a task of this process right now")
        actor = request.actor
        supervisors = set(run.step.escalate_to) | set(OVERSIGHT_ROLES - {Role.auditor})
        if actor.username != self.context.process.applicant and not any(actor.has(r) for r in supervisors):
            raise refuse("only the applicant or a supervisor of the step may urge", errors.FORBIDDEN)
        interval = timedelta(minutes=self.walker.chain.urge_interval_minutes)
        if self.last_urged_at is not None and workflow.now() < self.last_urged_at + interval:
            again = china_iso(self.last_urged_at + interval)
            raise refuse(f"already urged at {china_iso(self.last_urged_at)}; next possible at {again}")

    async def urge(self, request: UrgeRequest) -> None:
        """Every current holder is nudged."""
        self.validate(request)
        self.last_urged_at = workflow.now()
        text = f"催办 by {request.actor.username}" + (f": {request.comment}" if request.comment else "")
        for seat in self.board.open_seats:
            self.notices.notify_holder(seat, "urge", text)
        await self.context.rest()
