"""What a granted credit application writes (000 §13): the terms, the decision for the auditors, and
the notices — in one transaction, once per process."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from activities.customer_gate import customer_applying, refuse_visibly
from activities.data_errors import fails_visibly_on_bad_data
from activities.notifications import Channel, NotificationSpec, record_notification
from db.models import CreditAccount, CreditDecision
from db.session import write_transaction
from domain.credit import RiskLevel, Settlement
from domain.credit_application import CreditGrant
from domain.customer_gate import CustomerOperation
from domain.ledger import ZERO
from domain.roles import Role


class CreditApplicationStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], channels: list[Channel] | None = None) -> None:
        self.sessions = sessions
        self.channels = channels or []

    @activity.defn
    @fails_visibly_on_bad_data
    async def grant_credit(self, grant: CreditGrant) -> None:
        """The last approver granted periodic settlement: set the credit account, record the decision
        with who/when/why, and tell the applicant, the collector and finance (000 §13 通报财务部)."""
        async with write_transaction(self.sessions) as session:
            seen = await session.scalar(select(CreditDecision.id).where(CreditDecision.process_id == grant.process_id))
            if seen is not None:  # a retried activity: granted already
                return
            form = grant.form
            # 004 §4-§6 again when the credit applies: the customer may have stopped trading meanwhile.
            await customer_applying(session, form.customer_id, CustomerOperation.credit_application)
            refuse_visibly(grant.ceiling_problem())  # 001 §3: beyond the grade's ceiling only with the GM
            now = datetime.now(UTC)
            account = await session.get(CreditAccount, form.customer_id)
            old_settlement = account.settlement if account else Settlement.prepaid.value
            old_limit = account.credit_limit if account else ZERO
            if account is None:
                account = CreditAccount(
                    customer_id=form.customer_id,
                    risk_level=RiskLevel.low.value,
                    overdue_amount=ZERO,
                    overdue_days=0,
                    risk_since=None,
                )
                session.add(account)
            account.settlement = Settlement.periodic.value
            # what the reviewers' analysis set, not the request, when they analysed (000 §13)
            account.credit_limit = grant.granted_limit()
            account.term_days = form.term_days
            account.collateral = grant.granted_collateral()
            account.collector = form.collector
            account.granted_process_id = grant.process_id
            account.review_required = False
            account.updated_at = now
            session.add(
                CreditDecision(
                    customer_id=form.customer_id,
                    process_id=grant.process_id,
                    kind="application",
                    outcome="granted",
                    old_settlement=old_settlement,
                    new_settlement=Settlement.periodic.value,
                    old_limit=old_limit,
                    new_limit=grant.granted_limit(),
                    term_days=form.term_days,
                    form=form.model_dump(mode="json") | _analysis_record(grant),
                    reason=form.reason,
                    decided_by=grant.decided_by,
                    decided_at=grant.decided_at,
                )
            )
            await self._notify(session, grant)

    async def _notify(self, session: AsyncSession, grant: CreditGrant) -> None:
        form = grant.form
        subject = (
            f"客户 {grant.customer.name} 定期结算已批准: limit {grant.granted_limit():.2f}, {form.term_days} days, "
            f"collector {form.collector} (000 §13)"
        )
        people = list(dict.fromkeys([grant.applicant, form.collector]))
        specs = [
            NotificationSpec(
                notification_id=f"credit-granted-{grant.process_id}-{index}",
                process_id=grant.process_id,
                recipient=name,
                kind="credit_granted",
                subject=subject,
            )
            for index, name in enumerate(people)
        ]
        specs.append(
            NotificationSpec(
                notification_id=f"credit-granted-{grant.process_id}-finance"[:80],
                process_id=grant.process_id,
                recipient_role=Role.finance_reviewer.value,
                kind="credit_granted",
                subject=subject,
            )
        )
        for spec in specs:
            await record_notification(session, spec, self.channels)


def _analysis_record(grant: CreditGrant) -> dict[str, object]:
    """The reviewers' analyses beside the form, for the auditors: who, when, grade, limit, security,
    reasoning; `analysis` is the one granted (000 §13). Nothing when the reviewers approved bare."""
    if grant.analysis is None:
        return {}
    return {
        "analysis": grant.analysis.model_dump(mode="json"),
        "analyses": [a.model_dump(mode="json") for a in grant.analyses],
    }
