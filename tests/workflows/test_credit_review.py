"""Credit reviews on the time-skipping server (001 信用审核; 003 §6): the January round opens a review
per credit customer; keep / lower / withdraw, approved jointly, change the terms; a rejected review
leaves a blocked customer blocked; the daily sweep blocks a customer long overdue, notifies, and
opens its risk review once."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from activities.credit_store import book_entry
from api.credit_review_start import start_credit_review
from db.models import CreditAccount, CreditDecision, Customer, CustomerBalance, CustomerLedgerEntry, Notification, Task
from domain import errors
from domain.credit import CreditCustomer, CreditReviewInput, DrawRefusal, ReviewOccasion, credit_review_workflow_id
from domain.credit_review import (
    AssessmentIn,
    AssessmentRequest,
    ReviewFormView,
    RoundInput,
    SweepInput,
    risk_key,
    round_workflow_id,
    sweep_workflow_id,
)
from domain.ledger import LedgerEntry, LedgerKind
from domain.models import DecisionRequest, ProcessView
from tests.engine_support import person
from tests.support import WorkerControl, random_credit_code, record_history
from workflows.credit_review import CHINA

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def credit_customer(
    sessions: async_sessionmaker[AsyncSession],
    *,
    limit: str | None = "100000.00",
    term_days: int = 30,
    review_required: bool = False,
    unit: str = "MKT",
) -> CreditCustomer:
    """A customer; with `limit`, a periodic-settlement account (what a granted application writes)."""
    now = datetime.now(UTC)
    async with sessions.begin() as session:
        customer = Customer(
            credit_code=random_credit_code(),
            name=f"郑州信用评审测试石化 {uuid.uuid4().hex[:6]}",
            kind="allocation_self_sale",
            grade="B",
            address="郑州",
            legal_representative="王",
            phone="0371-1",
            card={},
            onboarding_process_id=f"credit-review-{uuid.uuid4()}",
            trading_since=date(2026, 1, 5),
            created_at=now,
            created_by="general_manager",
            owner_person="sales_clerk",  # the clerk who looks after it (000 §10) posts its deliveries
            unit_code=unit,
        )
        session.add(customer)
        await session.flush()
        if limit is not None:
            session.add(
                CreditAccount(
                    customer_id=customer.id,
                    settlement="periodic",
                    credit_limit=Decimal(limit),
                    term_days=term_days,
                    risk_level="high" if review_required else "low",
                    overdue_amount=Decimal(0),
                    overdue_days=0,
                    review_required=review_required,
                    risk_since=now.replace(microsecond=0) if review_required else None,
                    updated_at=now,
                )
            )
        return CreditCustomer(
            customer_id=customer.id, credit_code=customer.credit_code, name=customer.name, unit=customer.unit_code
        )


async def account(sessions: async_sessionmaker[AsyncSession], customer_id: int) -> CreditAccount:
    async with sessions() as session:
        row = await session.get(CreditAccount, customer_id)
    assert row is not None
    return row


async def review_tasks(sessions: async_sessionmaker[AsyncSession], process_id: str) -> list[Task]:
    async with sessions() as session:
        rows = await session.scalars(select(Task).where(Task.process_id == process_id, Task.status == "open"))
        return list(rows)


async def current(handle: WorkflowHandle[Any, Any]) -> ProcessView:
    return await handle.execute_update("current", result_type=ProcessView)


def assessment(outcome: str, **terms: Any) -> AssessmentRequest:
    body = AssessmentIn.model_validate({"outcome": outcome, "comment": f"评审: {outcome}", **terms})
    return AssessmentRequest(assessment=body, actor=person("marketing_reviewer"))


async def approve_jointly(handle: WorkflowHandle[Any, Any], sessions: async_sessionmaker[AsyncSession]) -> ProcessView:
    """The business VP and the chief accountant countersign (000 §13)."""
    view = await current(handle)
    assert view.current_step == "approval"
    tasks = {t.role: t for t in await review_tasks(sessions, view.process_id)}
    assert set(tasks) == {"business_vp", "chief_accountant"}
    for role, task in tasks.items():
        decision = DecisionRequest(
            task_id=task.task_id,
            step="approval",
            outcome="approve",  # type: ignore[arg-type]
            comment="同意",
            actor=person(role),
        )
        view = await handle.execute_update("decide", decision, result_type=ProcessView)
    return view


@pytest.mark.rule(
    "001-credit-review-twice-a-year",
    "001-credit-review-form",
    "001-credit-review-results-notified",
    "000-13-leaders-approve",
)
async def test_january_round_opens_a_review_per_credit_customer_and_keep_unblocks(
    time_env: WorkflowEnvironment, clock_worker: WorkerControl, sessions: async_sessionmaker[AsyncSession]
) -> None:
    blocked = await credit_customer(sessions, review_required=True)
    plain = await credit_customer(sessions)
    prepaid = await credit_customer(sessions, limit=None)
    client = time_env.client
    opened = await client.execute_workflow(
        "CreditReviewRound",
        RoundInput(half="2027H1"),
        id=round_workflow_id("2027H1"),
        task_queue=clock_worker.task_queue,
        result_type=int,
    )
    assert opened >= 2

    def review(customer: CreditCustomer) -> WorkflowHandle[Any, Any]:
        return client.get_workflow_handle(
            credit_review_workflow_id(customer.credit_code, ReviewOccasion.semiannual, "2027H1")
        )

    with pytest.raises(RPCError):  # payment before goods: no credit to review
        await review(prepaid).describe()
    first = await current(review(plain))
    assert first.current_step == "assessment"
    [task] = await review_tasks(sessions, first.process_id)
    assert task.role == "marketing_reviewer"

    # the form: payment record, outstanding, overdue, risk, grade, current terms
    handle = review(blocked)
    view = await current(handle)
    form = await handle.query("review_form", result_type=ReviewFormView)
    assert form.form is not None
    assert (form.form.credit_limit, form.form.term_days, form.form.grade) == (Decimal("100000.00"), 30, "B")
    assert form.form.review_required and form.form.risk_level == "high"

    # a second round of the same half opens nothing twice
    await client.execute_workflow(
        "CreditReviewRound",
        RoundInput(half="2027H1"),
        id=f"{round_workflow_id('2027H1')}-again",
        task_queue=clock_worker.task_queue,
        result_type=int,
    )
    assert (await current(handle)).process_id == view.process_id

    # only the step's holder assesses; a bare approve is no assessment
    wrong = assessment("keep").model_copy(update={"actor": person("sales_clerk")})
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update("assess", wrong, result_type=ProcessView)
    assert isinstance(refused.value.cause, ApplicationError) and refused.value.cause.type == errors.FORBIDDEN
    [task] = await review_tasks(sessions, view.process_id)
    bare = DecisionRequest(
        task_id=task.task_id,
        step="assessment",
        outcome="approve",  # type: ignore[arg-type]
        actor=person("marketing_reviewer"),
    )
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update("decide", bare, result_type=ProcessView)
    assert isinstance(refused.value.cause, ApplicationError) and refused.value.cause.type == errors.INVALID

    view = await handle.execute_update("assess", assessment("keep"), result_type=ProcessView)
    assert view.current_step == "approval"
    assert (await account(sessions, blocked.customer_id)).review_required  # not before the approval
    view = await approve_jointly(handle, sessions)
    assert view.status == "approved"
    record_history("credit_review_kept_then_approved", await handle.fetch_history())

    row = await account(sessions, blocked.customer_id)
    assert not row.review_required and row.settlement == "periodic" and row.credit_limit == Decimal("100000.00")
    async with sessions() as session:
        decision = await session.scalar(select(CreditDecision).where(CreditDecision.process_id == view.process_id))
        notes = list(await session.scalars(select(Notification).where(Notification.process_id == view.process_id)))
    assert decision is not None
    assert (decision.kind, decision.outcome, decision.reason) == ("review", "keep", "评审: keep")
    assert decision.decided_by.startswith("marketing_reviewer,")
    assert decision.form["assessment"]["outcome"] == "keep"
    results = [n for n in notes if n.kind == "credit_review_result"]
    assert any(n.recipient_role == "finance_reviewer" for n in results)  # 通报财务部
    assert any(n.recipient == "marketing_manager" for n in results)  # and the customer's unit (MKT)

    # a credit delivery is possible again
    async with sessions.begin() as session:
        booked = await book_entry(
            session,
            LedgerEntry(
                customer_id=blocked.customer_id,
                kind=LedgerKind.delivery,
                amount=Decimal("1000.00"),
                reference="after review",
                occurred_at=datetime.now(UTC),
                recorded_by="sales_clerk",
            ),
        )
    assert booked.entry_id is not None and booked.refusal is None


@pytest.mark.rule("001-credit-review-form")
async def test_lower_and_withdraw_change_the_terms_a_rejected_review_leaves_them(
    time_env: WorkflowEnvironment, clock_worker: WorkerControl, sessions: async_sessionmaker[AsyncSession]
) -> None:
    client, queue = time_env.client, clock_worker.task_queue
    lowered, withdrawn, rejected = [await credit_customer(sessions, review_required=True) for _ in range(3)]
    handles: dict[int, WorkflowHandle[Any, Any]] = {}
    for customer in (lowered, withdrawn, rejected):
        review = CreditReviewInput(customer=customer, occasion=ReviewOccasion.semiannual, key="2027H2")
        assert await start_credit_review(client, queue, review) is not None
        assert await start_credit_review(client, queue, review) is None  # a second start is harmless
        handles[customer.customer_id] = client.get_workflow_handle(
            credit_review_workflow_id(customer.credit_code, ReviewOccasion.semiannual, "2027H2")
        )

    handle = handles[lowered.customer_id]
    await current(handle)
    for terms in ({"new_limit": "200000.00"}, {"new_term_days": 45}, {"new_limit": "100000.00"}):
        with pytest.raises(WorkflowUpdateFailedError) as refused:  # lower must lower
            await handle.execute_update("assess", assessment("lower", **terms), result_type=ProcessView)
        assert isinstance(refused.value.cause, ApplicationError) and refused.value.cause.type == errors.INVALID
    lower = assessment("lower", new_limit="50000.00", new_term_days=15)
    await handle.execute_update("assess", lower, result_type=ProcessView)
    assert (await approve_jointly(handle, sessions)).status == "approved"
    row = await account(sessions, lowered.customer_id)
    assert (row.settlement, row.credit_limit, row.term_days, row.review_required) == (
        "periodic",
        Decimal("50000.00"),
        15,
        False,
    )

    handle = handles[withdrawn.customer_id]
    await current(handle)
    await handle.execute_update("assess", assessment("withdraw"), result_type=ProcessView)
    assert (await approve_jointly(handle, sessions)).status == "approved"
    row = await account(sessions, withdrawn.customer_id)
    assert (row.settlement, row.credit_limit, row.review_required) == ("prepaid", Decimal("0.00"), False)
    async with sessions() as session:
        decision = await session.scalar(
            select(CreditDecision).where(CreditDecision.customer_id == withdrawn.customer_id)
        )
    assert decision is not None
    assert (decision.old_settlement, decision.new_settlement, decision.old_limit) == (
        "periodic",
        "prepaid",
        Decimal("100000.00"),
    )

    await reject_review(handles[rejected.customer_id], sessions)
    assert (await account(sessions, rejected.customer_id)).review_required  # blocked until a review is approved


@pytest.mark.rule("003-6-risk-assessment", "003-6-high-risk-measures")
async def test_the_daily_sweep_blocks_a_customer_long_overdue_and_opens_its_risk_review_once(
    time_env: WorkflowEnvironment, clock_worker: WorkerControl, sessions: async_sessionmaker[AsyncSession]
) -> None:
    client, queue = time_env.client, clock_worker.task_queue
    now = await time_env.get_current_time()
    today = now.astimezone(CHINA).date()
    customer = await credit_customer(sessions)
    # a credit delivery made 100 days ago, due after 30: 70 days overdue, nothing paid (003 §6: high)
    async with sessions.begin() as session:
        session.add(
            CustomerLedgerEntry(
                customer_id=customer.customer_id,
                kind="delivery",
                amount=Decimal("30000.00"),
                reference="old delivery",
                occurred_at=now - timedelta(days=100),
                recorded_by="sales_clerk",
                created_at=now - timedelta(days=100),
                due_on=today - timedelta(days=70),
            )
        )
        session.add(CustomerBalance(customer_id=customer.customer_id, balance=Decimal("-30000.00"), updated_at=now))
    assert (await account(sessions, customer.customer_id)).risk_level == "low"  # no ledger change since

    swept = await client.execute_workflow(
        "CreditRiskSweep",
        SweepInput(today=today),
        id=sweep_workflow_id(today),
        task_queue=queue,
        result_type=SweepInput,
    )
    assert swept.turned_high >= 1 and swept.reviews_started >= 1
    row = await account(sessions, customer.customer_id)
    assert (row.risk_level, row.overdue_amount, row.overdue_days, row.review_required) == (
        "high",
        Decimal("30000.00"),
        70,
        True,
    )
    assert row.risk_since is not None
    async with sessions() as session:
        told = set(
            await session.scalars(
                select(Notification.recipient_role).where(
                    Notification.kind == "credit_risk_high", Notification.subject.contains(customer.name)
                )
            )
        )
        # new credit sales are blocked until the review decides
        booked = await book_entry(
            session,
            LedgerEntry(
                customer_id=customer.customer_id,
                kind=LedgerKind.delivery,
                amount=Decimal("1.00"),
                reference="blocked",
                occurred_at=datetime.now(UTC),
                recorded_by="sales_clerk",
            ),
        )
        await session.rollback()
    assert told == {"finance_reviewer", "marketing_manager"}
    assert booked.refusal is DrawRefusal.credit_blocked

    handle = client.get_workflow_handle(
        credit_review_workflow_id(customer.credit_code, ReviewOccasion.risk, risk_key(row.risk_since))
    )
    view = await current(handle)
    assert view.current_step == "assessment"
    form = await handle.query("review_form", result_type=ReviewFormView)
    assert form.form is not None and form.form.overdue_days == 70 and form.form.outstanding == Decimal("30000.00")
    assert form.form.deliveries_count == 1 and form.form.deliveries_total == Decimal("30000.00")

    again = await client.execute_workflow(
        "CreditRiskSweep",
        SweepInput(today=today, batch=3),  # in batches, continuing as new
        id=f"{sweep_workflow_id(today)}-again",
        task_queue=queue,
        result_type=SweepInput,
    )
    assert again.turned_high == 0 and again.reviews_started == 0  # one risk review per episode
    record_history(
        "credit_risk_sweep_opened_review", await client.get_workflow_handle(sweep_workflow_id(today)).fetch_history()
    )
    assert (await current(handle)).process_id == view.process_id


async def test_the_round_on_1_january_reviews_the_first_half_in_batches(
    time_env: WorkflowEnvironment, clock_worker: WorkerControl, sessions: async_sessionmaker[AsyncSession]
) -> None:
    customers = [await credit_customer(sessions) for _ in range(3)]
    new_year = datetime(2027, 1, 1, 9, 0, tzinfo=CHINA)
    await time_env.sleep(new_year - await time_env.get_current_time())
    # what the schedule starts (no half named: the half year of the day it runs), two customers a run
    opened = await time_env.client.execute_workflow(
        "CreditReviewRound",
        RoundInput(batch=2),
        id=round_workflow_id("2027H1"),
        task_queue=clock_worker.task_queue,
        result_type=int,
    )
    assert opened >= len(customers)
    for customer in customers:
        handle = time_env.client.get_workflow_handle(
            credit_review_workflow_id(customer.credit_code, ReviewOccasion.semiannual, "2027H1")
        )
        view = await current(handle)
        assert view.current_step == "assessment"
        form = await handle.query("review_form", result_type=ReviewFormView)
        assert form.form is not None and form.form.prepared_on == date(2027, 1, 1)


async def sweep(client: Client, queue: str, today: date) -> WorkflowHandle[Any, Any]:
    workflow_id = f"{sweep_workflow_id(today)}-{uuid.uuid4().hex[:6]}"
    await client.execute_workflow(
        "CreditRiskSweep", SweepInput(today=today), id=workflow_id, task_queue=queue, result_type=SweepInput
    )
    return client.get_workflow_handle(workflow_id)


async def reject_review(handle: WorkflowHandle[Any, Any], sessions: async_sessionmaker[AsyncSession]) -> None:
    view = await current(handle)
    await handle.execute_update("assess", assessment("keep"), result_type=ProcessView)
    task = next(t for t in await review_tasks(sessions, view.process_id) if t.role == "chief_accountant")
    reject = DecisionRequest(
        task_id=task.task_id,
        step="approval",
        outcome="reject",  # type: ignore[arg-type]
        comment="逾期未清, 不同意维持",
        actor=person("chief_accountant"),
    )
    assert (await handle.execute_update("decide", reject, result_type=ProcessView)).status == "rejected"


async def test_a_rejected_risk_review_is_reopened_by_the_next_sweep(
    time_env: WorkflowEnvironment, clock_worker: WorkerControl, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """Issue 20 (003 §6): a blocked customer is never left without a review; one at a time."""
    client, queue = time_env.client, clock_worker.task_queue
    today = (await time_env.get_current_time()).astimezone(CHINA).date()
    customer = await credit_customer(sessions, review_required=True)
    since = (await account(sessions, customer.customer_id)).risk_since
    assert since is not None

    def review(n: int) -> WorkflowHandle[Any, Any]:
        key = risk_key(since, n)
        return client.get_workflow_handle(credit_review_workflow_id(customer.credit_code, ReviewOccasion.risk, key))

    await sweep(client, queue, today)
    first = review(0)
    await reject_review(first, sessions)
    assert (await account(sessions, customer.customer_id)).review_required  # still blocked

    reopening = await sweep(client, queue, today)
    second = review(1)
    assert second.id.endswith("-2") and (await current(second)).current_step == "assessment"
    await sweep(client, queue, today)  # the second is open: no third
    with pytest.raises(RPCError):
        await client.get_workflow_handle(review(2).id).describe()
    await second.execute_update("assess", assessment("keep"), result_type=ProcessView)
    assert (await approve_jointly(second, sessions)).status == "approved"
    assert not (await account(sessions, customer.customer_id)).review_required
    record_history("credit_risk_sweep_reopened_review", await reopening.fetch_history())


async def test_an_approved_review_lifts_the_hold_of_a_refused_ratification(
    time_env: WorkflowEnvironment, clock_worker: WorkerControl, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """Issue 20 (001 §3, 001 信用审核): the GM refused to ratify imported deliveries; credit stays held
    until a credit review decides the terms — its approval lifts the hold."""
    client, queue = time_env.client, clock_worker.task_queue
    customer = await credit_customer(sessions)
    async with sessions.begin() as session:
        held = await session.get(CreditAccount, customer.customer_id)
        assert held is not None
        held.credit_hold = "ratification_refused"
    review = CreditReviewInput(customer=customer, occasion=ReviewOccasion.manual, key=uuid.uuid4().hex[:8])
    assert await start_credit_review(client, queue, review) is not None
    handle = client.get_workflow_handle(credit_review_workflow_id(customer.credit_code, review.occasion, review.key))
    await current(handle)
    await handle.execute_update("assess", assessment("keep"), result_type=ProcessView)
    assert (await approve_jointly(handle, sessions)).status == "approved"
    assert (await account(sessions, customer.customer_id)).credit_hold is None
