"""Database side of the per-invoice VAT register (000 §9 (三)): each moment of an invoice writes its
process and its register line in one transaction; a retried write finds its line (keyed by the
process and the entry)."""

from __future__ import annotations

from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from temporalio import activity

from activities.customer_gate import customer_applying_in
from activities.data_errors import fails_visibly_on_bad_data
from activities.notifications import deliver_all
from activities.process_store import ProjectionStore, _insert
from activities.process_sync import ProcessSync
from db.models import InvoiceRegisterEntry
from db.session import run_write
from domain.customer_gate import CustomerOperation
from domain.rulebook import enforces
from domain.vat_invoices import InvoiceRow, InvoiceStatus

INVOICE_ENTRY = "invoice"  # the register's other entry is the customer's "certificate"


class VatInvoiceSync(ProcessSync):
    """A moment of an invoice: the process sync plus its register line."""

    invoice: InvoiceRow | None = None


@enforces("000-9-invoice-register")
def write_invoice(session: Session, invoice: InvoiceRow) -> None:
    values: dict[str, Any] = invoice.model_dump(mode="python")
    values["certificate"] = invoice.certificate.model_dump(mode="json")
    values["status"] = invoice.status.value
    values["entry"] = INVOICE_ENTRY
    table = InvoiceRegisterEntry.__table__
    insert = _insert(session, table)
    fixed = {"process_id", "entry", "registered_by", "registered_at", "certificate", "amount"}
    session.execute(
        insert.values(values).on_conflict_do_update(
            index_elements=[table.c.process_id, table.c.entry],
            set_={key: insert.excluded[key] for key in values if key not in fixed},
        )
    )


def gate_the_issue(session: Session, invoice: InvoiceRow) -> None:
    """The moment finance's issue is recorded re-checks the customer (domain/customer_gate.py,
    `invoice`: every file on record, not a destroyed one, 000 §9 (三), 004 §6); a refusal writes
    nothing and stops the process visibly. A later moment of an issued invoice passes."""
    if invoice.status is not InvoiceStatus.issued:
        return
    recorded = session.scalar(
        select(InvoiceRegisterEntry.status).where(
            InvoiceRegisterEntry.process_id == invoice.process_id, InvoiceRegisterEntry.entry == INVOICE_ENTRY
        )
    )
    if recorded != InvoiceStatus.issued.value:
        customer_applying_in(session, invoice.customer_id, CustomerOperation.invoice)


class VatInvoiceStore(ProjectionStore):
    def write_invoice_moment(self, session: Session, sync: VatInvoiceSync) -> list[Any]:
        if sync.invoice is not None:
            gate_the_issue(session, sync.invoice)
        new = self.write_moment(session, sync)
        if sync.invoice is not None:
            write_invoice(session, sync.invoice)
        return new

    @activity.defn
    @fails_visibly_on_bad_data
    async def sync_vat_invoice(self, sync: VatInvoiceSync) -> VatInvoiceSync:
        new = await run_write(self.sessions, partial(self.write_invoice_moment, sync=sync))
        await deliver_all(new, self.channels)  # outside the transaction
        return sync.echo()
