"""P8 the customer record — a card change or a file destruction, by approval (000 §10 (四), 004 §6).

The request walks the chain the API chose for the file's owning unit (domain/approvals.py); on
approval the store activity changes the card (or destroys the file) and writes the change log
with who asked and who approved. A rejection or a withdrawal changes nothing. An approved request
that no longer applies (the file was destroyed meanwhile, a destruction of a customer who is no
longer past) ends rejected with the reason in its history. An approved transaction-start survey is
recorded and reported to the company's head (004 §4 (一) 禀报董事长: `SURVEY_REPORTED_TO`); that
branch is taken only by survey requests, which no run started before it exists can be.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.customer_record import CustomerRecordStore
    from activities.process_store import ProcessStore
    from activities.process_sync import ProcessSync
    from domain.approvals import SURVEY_REPORTED_TO, Outcome
    from domain.customer_record import ChangeApplication, CustomerChangeInput, RecordProcess
    from domain.models import ProcessStatus, ProcessView
    from domain.rulebook import enforces
    from workflows.activity_calls import store, write
    from workflows.approval import OUTCOME_STATUS, ApprovalChain, ProcessRef, SingleChainHost
    from workflows.kernel import Kernel, Outbox


@workflow.defn(name="CustomerChange")
class CustomerChangeWorkflow(SingleChainHost):
    @workflow.init
    def __init__(self, start: CustomerChangeInput) -> None:
        info = workflow.info()
        self.start = start
        self.status = ProcessStatus.running
        self.started_at = workflow.now()
        self.applicant_name = start.applicant.username
        self.kernel = Kernel(self._write)
        self.approvals = ApprovalChain(
            chain=start.chain,
            process=ProcessRef(
                process_id=info.run_id,
                workflow_id=info.workflow_id,
                process_type=start.chain.process_type,
                subject=f"{start.customer_name}: {start.reason}"[:200],
                applicant=start.applicant.username,
                unit=start.unit,
                unit_path=tuple(start.unit_path) or (start.unit,),
            ),
            kernel=self.kernel,
        )

    @workflow.run
    async def run(self, start: CustomerChangeInput) -> ProcessView:
        return await self.kernel.guard(self._run(start))

    @enforces("004-4-survey-reported-to-chairman")
    async def _run(self, start: CustomerChangeInput) -> ProcessView:
        outcome = await self.approvals.run()
        if outcome is Outcome.approve:
            last = self.approvals.decisions[-1]
            application = ChangeApplication(
                process_id=self.approvals.process.process_id,
                kind=start.kind,
                customer_id=start.customer_id,
                changes=start.changes,
                reason=start.reason,
                evidence=start.evidence,
                requested_by=start.applicant.username,
                approved_by=last.actor,
                approved_at=last.at,
            )
            result = await self.kernel.stored(lambda: store(CustomerRecordStore.apply_record_change, application))
            self.status = ProcessStatus.approved if result.applied else ProcessStatus.rejected
            if result.applied and start.kind is RecordProcess.survey:
                text = f"transaction-start survey approved by {last.actor}"
                self.approvals.supervision.report(self.kernel.outbox, SURVEY_REPORTED_TO, text, last.step)
        elif outcome is not None:
            # A return ends a request run on its own: the applicant files a corrected one.
            self.status = OUTCOME_STATUS[outcome]
        await self.kernel.rest()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.view()

    @workflow.query
    def view(self) -> ProcessView:
        return self.chain_view(self.start.customer_id)

    async def _write(self, outbox: Outbox) -> None:
        projection = self.chain_projection(self.started_at, customer_id=self.start.customer_id)
        await write(ProcessStore.sync_process, ProcessSync(process=projection, **outbox.as_fields()))
