"""The audit record outlives Temporal's retention and shows any change made to it (issue 10 §5).

Real API, real worker, real Temporal dev server, both databases: a finished process's Temporal
history is deleted, and its history and its customer's approval trail still tell every decision;
a row changed or deleted behind the application's back makes the verification fail and name it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DeleteWorkflowExecutionRequest
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode
from temporalio.worker import Replayer

from activities.process_store import ProcessStore
from activities.process_sync import ProcessSync
from db.models import AuditRecord, Process
from domain.audit import AuditEntry
from temporal_client import DATA_CONVERTER
from tests.api.test_onboarding import CHAIN, approve_all
from tests.support import HISTORIES, Api, application
from workflows.audit import AuditInterceptor
from workflows.registry import WORKFLOWS

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def forget_in_temporal(client: Client, process: Process) -> None:
    """What retention does 30 days after the close: the run's history is gone (deletion is
    asynchronous: the dev server takes about 30 s; wait until describe no longer finds it)."""
    execution = WorkflowExecution(workflow_id=process.workflow_id, run_id=process.process_id)
    await client.workflow_service.delete_workflow_execution(
        DeleteWorkflowExecutionRequest(namespace=client.namespace, workflow_execution=execution)
    )
    handle = client.get_workflow_handle(process.workflow_id, run_id=process.process_id)
    for _ in range(900):
        try:
            await handle.describe()
        except RPCError as error:
            assert error.status is RPCStatusCode.NOT_FOUND
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the dev server did not delete the workflow within 90 s")


@asynccontextmanager
async def behind_the_back(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A transaction that gets past the append-only guard, as someone with DDL rights could."""
    async with sessions.begin() as session:
        if session.get_bind().dialect.name == "postgresql":
            await session.execute(text("SET LOCAL session_replication_role = replica"))  # triggers off
            yield session
            return
        guards = list(await session.scalars(text("SELECT sql FROM sqlite_master WHERE name LIKE 'audit_records_no_%'")))
        for name in ("audit_records_no_update", "audit_records_no_delete"):
            await session.execute(text(f"DROP TRIGGER {name}"))
        yield session
        for guard in guards:
            await session.execute(text(guard))


async def finished_onboarding(api: Api) -> dict[str, Any]:
    """Submitted, returned by finance with a reason, urged, resubmitted, approved by all four."""
    body = application()
    process_id = (await api.submit(body=body)).json()["process_id"]
    assert (await api.decide("marketing_reviewer", process_id, "approve", "资料齐全")).status_code == 200
    returned = await api.decide("finance_reviewer", process_id, "return", "开户许可证号码有误")
    assert returned.status_code == 200, returned.text
    again = await api.post(
        f"/api/v1/onboarding/{process_id}/resubmit", "sales_clerk", json=body, params={"comment": "已更正"}
    )
    assert again.status_code == 200, again.text
    urged = await api.post(f"/api/v1/processes/{process_id}/urge", "sales_clerk", json={"comment": "客户急需"})
    assert urged.status_code == 200, urged.text
    final = await approve_all(api, process_id)
    assert final["status"] == "approved"
    return {"process_id": process_id, "customer_id": final["customer_id"]}


def decisions(history: list[dict[str, Any]]) -> list[tuple[str, str, str, str]]:
    return [(e["actor"], e["step"], e["outcome"], e["comment"]) for e in history if e["action"] == "decision"]


EXPECTED_DECISIONS = [
    ("marketing_reviewer", "marketing_review", "approve", "资料齐全"),
    ("finance_reviewer", "finance_recheck", "return", "开户许可证号码有误 (returned to the applicant)"),
    *[(user, step, "approve", f"{step} ok") for user, step in CHAIN],
]


async def test_a_closed_process_keeps_its_history_after_temporal_deleted_it(
    api: Api, temporal_env: Any, sessions: async_sessionmaker[AsyncSession]
) -> None:
    done = await finished_onboarding(api)
    process_id = done["process_id"]
    before = (await api.get(f"/api/v1/audit/processes/{process_id}", "auditor")).json()
    assert before["temporal_history_available"] is True
    temporal_decisions = decisions(before["temporal_events"])
    assert temporal_decisions == EXPECTED_DECISIONS  # the record says what Temporal says

    async with sessions() as session:
        process = await session.get(Process, process_id)
    assert process is not None
    await forget_in_temporal(temporal_env.client, process)

    history = (await api.get(f"/api/v1/processes/{process_id}/history", "auditor")).json()
    assert decisions(history) == EXPECTED_DECISIONS
    actions = [(e["actor"], e["action"]) for e in history]
    assert actions[0] == ("sales_clerk", "submitted")
    assert ("sales_clerk", "resubmitted") in actions and ("sales_clerk", "urged") in actions
    assert ("system", "customer_created") in actions and actions[-1] == ("system", "closed")
    assert history[-1]["outcome"] == "approved"
    assert [e["at"] for e in history] == sorted(e["at"] for e in history)

    trail = (await api.get(f"/api/v1/customers/{done['customer_id']}", "auditor")).json()["approval_trail"]
    assert decisions(trail) == EXPECTED_DECISIONS

    after = (await api.get(f"/api/v1/audit/processes/{process_id}", "auditor")).json()
    assert after["temporal_history_available"] is False and after["temporal_events"] == []
    records = after["records"]
    assert [r["position"] for r in records] == list(range(1, len(records) + 1))
    returned = next(r for r in records if r["outcome"] == "return")
    assert returned["role"] == "finance_reviewer" and returned["details"]["request"]["return_to"] is None
    assert all(r["prev_hash"] == p["hash"] for p, r in zip(records, records[1:], strict=False))
    assert (await api.get("/api/v1/audit/verify", "auditor", params={"process_id": process_id})).json()["ok"]
    # Read access follows the process's visibility rule (api/visibility.py).
    assert (await api.get(f"/api/v1/audit/processes/{process_id}", "depot_manager")).status_code == 404


@pytest.mark.rule("003-2-tamper-evident")
async def test_a_changed_or_deleted_row_fails_verification_and_is_named(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    process_id = (await api.submit()).json()["process_id"]
    rejected = await api.decide("marketing_reviewer", process_id, "reject", "证照过期")
    assert rejected.status_code == 200, rejected.text
    verify = {"process_id": process_id}
    assert (await api.get("/api/v1/audit/verify", "auditor", params=verify)).json()["ok"] is True
    async with sessions() as session:
        rows = list(
            await session.scalars(
                select(AuditRecord).where(AuditRecord.process_id == process_id).order_by(AuditRecord.position)
            )
        )
    decision = next(r for r in rows if r.action == "decision")

    # The application itself cannot change the record: the database refuses.
    with pytest.raises(DBAPIError):
        async with sessions.begin() as session:
            await session.execute(text("UPDATE audit_records SET reason = 'x' WHERE id = :id"), {"id": decision.id})

    async with behind_the_back(sessions) as session:
        await session.execute(text("UPDATE audit_records SET reason = '证照齐全' WHERE id = :id"), {"id": decision.id})
    try:
        for params in (verify, None):  # the process's chain, and the walk over every chain
            answer = (await api.get("/api/v1/audit/verify", "auditor", params=params)).json()
            assert answer["ok"] is False
            breach = answer["breach"]
            assert (breach["id"], breach["process_id"], breach["problem"]) == (
                decision.id,
                process_id,
                "content changed",
            )
    finally:
        async with behind_the_back(sessions) as session:
            await session.execute(
                text("UPDATE audit_records SET reason = :r WHERE id = :id"), {"r": decision.reason, "id": decision.id}
            )
    assert (await api.get("/api/v1/audit/verify", "auditor", params=verify)).json()["ok"] is True

    for gone in (decision, rows[-1]):  # a row in the middle, and the last row (no gap after it)
        async with behind_the_back(sessions) as session:
            await session.execute(text("DELETE FROM audit_records WHERE id = :id"), {"id": gone.id})
        try:
            answer = (await api.get("/api/v1/audit/verify", "auditor", params=verify)).json()
            assert answer["ok"] is False and answer["breach"]["problem"] == "row missing"
            assert answer["breach"]["process_id"] == process_id
            assert answer["breach"]["position"] == gone.position
        finally:
            async with behind_the_back(sessions) as session:
                session.add(AuditRecord(**{c.key: getattr(gone, c.key) for c in AuditRecord.__table__.columns}))
    assert (await api.get("/api/v1/audit/verify", "auditor", params=verify)).json()["ok"] is True


async def test_only_auditors_and_admin_verify(api: Api) -> None:
    for user in ("sales_clerk", "marketing_reviewer", "general_manager", "depot_manager"):
        assert (await api.get("/api/v1/audit/verify", user)).status_code == 403, user
    for user in ("auditor", "admin"):
        response = await api.get("/api/v1/audit/verify", user)
        assert response.status_code == 200 and response.json()["ok"] is True, response.text


async def test_a_retried_write_appends_nothing_twice(api: Api, sessions: async_sessionmaker[AsyncSession]) -> None:
    process_id = (await api.submit()).json()["process_id"]
    entry = AuditEntry(
        seq=1_000,
        process_id=process_id,
        workflow_type="Onboarding",
        at=(await api.get(f"/api/v1/processes/{process_id}", "auditor")).json()["started_at"],
        kind="update",
        name="urge",
        payload={"actor": {"username": "sales_clerk", "roles": ["sales_clerk"]}, "comment": "again"},
    )
    store = ProcessStore(sessions)

    async def count() -> int:
        async with sessions() as session:
            found = await session.scalar(select(func.count()).where(AuditRecord.process_id == process_id))
            return int(found or 0)

    before = await count()
    for _ in range(3):  # the first attempt and two retries of the same write
        await store.sync_process(ProcessSync(audit=[entry]))
    assert await count() == before + 1
    assert (await api.get("/api/v1/audit/verify", "auditor", params={"process_id": process_id})).json()["ok"]


async def test_concurrent_writers_of_one_process_keep_one_chain(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """Writers racing on one process queue on its chain head: every entry lands once, in one chain."""
    process_id = (await api.submit()).json()["process_id"]
    at = (await api.get(f"/api/v1/processes/{process_id}", "auditor")).json()["started_at"]
    store = ProcessStore(sessions)
    payload = {"actor": {"username": "sales_clerk", "roles": ["sales_clerk"]}, "comment": "racing"}

    def entry(seq: int) -> AuditEntry:
        return AuditEntry(
            seq=seq,
            process_id=process_id,
            workflow_type="Onboarding",
            at=at,
            kind="update",
            name="urge",
            payload=payload,
        )

    await asyncio.gather(*(store.sync_process(ProcessSync(audit=[entry(2_000 + n)])) for n in range(12)))
    async with sessions() as session:
        keys = list(await session.scalars(select(AuditRecord.event_key).where(AuditRecord.process_id == process_id)))
    assert len(keys) == len(set(keys)) and {entry(2_000 + n).key for n in range(12)} <= set(keys)
    assert (await api.get("/api/v1/audit/verify", "auditor", params={"process_id": process_id})).json()["ok"]


@pytest.mark.parametrize("name", sorted(p.stem for p in HISTORIES.glob("*.json")))
async def test_saved_histories_replay_with_the_audit_interceptor(name: str) -> None:
    """The interceptor only fills a local activity's argument: workflows started before it replay."""
    from temporalio.client import WorkflowHistory

    history = WorkflowHistory.from_json(name, (HISTORIES / f"{name}.json").read_text())
    replayer = Replayer(workflows=WORKFLOWS, data_converter=DATA_CONVERTER, interceptors=[AuditInterceptor()])
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, result.replay_failure
