"""Grading rule versions and score sheets (001 §1, 000 §11): what the grading workflow reads and writes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from activities.customer_gate import customer_applying, refuse_visibly
from activities.data_errors import fails_visibly_on_bad_data
from db.models import Customer, CustomerGrading, GradingClock, GradingConfig
from db.session import write_transaction
from domain.china_time import CHINA
from domain.customer_gate import CustomerOperation, customer_problem
from domain.grading import (
    GradingApplied,
    GradingCheck,
    GradingClockInput,
    GradingConfigView,
    Indicator,
    Thresholds,
    first_grading_day,
    first_year_problem,
    grading_clock_id,
)

SWEEP_BATCH = 500


def config_view(row: GradingConfig) -> GradingConfigView:
    return GradingConfigView(
        version=row.version,
        effective_from=row.effective_from,
        weights={Indicator(k): Decimal(v) for k, v in row.weights.items()},
        thresholds=Thresholds(A=Decimal(row.thresholds["A"]), B=Decimal(row.thresholds["B"])),
        changed_by=row.changed_by,
        changed_at=row.changed_at,
        reason=row.reason,
        process_id=row.process_id,
    )


async def config_in_force(session: AsyncSession, on: date) -> GradingConfig | None:
    """The version whose effective date is the latest on or before `on`; of two versions effective
    the same day, the later one (an admin's correction)."""
    query = (
        select(GradingConfig)
        .where(GradingConfig.effective_from <= on)
        .order_by(GradingConfig.effective_from.desc(), GradingConfig.version.desc())
        .limit(1)
    )
    return await session.scalar(query)


class GradingStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    @activity.defn
    async def grading_config(self, on: date) -> GradingConfigView:
        """The grading rule in force on `on` (the migration seeds a version from 2000-01-01)."""
        async with self.sessions() as session:
            row = await config_in_force(session, on)
        if row is None:
            raise RuntimeError(f"no grading configuration is in force on {on}")
        return config_view(row)

    @activity.defn
    @fails_visibly_on_bad_data
    async def apply_grading(self, applied: GradingApplied) -> None:
        """The VP approved: keep the score sheet and set the customer's grade, once per process."""
        async with write_transaction(self.sessions) as session:
            if await session.scalar(select(CustomerGrading.id).where(CustomerGrading.process_id == applied.process_id)):
                return
            # 001 §1, 004 §4-§6 checked again when the grade applies: the round may have waited
            # while the customer was suspended, or been opened before a year of trade.
            customer = await customer_applying(session, applied.customer_id, CustomerOperation.grade)
            refuse_visibly(first_year_problem(customer.trading_since, applied.approved_at.astimezone(CHINA).date()))
            result = applied.result
            session.add(
                CustomerGrading(
                    process_id=applied.process_id,
                    customer_id=applied.customer_id,
                    period=applied.period,
                    scores={k.value: str(v) for k, v in result.scores.items()},
                    weighted_total=result.weighted_total,
                    grade=result.grade.value,
                    config_version=result.config_version,
                    scored_by=result.scored_by,
                    scored_at=result.scored_at,
                    approved_by=applied.approved_by,
                    approved_at=applied.approved_at,
                )
            )
            customer.grade = result.grade.value

    @activity.defn
    async def grading_problem(self, check: GradingCheck) -> str | None:
        """Why the customer may not be graded on `check.on` (001 §1 first year, 004 §4-§6 status);
        None when its round may open."""
        async with self.sessions() as session:
            customer = await session.get(Customer, check.customer_id)
        if customer is None:
            return f"customer {check.customer_id} no longer exists"
        return customer_problem(CustomerOperation.grade, customer.status, customer.destroyed_at) or first_year_problem(
            customer.trading_since, check.on
        )

    @activity.defn
    async def customers_without_clock(self, limit: int = SWEEP_BATCH) -> list[GradingClockInput]:
        """Customers created by any path whose grading clock has not been started yet (001 §1)."""
        query = (
            select(Customer)
            .where(~select(GradingClock.customer_id).where(GradingClock.customer_id == Customer.id).exists())
            .order_by(Customer.id)
            .limit(limit)
        )
        async with self.sessions() as session:
            rows = list(await session.scalars(query))
        return [clock_input(row) for row in rows]

    @activity.defn
    async def mark_clocks_started(self, customer_ids: list[int]) -> None:
        for customer_id in customer_ids:
            try:
                async with write_transaction(self.sessions) as session:
                    if await session.get(GradingClock, customer_id) is None:
                        credit_code = await session.scalar(
                            select(Customer.credit_code).where(Customer.id == customer_id)
                        )
                        session.add(
                            GradingClock(
                                customer_id=customer_id,
                                workflow_id=grading_clock_id(credit_code or str(customer_id)),
                                started_at=datetime.now(UTC),
                            )
                        )
            except IntegrityError:  # marked meanwhile by the API's start
                continue


def clock_input(customer: Customer) -> GradingClockInput:
    """The clock of a customer: the first round a year after it started trading (001 §1)."""
    return GradingClockInput(
        customer_id=customer.id,
        credit_code=customer.credit_code,
        customer_name=customer.name,
        unit=customer.unit_code,
        next_grading_on=first_grading_day(customer.trading_since),
    )
