"""P8 file borrowing — 客户档案借阅 (002 rule 1, 004 §3).

A request with its purpose and return date goes through the chain frozen into its start (the
borrower's department leader, for an outsider the manager too, 002 rule 1; then finance's consent
to read another unit's file, 004 §3); once approved the file is lent: the borrower reads it (never
writes it) until its keeper records the return. A durable timer reminds the borrower before the
return date and, once it passes, escalates the overdue loan to the keeping unit's manager with a
supervision task (002 rule 1: overdue loans are pursued). Every moment writes the borrowing
register's line with the process row, in one activity.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.borrowing_store import BorrowingStore, BorrowingSync
    from activities.calendar import DeadlineAnswer
    from domain import errors
    from domain.approvals import Outcome
    from domain.borrowing import (
        LOAN_REMIND_BEFORE,
        BorrowingInput,
        LoanRow,
        LoanStatus,
        ReturnRequest,
        keeper_unit,
        may_record_return,
    )
    from domain.models import ProcessStatus, ProcessView, WithdrawRequest
    from domain.rulebook import enforces
    from workflows.activity_calls import write
    from workflows.approval import OUTCOME_STATUS, ApprovalChain, ProcessRef, SingleChainHost, holders_of, refuse
    from workflows.clock import DeadlineClock
    from workflows.kernel import Kernel, Outbox

LENT_STEP = "lent"


@workflow.defn(name="Borrowing")
class BorrowingWorkflow(SingleChainHost):
    @workflow.init
    def __init__(self, start: BorrowingInput) -> None:
        info = workflow.info()
        self.start = start
        self.status = ProcessStatus.running
        self.applicant_name = start.applicant.username
        self.started_at = workflow.now()
        self.loan = LoanStatus.requested
        self.approved_by: str | None = None
        self.lent_at: datetime | None = None
        self.returned_at: datetime | None = None
        self.return_recorded_by: str | None = None
        self.clock: DeadlineClock | None = None
        self.kernel = Kernel(self._write)
        self.approvals = ApprovalChain(
            chain=start.chain,
            process=ProcessRef(
                process_id=info.run_id,
                workflow_id=info.workflow_id,
                process_type=start.chain.process_type,
                subject=f"借阅 {start.customer_name}",
                applicant=start.applicant.username,
                unit=start.owner_unit,  # the keeping unit: its manager reads the loans of its files
                unit_path=tuple(start.unit_path),  # the borrower's unit and those above it
            ),
            kernel=self.kernel,
        )

    @workflow.run
    async def run(self, start: BorrowingInput) -> ProcessView:
        return await self.kernel.guard(self._run())

    async def _run(self) -> ProcessView:
        outcome = await self.approvals.run()
        if outcome is Outcome.approve:
            await self._lend()
            self.status = ProcessStatus.closed
        elif outcome is None:  # withdrawn while finance considered it
            self.loan = LoanStatus.withdrawn
        else:  # refused, or returned to the borrower: a corrected request is a new one
            self.loan = LoanStatus.refused
            self.status = OUTCOME_STATUS[outcome]
        await self.kernel.rest()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.view()

    async def _lend(self) -> None:
        """Lent until the keeper records the return; the clock reminds, then escalates (002 rule 1)."""
        self.loan = LoanStatus.lent
        self.lent_at = workflow.now()
        self.approved_by = self.approvals.decisions[-1].actor
        self.clock = DeadlineClock(
            DeadlineAnswer(deadline=self.start.due_at, provisional=False),
            levels=1,
            remind_before=LOAN_REMIND_BEFORE,
            done=lambda: self.loan is not LoanStatus.lent,
            paused=lambda: self.kernel.repair.stopped,
        )
        clock = asyncio.create_task(self.clock.run(self._remind, self._escalate))
        await self.kernel.rest()
        await workflow.wait_condition(lambda: self.loan is not LoanStatus.lent)
        await clock
        self.approvals.supervision.cancel_all(self.kernel.outbox)

    async def _remind(self) -> None:
        """The borrower is told the file is due back (002 rule 1: the register names the return date)."""
        text = f"file due back by {self.start.return_by.isoformat()}"
        note = self.approvals.supervision.notification("reminder", None, self.start.applicant.username, text, LENT_STEP)
        self.kernel.outbox.notifications.append(note)
        await self.kernel.flush()

    @enforces("002-1-overdue-pursued")
    async def _escalate(self, level: int, missed: datetime) -> None:
        """Overdue: the keeping unit's manager gets a 督办 task, the borrower a notice (002 rule 1)."""
        keeper = self.start.keeper
        supervision = self.approvals.supervision
        supervision.escalate(
            self.kernel.outbox, "loan", level, keeper, missed, keeper_unit(keeper, self.start.owner_unit)
        )
        text = f"file overdue since {self.start.return_by.isoformat()}: return it to {self.start.owner_unit}"
        self.kernel.outbox.notifications.append(
            supervision.notification("overdue", None, self.start.applicant.username, text, LENT_STEP)
        )
        await self.kernel.flush()

    # --- the return (Update) -------------------------------------------------------------------

    @workflow.update
    async def return_file(self, request: ReturnRequest) -> ProcessView:
        self.validate_return_file(request)
        self.kernel.main.move()
        self.loan = LoanStatus.returned
        self.returned_at = workflow.now()
        self.return_recorded_by = request.actor.username
        await self.kernel.rested()
        return self.view()

    @return_file.validator
    def validate_return_file(self, request: ReturnRequest) -> None:
        """The file's keeper takes it back, and only a file that is out (002 rule 1)."""
        if not may_record_return(request.actor, self.start.owner_unit, self.start.keeper):
            raise refuse("only the file's keeper (its unit's manager, or finance) records its return", errors.FORBIDDEN)
        if self.loan is not LoanStatus.lent:
            raise refuse(f"the file is not lent: the loan is {self.loan.value}")

    def validate_withdraw(self, request: WithdrawRequest) -> None:
        """A lent file comes back by its return, not by withdrawing the request."""
        if self.loan is LoanStatus.lent:
            raise refuse("the file is lent: its keeper records its return")
        super().validate_withdraw(request)

    # --- state ---------------------------------------------------------------------------------

    @workflow.query
    def view(self) -> ProcessView:
        running = self.status is ProcessStatus.running
        lent = self.loan is LoanStatus.lent
        tasks = self.approvals.open_tasks if running else []  # when lent: the keeper's 督办 task, if overdue
        return ProcessView(
            process_id=self.approvals.process.process_id,
            process_type=self.approvals.process.process_type,
            status=self.status,
            current_step=(LENT_STEP if lent else self.approvals.current_step) if running else None,
            customer_id=self.start.customer_id,
            open_task_ids=[t.task_id for t in tasks],
            holders=holders_of(tasks),
            due_at=self.start.due_at if lent else self.approvals.due_at if running else None,
        )

    def loan_row(self) -> LoanRow:
        start = self.start
        outsider = start.outsider
        return LoanRow(
            process_id=self.approvals.process.process_id,
            workflow_id=self.approvals.process.workflow_id,
            customer_id=start.customer_id,
            borrower=start.applicant.username,
            borrower_unit=start.applicant.unit,
            owner_unit=start.owner_unit,
            purpose=start.purpose,
            return_by=start.return_by,
            status=self.loan,
            requested_at=self.started_at,
            lent_at=self.lent_at,
            approved_by=self.approved_by,
            returned_at=self.returned_at,
            return_recorded_by=self.return_recorded_by,
            overdue_level=self.clock.level if self.clock else 0,
            outsider_name=outsider.name if outsider else None,
            outsider_organisation=outsider.organisation if outsider else None,
            introduction_letter=outsider.introduction_letter if outsider else None,
        )

    async def _write(self, outbox: Outbox) -> None:
        projection = self.chain_projection(self.started_at, customer_id=self.start.customer_id)
        sync = BorrowingSync(process=projection, loan=self.loan_row(), **outbox.as_fields())
        await write(BorrowingStore.sync_borrowing, sync)
