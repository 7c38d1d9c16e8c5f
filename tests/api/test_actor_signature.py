"""Issue 24 §2: an update sent straight to Temporal cannot act as anybody; the API's own updates work.

A real worker with the actor check (the running API's key ring), the real API, a real dev server,
both databases. Each forged update is refused with 403's type and the article, and changes nothing:
no update event in the history, no audit row, the task still open; the same decision through the
API then goes through.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.api.common.v1 import Payload
from temporalio.api.enums.v1 import EventType
from temporalio.client import (
    Client,
    Interceptor,
    OutboundInterceptor,
    StartWorkflowInput,
    StartWorkflowUpdateInput,
    WorkflowFailureError,
    WorkflowHandle,
    WorkflowUpdateFailedError,
    WorkflowUpdateHandle,
)
from temporalio.exceptions import ApplicationError

from api.actor_signing import signing_client
from api.main import create_app
from db.models import AuditRecord, Process
from domain import errors
from domain.actor_signature import HEADER, sign, start_name
from domain.approvals import Outcome
from domain.borrowing import ReviewInput
from domain.credit import CreditCustomer, CreditReviewInput, ReviewOccasion, credit_review_workflow_id
from domain.models import Actor, DecisionRequest, OnboardingApplication, OnboardingInput
from domain.roles import Role
from settings import Settings
from tests.support import TEST_ACTOR_SIGNING_KEY, Api, application, random_credit_code

pytestmark = pytest.mark.asyncio(loop_scope="session")

REVIEWER = Actor(username="marketing_reviewer", roles=[Role.marketing_reviewer])
KEY = TEST_ACTOR_SIGNING_KEY.encode()


class _FixedSignature(Interceptor, OutboundInterceptor):
    """What an intruder's client sends: the signature header it chose (or none)."""

    def __init__(self, token: str | None) -> None:
        self.token = token

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        OutboundInterceptor.__init__(self, next)
        return self

    def _headers(self, headers: Mapping[str, Payload]) -> Mapping[str, Payload]:
        return headers if self.token is None else {**headers, HEADER: Payload(data=self.token.encode())}

    async def start_workflow_update(self, input: StartWorkflowUpdateInput) -> WorkflowUpdateHandle[Any]:
        input.headers = self._headers(input.headers)
        return await super().start_workflow_update(input)

    async def start_workflow(self, input: StartWorkflowInput) -> WorkflowHandle[Any, Any]:
        input.headers = self._headers(input.headers)
        return await super().start_workflow(input)


def intruder(client: Client, token: str | None) -> Client:
    config = client.config()
    config["interceptors"] = [_FixedSignature(token)]
    return Client(**config)


async def _started(api: Api, sessions: async_sessionmaker[AsyncSession]) -> tuple[Process, dict[str, Any]]:
    started = await api.submit()
    assert started.status_code == 201, started.text
    process_id = started.json()["process_id"]
    async with sessions() as session:
        process = await session.get(Process, process_id)
    assert process is not None
    return process, await api.task_for("marketing_reviewer", process_id)


async def _audit_rows(sessions: async_sessionmaker[AsyncSession], process_id: str) -> int:
    async with sessions() as session:
        count = await session.scalar(select(func.count()).where(AuditRecord.process_id == process_id))
    return int(count or 0)


async def _accepted_updates(client: Client, process: Process) -> int:
    history = await client.get_workflow_handle(process.workflow_id, run_id=process.process_id).fetch_history()
    return sum(e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED for e in history.events)


def _decision(task: dict[str, Any], actor: Actor = REVIEWER) -> DecisionRequest:
    return DecisionRequest(task_id=task["task_id"], step="marketing_review", outcome=Outcome.approve, actor=actor)


def _forgeries(namespace: str, workflow_id: str) -> dict[str, str | None]:
    """Name → the signature header an intruder sends (None: none)."""
    now = datetime.now(UTC)
    clerk = Actor(username="sales_clerk", roles=[Role.sales_clerk])
    return {
        "unsigned": None,
        "signed for another actor": sign(KEY, namespace, workflow_id, "decide", clerk, now),
        "signed for another process": sign(KEY, namespace, "onboarding-other", "decide", REVIEWER, now),
        "signed for another update": sign(KEY, namespace, workflow_id, "withdraw", REVIEWER, now),
        # A signature the API made for another `decide` by the same user here (captured): its update id.
        "signed for another update id": sign(
            KEY, namespace, workflow_id, "decide", REVIEWER, now, update_id="an-earlier-decide"
        ),
        "expired": sign(KEY, namespace, workflow_id, "decide", REVIEWER, now - timedelta(minutes=6)),
        "malformed": "v1.not-a-number.00",
    }


@pytest.mark.parametrize(
    "forgery",
    [
        "unsigned",
        "signed for another actor",
        "signed for another process",
        "signed for another update",
        "signed for another update id",
        "expired",
        "malformed",
        "another key",
    ],
)
async def test_an_update_sent_straight_to_temporal_is_refused_and_changes_nothing(
    api: Api, sessions: async_sessionmaker[AsyncSession], forgery: str
) -> None:
    process, task = await _started(api, sessions)
    raw = api.worker.client
    if forgery == "another key":
        client = signing_client(raw, b"an-intruders-own-key-" + b"x" * 32)
    else:
        client = intruder(raw, _forgeries(raw.namespace, process.workflow_id)[forgery])
    rows, accepted = await _audit_rows(sessions, process.process_id), await _accepted_updates(raw, process)

    handle = client.get_workflow_handle(process.workflow_id, run_id=process.process_id)
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update("decide", _decision(task))

    cause = refused.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == errors.FORBIDDEN, cause
    assert "issue 24 §2" in cause.message
    assert await _audit_rows(sessions, process.process_id) == rows  # no decision recorded
    assert await _accepted_updates(raw, process) == accepted  # nothing entered the history
    assert (await api.task_for("marketing_reviewer", process.process_id))["task_id"] == task["task_id"]
    decided = await api.decide("marketing_reviewer", process.process_id, "approve", "through the API")
    assert decided.status_code == 200, decided.text
    assert decided.json()["current_step"] == "finance_recheck"


async def test_the_worker_accepts_an_update_signed_with_the_key_of_the_api(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """The signature, not the route, is what the worker checks: the API's key signs for any client."""
    process, task = await _started(api, sessions)
    client = signing_client(api.worker.client, KEY)
    handle = client.get_workflow_handle(process.workflow_id, run_id=process.process_id)
    await handle.execute_update("decide", _decision(task))
    assert (await api.task_for("finance_reviewer", process.process_id))["step"] == "finance_recheck"


async def test_an_api_signing_with_another_key_than_the_workers_answers_403_naming_the_rule(
    api: Api, sessions: async_sessionmaker[AsyncSession], database_url: str, task_queue: str
) -> None:
    """A misconfigured API (its ACTOR_SIGNING_KEY is not in the worker's ring) is refused like an
    intruder, and says so in words: 403, the rule named, nothing decided."""
    process, task = await _started(api, sessions)
    other_key = Settings(app_env="demo", database_url=database_url, task_queue=task_queue, actor_signing_key="z" * 40)
    app = create_app(other_key, temporal=api.worker.client, sessions=sessions)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http,
    ):
        refused = await http.post(
            f"/api/v1/tasks/{task['task_id']}/decision",
            json={"outcome": "approve"},
            headers=await api.headers("marketing_reviewer"),  # the same JWT secret: the same user
        )
    assert refused.status_code == 403, refused.text
    assert "issue 24 §2" in refused.text
    assert (await api.task_for("marketing_reviewer", process.process_id))["task_id"] == task["task_id"]


CLERK = Actor(username="sales_clerk", roles=[Role.sales_clerk])


def _onboarding_start() -> tuple[str, OnboardingInput]:
    code = random_credit_code()
    body = OnboardingApplication.model_validate(application(code))
    return f"onboarding-{code}", OnboardingInput(application=body, applicant=CLERK)


async def _processes_named(sessions: async_sessionmaker[AsyncSession], workflow_id: str) -> int:
    async with sessions() as session:
        count = await session.scalar(select(func.count()).where(Process.workflow_id == workflow_id))
    return int(count or 0)


@pytest.mark.parametrize("forgery", ["unsigned", "signed for another applicant", "expired"])
async def test_a_start_naming_a_person_sent_straight_to_temporal_fails_before_anything_is_written(
    api: Api, sessions: async_sessionmaker[AsyncSession], forgery: str
) -> None:
    workflow_id, start = _onboarding_start()
    raw = api.worker.client
    now, name = datetime.now(UTC), start_name("Onboarding")
    token = {
        "unsigned": None,
        "signed for another applicant": sign(KEY, raw.namespace, workflow_id, name, REVIEWER, now),
        "expired": sign(KEY, raw.namespace, workflow_id, name, CLERK, now - timedelta(minutes=6)),
    }[forgery]
    handle = await intruder(raw, token).start_workflow(
        "Onboarding", start, id=workflow_id, task_queue=api.worker.task_queue
    )
    with pytest.raises(WorkflowFailureError) as failed:
        await handle.result()
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == errors.FORBIDDEN, cause
    assert "issue 24 §2" in cause.message
    assert await _processes_named(sessions, workflow_id) == 0  # no process row, no task, no audit line
    history = await handle.fetch_history()
    scheduled = [e for e in history.events if e.HasField("activity_task_scheduled_event_attributes")]
    assert scheduled == [] and (await _audit_rows(sessions, handle.result_run_id or "")) == 0


async def test_a_start_signed_with_the_apis_key_opens_the_process(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    workflow_id, start = _onboarding_start()
    handle = await signing_client(api.worker.client, KEY).start_workflow(
        "Onboarding", start, id=workflow_id, task_queue=api.worker.task_queue
    )
    await handle.execute_update("current")
    assert await _processes_named(sessions, workflow_id) == 1


async def test_a_start_as_the_system_sent_straight_to_temporal_fails_and_the_signed_one_runs(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """A process "filed by the system" (what the API opens itself: a prepaid account overdrawn,
    api/over_limit.py) is no longer opened by any client: the start as `system` is signed too."""
    raw = api.worker.client
    start = ReviewInput(period="2031-02", unit="DEPOT-ZZ", keeper=Role.depot_manager)
    assert start.applicant.username == "system"
    forged = await intruder(raw, None).start_workflow(
        "RegisterReview", start, id=f"review-{uuid.uuid4()}", task_queue=api.worker.task_queue
    )
    with pytest.raises(WorkflowFailureError) as failed:
        await forged.result()
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == errors.FORBIDDEN, cause
    assert await _processes_named(sessions, forged.id) == 0
    signed = await signing_client(raw, KEY).start_workflow(
        "RegisterReview", start, id=f"review-{uuid.uuid4()}", task_queue=api.worker.task_queue
    )
    await signed.execute_update("current")
    assert await _processes_named(sessions, signed.id) == 1


async def test_a_credit_review_opened_by_hand_sent_straight_to_temporal_fails(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """A credit review opened by hand names its requester by username only (`requested_by`): that
    username is signed too, so a client without the key cannot open one as the general manager."""
    raw = api.worker.client
    key = uuid.uuid4().hex[:8]
    review = CreditReviewInput(
        customer=CreditCustomer(customer_id=1, credit_code=random_credit_code(), name="某客户", unit="DEPOT-ZZ"),
        occasion=ReviewOccasion.manual,
        key=key,
        requested_by="general_manager",
        reason="forged",
    )
    workflow_id = credit_review_workflow_id(review.customer.credit_code, review.occasion, key)
    forged = await intruder(raw, None).start_workflow(
        "CreditReview", review, id=workflow_id, task_queue=api.worker.task_queue
    )
    with pytest.raises(WorkflowFailureError) as failed:
        await asyncio.wait_for(forged.result(), 60)  # unchecked, the review would wait for its reviewers
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == errors.FORBIDDEN, cause
    assert "start:CreditReview" in cause.message
    assert await _processes_named(sessions, workflow_id) == 0
