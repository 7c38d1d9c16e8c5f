"""Month-end collection — 月末收回 (000 §13: 全部货款必须在月末收回, 严禁发生应收账款未回收的情况).

Two workflows. `CreditCollectionRound` is what the schedule starts (schedules.py): on the last
working day of a month (the working-day calendar says; any other day it ends at once) it opens one
`CreditCollection` per credit customer owing money. `CreditCollection` is a process like any other:
one task for the customer's designated collector, "collect X by month end", with a deadline,
a reminder and escalation to the marketing manager, then the business VP (the engine's step clock).
"Collected" is refused while money of this month end is missing; receipts covering it close the task
by themselves (`ledger_changed`, sent after a receipt is booked: api/collection_signal.py).
"""

from __future__ import annotations

from contextlib import suppress

from temporalio import workflow
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    # the zone made outside the sandbox: a ZoneInfo made inside it is a restricted proxy
    from activities.collection_store import CollectionStore
    from activities.credit_risk import CHINA
    from activities.process_store import ProcessStore
    from activities.process_sync import ProcessSync
    from domain import errors
    from domain.approvals import Outcome
    from domain.collection import (
        STEP,
        Cleared,
        CollectionCheck,
        CollectionInput,
        CollectionRoundInput,
        CollectionRoundResult,
        CollectionStatus,
        DuePage,
        collection_chain,
        month_of,
    )
    from domain.credit import collection_workflow_id
    from domain.models import DecisionRequest, ProcessStatus, ProcessView
    from domain.rulebook import enforces
    from workflows.activity_calls import look_up, write
    from workflows.approval import ApprovalChain, ProcessRef, SingleChainHost, refuse
    from workflows.kernel import Kernel, Outbox

PAGE = 200
CHILDREN_PER_RUN = 1000  # then continue-as-new: the round's history stays small


@enforces("000-13-collected-by-month-end")
@workflow.defn(name="CreditCollectionRound")
class CreditCollectionRoundWorkflow:
    """One collection per credit customer owing money, on the last working day of the month only."""

    @workflow.run
    async def run(self, start: CollectionRoundInput) -> CollectionRoundResult:
        day = start.day or workflow.now().astimezone(CHINA).date()
        end = await look_up(CollectionStore.collection_month_end, day)
        result = CollectionRoundResult(
            day=day, month=month_of(day), is_last_working_day=end.is_last, provisional=end.provisional
        )
        if end.provisional:
            workflow.logger.warning(
                "collection round %s: the year is beyond the official holiday schedule; the last working "
                "day (%s) is judged by weekends only (provisional)",
                day,
                end.last_working_day,
            )
        if not end.is_last:
            return result
        days = await look_up(CollectionStore.collection_working_days, day)
        chain = collection_chain(days)
        after = start.after_customer_id
        while True:
            request = DuePage(after_customer_id=after, limit=PAGE, month=result.month)
            page = await look_up(CollectionStore.collections_due, request)
            for due in page:
                collection = CollectionInput(due=due, month=result.month, round_day=day, chain=chain)
                child_id = collection_workflow_id(due.customer.credit_code, result.month)
                with suppress(WorkflowAlreadyStartedError):  # a second fire of the same day
                    await workflow.start_child_workflow(
                        "CreditCollection", collection, id=child_id, parent_close_policy=ParentClosePolicy.ABANDON
                    )
                result.opened.append(child_id)
            if len(page) < PAGE:
                return result
            after = page[-1].customer.customer_id
            if len(result.opened) >= CHILDREN_PER_RUN:
                workflow.continue_as_new(start.model_copy(update={"day": day, "after_customer_id": after}))


@workflow.defn(name="CreditCollection")
class CreditCollectionWorkflow(SingleChainHost):
    """One customer's month end: the collector's task, closed once the amount is in (000 §13)."""

    @workflow.init
    def __init__(self, start: CollectionInput) -> None:
        info = workflow.info()
        self.start = start
        self.status = ProcessStatus.running
        self.started_at = workflow.now()
        self.applicant_name = "system"  # the regulation's duty, nobody's application
        self.kernel = Kernel(self._write)
        customer = start.due.customer
        collector = start.due.collector
        self.approvals = ApprovalChain(
            chain=start.chain,
            process=ProcessRef(
                process_id=info.run_id,
                workflow_id=info.workflow_id,
                process_type=start.chain.process_type,
                subject=f"{customer.name} {start.month} 月末回收 {start.due.amount:.2f}",
                applicant=self.applicant_name,
                unit=customer.unit,
                unit_path=(customer.unit,) if customer.unit else (),
            ),
            kernel=self.kernel,
            signers={STEP: [collector]} if collector else {},
        )
        self.cleared: Cleared | None = None

    @workflow.run
    async def run(self, start: CollectionInput) -> ProcessView:
        return await self.kernel.guard(self._run())

    async def _run(self) -> ProcessView:
        outcome = await self.approvals.run()
        # The one step cannot be rejected or returned, and nobody withdraws a duty: approve is the end.
        self.status = ProcessStatus.approved if outcome is Outcome.approve else ProcessStatus.withdrawn
        await self.kernel.rest()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.view()

    def _check(self) -> CollectionCheck:
        due = self.start.due
        return CollectionCheck(
            customer_id=due.customer.customer_id,
            after_entry_id=due.last_entry_id,
            amount=due.amount,
            month=self.start.month,
        )

    async def _status(self) -> CollectionStatus:
        return await look_up(CollectionStore.collection_status, self._check())

    # --- the collector's "collected" (refused while money is missing) ---------------------------

    @workflow.update
    async def decide(self, request: DecisionRequest) -> ProcessView:
        self.validate_decide(request)
        if not self.approvals.supervision.owns(request.task_id):
            status = await self._status()
            if not status.cleared:
                raise refuse(f"not collected yet (000 §13 全部货款必须在月末收回): {status.figures()}")
            self.approvals.validate(request)  # again: the receipts may have closed it meanwhile
            self.cleared = Cleared(
                by=request.actor.username, at=workflow.now(), reason=request.comment or "collected", status=status
            )
        self.kernel.main.move()
        await self.approvals.decide(request)
        await self.kernel.rested()
        return self.view()

    @decide.validator
    def validate_decide(self, request: DecisionRequest) -> None:
        self._require_open()
        if not self.approvals.supervision.owns(request.task_id) and request.outcome is not Outcome.approve:
            raise refuse(
                "a month-end collection closes only when collected (000 §13); while unpaid it escalates",
                errors.INVALID,
            )
        self.approvals.validate(request)

    # --- receipts close it by themselves ------------------------------------------------------------

    @workflow.signal
    async def ledger_changed(self) -> None:
        """A receipt was booked for the customer: once the month-end amount is in, the system closes
        the collector's task ("cleared by receipts")."""
        await workflow.wait_condition(lambda: self.approvals.current is not None or not self.status.is_open)
        if not self.status.is_open:
            return
        async with self.kernel.busy():
            status = await self._status()
            if not status.cleared or not self.status.is_open:
                return
            record = self.approvals.settle(Outcome.approve, f"cleared by receipts: {status.figures()}")
            if record is not None:
                self.kernel.main.move()  # a read waits for the closing write
                self.cleared = Cleared(by=record.actor, at=record.at, reason="cleared by receipts", status=status)

    @workflow.query
    def clearance(self) -> Cleared | None:
        return self.cleared

    # --- state ------------------------------------------------------------------------------------

    @workflow.query
    def view(self) -> ProcessView:
        return self.chain_view(self.start.due.customer.customer_id)

    async def _write(self, outbox: Outbox) -> None:
        customer = self.start.due.customer
        projection = self.chain_projection(
            self.started_at, customer_id=customer.customer_id, subject_key=customer.credit_code
        )
        await write(ProcessStore.sync_process, ProcessSync(process=projection, **outbox.as_fields()))
