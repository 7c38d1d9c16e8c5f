"""Depot and station customers (000 §8, §9) and the prepaid top-up (000 §9 (一)).

`UnitCustomer`: the depot manager of that depot reviews a depot customer (000 §8); the station and
finance review a VAT-invoice customer jointly, both must approve (000 §9 (三)); on approval the
customer is created belonging to the unit, and a VAT-invoice customer's certificate form enters
the invoice register. `PrepaidTopUp`: finance confirms the funds arrived and the receipt is booked
in the customer ledger, so the customer may draw up to it (000 §9 (一) 先款后货).
The chain (declared in domain/approvals.py) is part of the start input; the step actions come
from `SingleChainHost`.
"""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.customer_registry import CustomerRegistry
    from activities.ledger_store import LedgerStore
    from activities.process_store import ProcessStore
    from activities.process_sync import ProcessSync
    from domain.approvals import Outcome
    from domain.ledger import LedgerEntry, LedgerKind
    from domain.models import CustomerCreation, ProcessStatus, ProcessView
    from domain.unit_customers import InvoiceRegistration, TopUpInput, UnitCustomerInput
    from workflows.activity_calls import store, write
    from workflows.approval import OUTCOME_STATUS, ApprovalChain, ProcessRef, SingleChainHost
    from workflows.kernel import Kernel, Outbox


class _OneChain(SingleChainHost):
    """A process that is one declared chain and an action on approval."""

    customer_id: int | None
    started: datetime
    subject_key: str | None

    @workflow.query
    def view(self) -> ProcessView:
        return self.chain_view(self.customer_id)

    async def _write(self, outbox: Outbox) -> None:
        view = self.view()
        projection = self.approvals.process.projection(
            view.status,
            view.current_step,
            self.started,
            customer_id=self.customer_id,
            subject_key=self.subject_key,
        )
        await write(ProcessStore.sync_process, ProcessSync(process=projection, **outbox.as_fields()))

    async def _chain_then(self) -> None:
        outcome = await self.approvals.run()
        if outcome is Outcome.approve:
            await self._approved()
        if outcome is not None:
            self.status = OUTCOME_STATUS[outcome]
        await self.kernel.rest()
        await workflow.wait_condition(workflow.all_handlers_finished)

    async def _approved(self) -> None:
        raise NotImplementedError


@workflow.defn(name="UnitCustomer")
class UnitCustomerWorkflow(_OneChain):
    @workflow.init
    def __init__(self, start: UnitCustomerInput) -> None:
        info = workflow.info()
        application = start.application
        self.application = application
        self.status = ProcessStatus.running
        self.started = workflow.now()
        self.applicant_name = start.applicant.username
        self.customer_id = None
        self.subject_key = application.customer.credit_code
        self.kernel = Kernel(self._write)
        self.approvals = ApprovalChain(
            chain=start.chain,
            process=ProcessRef(
                process_id=info.run_id,
                workflow_id=info.workflow_id,
                process_type=start.chain.process_type,
                subject=application.customer.name,
                applicant=start.applicant.username,
                unit=application.unit,  # the depot or station: its manager reviews (000 §5, §8, §9)
                unit_path=tuple(start.unit_path) or (application.unit,),
            ),
            kernel=self.kernel,
        )

    @workflow.run
    async def run(self, start: UnitCustomerInput) -> ProcessView:
        await self.kernel.guard(self._chain_then())
        return self.view()

    async def _approved(self) -> None:
        """000 §8 (三), §9 (三): the customer is created belonging to the unit; a VAT-invoice
        customer's certificate form is registered for finance's invoicing."""
        last = self.approvals.decisions[-1]
        process_id = self.approvals.process.process_id
        creation = CustomerCreation(
            process_id=process_id,
            customer=self.application.customer,
            documents=self.application.documents,
            created_by=last.actor,
            approved_at=last.at,
        )
        self.customer_id = await self.kernel.stored(lambda: store(CustomerRegistry.create_customer, creation))
        certificate = self.application.vat_invoice
        if certificate is not None:
            registration = InvoiceRegistration(
                customer_id=self.customer_id,
                process_id=process_id,
                unit=self.application.unit,
                certificate=certificate,
                registered_by=last.actor,
                registered_at=last.at,
            )
            await self.kernel.stored(lambda: store(LedgerStore.register_invoice_certificate, registration))


@workflow.defn(name="PrepaidTopUp")
class PrepaidTopUpWorkflow(_OneChain):
    @workflow.init
    def __init__(self, start: TopUpInput) -> None:
        info = workflow.info()
        self.top_up = start
        self.status = ProcessStatus.running
        self.started = workflow.now()
        self.applicant_name = start.applicant.username
        self.customer_id = start.customer_id
        self.subject_key = None
        self.kernel = Kernel(self._write)
        self.approvals = ApprovalChain(
            chain=start.chain,
            process=ProcessRef(
                process_id=info.run_id,
                workflow_id=info.workflow_id,
                process_type=start.chain.process_type,
                subject=f"{start.customer_name} 预付款 {start.amount:.2f} ({start.reference})",
                applicant=start.applicant.username,
                unit=start.unit,  # the customer's unit: its station reads the top-up (000 §5)
                unit_path=tuple(start.unit_path) or (start.unit,),
            ),
            kernel=self.kernel,
        )

    @workflow.run
    async def run(self, start: TopUpInput) -> ProcessView:
        await self.kernel.guard(self._chain_then())
        return self.view()

    async def _approved(self) -> None:
        """000 §9 (一): finance confirmed the money arrived — the receipt is booked."""
        last = self.approvals.decisions[-1]
        entry = LedgerEntry(
            customer_id=self.top_up.customer_id,
            kind=LedgerKind.receipt,
            amount=self.top_up.amount,
            reference=self.top_up.reference,
            occurred_at=last.at,
            recorded_by=last.actor,
            process_id=self.approvals.process.process_id,
        )
        await self.kernel.stored(lambda: store(LedgerStore.book_receipt, entry))
