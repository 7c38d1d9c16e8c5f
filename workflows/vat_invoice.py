"""P4 one VAT special invoice — 增值税专用发票 (000 §9 (三)): requested, issued, collected.

The station's certificate form opens finance's issue step (the declared chain, a task in finance's
inbox); finance decides it with the invoice number (`issue`; a bare approval from the inbox is
refused: the number is the point), or refuses it with a reason. An issued invoice waits for its
collection (领取), recorded by the customer's station or by finance; then the process closes. Every
moment writes the invoice's register line with the process row, in one activity.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.vat_invoice_store import VatInvoiceStore, VatInvoiceSync
    from domain import errors
    from domain.approvals import Outcome
    from domain.models import DecisionRequest, ProcessStatus, ProcessView, WithdrawRequest
    from domain.vat_invoices import (
        COLLECTION_STEP,
        ISSUE_STEP,
        CollectRequest,
        InvoiceRow,
        InvoiceStatus,
        IssueRequest,
        VatInvoiceInput,
        may_record_collection,
    )
    from workflows.activity_calls import write
    from workflows.approval import OUTCOME_STATUS, ApprovalChain, ProcessRef, SingleChainHost, refuse
    from workflows.kernel import Kernel, Outbox


@workflow.defn(name="VatInvoice")
class VatInvoiceWorkflow(SingleChainHost):
    form_steps: ClassVar[dict[str, str]] = {
        ISSUE_STEP: "finance issues the invoice with its number: POST /vat-invoices/{id}/issue (000 §9 (三))"
    }

    @workflow.init
    def __init__(self, start: VatInvoiceInput) -> None:
        info = workflow.info()
        self.start = start
        self.status = ProcessStatus.running
        self.started_at = workflow.now()
        self.applicant_name = start.applicant.username
        self.invoice = InvoiceStatus.requested
        self.invoice_no: str | None = None
        self.issued_by: str | None = None
        self.issued_at: datetime | None = None
        self.collected_by: str | None = None
        self.collected_at: datetime | None = None
        self.kernel = Kernel(self._write)
        self.approvals = ApprovalChain(
            chain=start.chain,
            process=ProcessRef(
                process_id=info.run_id,
                workflow_id=info.workflow_id,
                process_type=start.chain.process_type,
                subject=f"{start.customer_name} 增值税专用发票 {start.amount:.2f}",
                applicant=start.applicant.username,
                unit=start.unit,  # the customer's station reads its invoices (000 §5)
                unit_path=tuple(start.unit_path) or (start.unit,),
            ),
            kernel=self.kernel,
        )

    @workflow.run
    async def run(self, start: VatInvoiceInput) -> ProcessView:
        return await self.kernel.guard(self._run())

    async def _run(self) -> ProcessView:
        outcome = await self.approvals.run()
        if outcome is Outcome.approve:
            self.invoice = InvoiceStatus.issued
            await self.kernel.rest()
            await workflow.wait_condition(lambda: self.invoice is InvoiceStatus.collected)
            self.status = ProcessStatus.closed
        elif outcome is None:
            self.invoice = InvoiceStatus.withdrawn
        else:
            self.invoice = InvoiceStatus.refused
            self.status = OUTCOME_STATUS[outcome]
        await self.kernel.rest()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.view()

    # --- finance issues it with its number (Update) --------------------------------------------

    def _issue_decision(self, request: IssueRequest) -> DecisionRequest:
        return self.form_decision(ISSUE_STEP, request.actor, f"invoice {request.invoice_no}")

    @workflow.update
    async def issue(self, request: IssueRequest) -> ProcessView:
        self.validate_issue(request)
        decision = self._issue_decision(request)
        self.kernel.main.move()
        self.invoice_no = request.invoice_no
        self.issued_by = request.actor.username
        self.issued_at = workflow.now()
        await self.approvals.decide(decision)
        await self.kernel.rested()
        return self.view()

    @issue.validator
    def validate_issue(self, request: IssueRequest) -> None:
        self._require_open()
        self.approvals.validate(self._issue_decision(request))

    # --- its collection (Update) ---------------------------------------------------------------

    @workflow.update
    async def collect(self, request: CollectRequest) -> ProcessView:
        self.validate_collect(request)
        self.kernel.main.move()
        self.invoice = InvoiceStatus.collected
        self.collected_by = request.actor.username
        self.collected_at = workflow.now()
        await self.kernel.rested()
        return self.view()

    @collect.validator
    def validate_collect(self, request: CollectRequest) -> None:
        """The customer's station or finance records the collection of an issued invoice."""
        if not may_record_collection(request.actor, self.start.unit):
            raise refuse(
                f"the collection is recorded by the station {self.start.unit} or by finance (000 §9 (三))",
                errors.FORBIDDEN,
            )
        if self.invoice is not InvoiceStatus.issued:
            raise refuse(f"the invoice is {self.invoice.value}, not issued (000 §9 (三))")

    def validate_withdraw(self, request: WithdrawRequest) -> None:
        """An issued invoice exists: it is collected, not withdrawn."""
        if self.invoice is InvoiceStatus.issued:
            raise refuse("the invoice is issued: its collection is recorded (000 §9 (三))")
        super().validate_withdraw(request)

    # --- state ---------------------------------------------------------------------------------

    @workflow.query
    def view(self) -> ProcessView:
        if self.invoice is InvoiceStatus.issued and self.status is ProcessStatus.running:
            return ProcessView(
                process_id=self.approvals.process.process_id,
                process_type=self.approvals.process.process_type,
                status=self.status,
                current_step=COLLECTION_STEP,
                customer_id=self.start.customer_id,
            )
        return self.chain_view(self.start.customer_id)

    def invoice_row(self) -> InvoiceRow:
        start = self.start
        return InvoiceRow(
            process_id=self.approvals.process.process_id,
            workflow_id=self.approvals.process.workflow_id,
            customer_id=start.customer_id,
            unit_code=start.unit,
            certificate=start.certificate,
            amount=start.amount,
            status=self.invoice,
            registered_by=start.applicant.username,
            registered_at=self.started_at,
            invoice_no=self.invoice_no,
            issued_by=self.issued_by,
            issued_at=self.issued_at,
            collected_by=self.collected_by,
            collected_at=self.collected_at,
        )

    async def _write(self, outbox: Outbox) -> None:
        projection = self.chain_projection(self.started_at, customer_id=self.start.customer_id)
        sync = VatInvoiceSync(process=projection, invoice=self.invoice_row(), **outbox.as_fields())
        await write(VatInvoiceStore.sync_vat_invoice, sync)
