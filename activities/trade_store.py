"""Database side effects of the external-trade process (000 §7): the deal and tender rows that
lists read, the tender closing, and the awarded counterpart becoming a customer.

Idempotent like every activity: a retried write finds its row, an older projection of a run never
overwrites a newer one (`version` orders them).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from temporalio import activity

from activities import audit_store
from activities.customer_gate import ensure_credit_code_applying
from activities.customer_registry import create_customer
from activities.data_errors import fails_visibly_on_bad_data
from activities.notifications import NotificationSpec, deliver_all
from activities.process_store import ProjectionStore, case_units, write_process
from activities.process_sync import ProcessSync
from db.models import TradeDeal, TradeHandler, TradeTender
from db.session import run_write, write_transaction
from domain.audit import AuditFacts
from domain.customer_gate import CustomerOperation
from domain.history import HistoryEntry
from domain.models import CustomerCreation, ProcessProjection
from domain.trade_models import Tender, TenderClosure, TradeProjection


def tender_id(process_id: str, number: int) -> str:
    return f"{process_id}:{number}"


def _deal_values(projection: TradeProjection) -> dict[str, Any]:
    state = projection.state
    partner = state.application.partner
    contract = state.contract
    return {
        "workflow_id": projection.process.workflow_id,
        "partner_name": partner.name,
        "partner_credit_code": partner.credit_code,
        "ownership": state.application.ownership.value,
        "preferred": state.preferred,
        "direction": state.application.direction.value,
        "products": ",".join(p.value for p in state.application.products),
        "applicant": state.applicant,
        "status": state.status.value,
        "stage": state.stage.value,
        "customer_id": state.customer_id,
        "counterpart_name": contract.counterpart_name if contract else None,
        "contract_amount": contract.current.amount if contract and contract.drafts else None,
        "paid_amount": state.paid_total,
        "contract": contract.model_dump(mode="json") if contract else None,
        "payments": [p.model_dump(mode="json") for p in state.payments],
        "started_at": state.started_at,
        "updated_at": projection.process.updated_at,
        "version": projection.version,
    }


def _tender_values(projection: TradeProjection, tender: Tender) -> dict[str, Any]:
    winner = tender.bid_of(tender.winner_credit_code) if tender.winner_credit_code else None
    return {
        "process_id": projection.process.process_id,
        "workflow_id": projection.process.workflow_id,
        "number": tender.number,
        "subject": projection.process.subject,
        "status": tender.status.value,
        "conditions": tender.conditions,
        "invited_range": tender.invited_range,
        "bidding_deadline": tender.bidding_deadline,
        "opened_by": tender.opened_by,
        "opened_at": tender.opened_at,
        "closed_at": tender.closed_at,
        "bidder_count": len(tender.bids),
        "bids": [bid.model_dump(mode="json") for bid in tender.bids],
        "ranking": [r.model_dump(mode="json") for r in tender.evaluations[-1].ranking] if tender.evaluations else [],
        "winner_credit_code": tender.winner_credit_code,
        "winner_name": winner.bidder.name if winner else None,
        "updated_at": projection.process.updated_at,
        "version": projection.version,
    }


def _upsert(session: Session, model: type[Any], key: str, values: dict[str, Any]) -> None:
    row = session.get(model, key)
    if row is None:
        session.add(model(**{model.__mapper__.primary_key[0].key: key}, **values))
    elif row.version <= values["version"]:
        for name, value in values.items():
            setattr(row, name, value)


def _name_handlers(session: Session, projection: TradeProjection) -> None:
    """The people the deal names (000 §7): its applicant and co-handlers; a retry finds them."""
    state = projection.state
    process_id = projection.process.process_id
    named = dict.fromkeys([state.applicant, *state.application.co_handlers])
    known = set(session.scalars(select(TradeHandler.username).where(TradeHandler.process_id == process_id)))
    session.add_all(TradeHandler(process_id=process_id, username=name) for name in named if name not in known)


def _tenders_closed(projection: TradeProjection) -> list[AuditFacts]:
    """A tender the clock closed (000 §7 (五)): a system act for the audit record (once per tender)."""
    facts = []
    for tender in projection.state.tenders:
        if tender.closed_at is None:
            continue
        shown = HistoryEntry(
            at=tender.closed_at,
            actor="system",
            action="tender_closed",
            step="bidding",
            outcome=tender.status.value,
            comment=f"tender #{tender.number} closed with {len(tender.bids)} bidders",
        )
        facts.append(audit_store.as_facts(f"tender:{tender.number}:closed", projection.process.process_type, shown))
    return facts


class TradeSync(ProcessSync):
    """One moment of a deal: its process, deal and tender rows with the tasks and notifications."""

    projection: TradeProjection

    def projected_process(self) -> ProcessProjection:
        return self.projection.process


class TradeStore(ProjectionStore):
    """Activities of the external-trade process; receives its sessionmaker (tests hand in a real one)."""

    @activity.defn
    @fails_visibly_on_bad_data
    async def project_trade(self, sync: TradeSync) -> TradeSync:
        projection = sync.projection

        def write(session: Session) -> list[NotificationSpec]:
            new = self.write_moment(session, sync)
            write_process(session, projection.process)
            # the moment's tasks were written before the deal's process row: their case's unit now
            session.connection().execute(case_units([task.task_id for task in sync.tasks]))
            _upsert(session, TradeDeal, projection.process.process_id, _deal_values(projection))
            _name_handlers(session, projection)
            for tender in projection.state.tenders:
                key = tender_id(projection.process.process_id, tender.number)
                _upsert(session, TradeTender, key, _tender_values(projection, tender))
            audit_store.append(session, projection.process.process_id, _tenders_closed(projection))
            return new

        new = await run_write(self.sessions, write)
        await deliver_all(new, self.channels)
        return sync.echo()  # echoed for the history: a local activity's marker keeps the result only

    @activity.defn
    @fails_visibly_on_bad_data
    async def close_tender(self, closure: TenderClosure) -> None:
        """The bidding deadline passed (000 §7 (五)); the full row follows with the next projection."""
        async with write_transaction(self.sessions) as session:
            row = await session.get(TradeTender, tender_id(closure.process_id, closure.number))
            if row is not None and row.closed_at is None:
                row.status = closure.status.value
                row.closed_at = closure.closed_at

    @activity.defn
    @fails_visibly_on_bad_data
    async def create_trade_customer(self, creation: CustomerCreation) -> int:
        """000 §7 (六): the awarded counterpart becomes a customer — by the one creation every
        process uses (activities/customer_registry.py); a counterpart already on file is linked,
        when its status may still win a tender (004 §4-§6: it may have been suspended meanwhile)."""
        async with write_transaction(self.sessions) as session:
            await ensure_credit_code_applying(session, creation.customer.credit_code, CustomerOperation.award)
            return await create_customer(session, creation)
