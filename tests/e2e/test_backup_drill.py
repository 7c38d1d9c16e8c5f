"""The backup drill (issue 24 §5): back up mid-flight, restore into fresh databases, finish every process.

A real dev server on its own SQLite file, the real worker and the real API (tests/support.py) on an
app database of each kind. Processes stand at different steps — and one is being decided WHILE
`python -m scripts.backup` runs — when the backup is taken; more work follows; everything stops;
`python -m scripts.restore` refuses the live databases and a damaged folder, then restores into
fresh ones; a new dev server on the restored file, a worker and the API then show every audit
chain intact, the app database and Temporal agreeing on every human act, the work after the
backup gone from both, and every open process finishing with each earlier decision present once.
A second drill forces the one case where the copies differ (Temporal accepted a decision whose
write waited on the held app database) and shows the restored worker writing it, once.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, closing
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import pytest
from temporalio.api.common.v1 import Payloads
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from db.migrate import upgrade
from db.session import make_engine, make_sessionmaker
from scripts.backup import parse as parse_backup
from scripts.backup import take_backup
from scripts.backup_manifest import read_manifest, sha256_of
from scripts.backup_store import libpq_url, sqlite_path
from scripts.restore import in_use, restore
from scripts.restore import parse as parse_restore
from scripts.seed_demo import seed
from scripts.temporal_dev import dev_server_command
from settings import ROOT
from temporal_client import DATA_CONVERTER, connect
from tests.conftest import _fresh_postgres_database
from tests.support import Api, running_api

pytestmark = pytest.mark.asyncio(loop_scope="session")

CHAIN = (
    ("marketing_reviewer", "marketing_review"),
    ("finance_reviewer", "finance_recheck"),
    ("business_vp", "vp_consent"),
    ("general_manager", "gm_approval"),
)
REPLAY_WAIT_S = 60  # a workflow task's timeout (10 s) and a replay, with room on a busy machine
HUMAN_ACTS = {"decision", "investigated", "replied"}
# The complaint's investigation report (002 §2.17: cause, course, who, conclusion, remedy, prevention).
REPORT = dict(
    cause="油罐车途中故障", course="备用车辆次日才到", responsible_person="车队 李四",
    conclusion="车辆保养不到位", countermeasure="改派备用车送达", prevention="出车前检查制度",
)  # fmt: skip
REPLY = {"resolution": "已补送并致歉", "method": "phone", "reply": "电话回复客户"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def dev_server(db_file: Path) -> AsyncIterator[Client]:
    """`make run`'s dev server on `db_file`, stopped (SIGTERM, as Ctrl-C) on the way out."""
    port = free_port()
    server = await asyncio.create_subprocess_exec(
        *dev_server_command(db_file, port, free_port()), stdout=subprocess.DEVNULL
    )
    try:
        for _ in range(240):
            try:
                client = await connect(f"127.0.0.1:{port}")
                break
            except RuntimeError:
                await asyncio.sleep(0.25)
        else:
            pytest.fail(f"the dev server on {db_file} did not answer")
        yield client
    finally:
        server.terminate()
        await asyncio.wait_for(server.wait(), 60)


@pytest.fixture(params=["sqlite", "postgresql"])
def app_urls(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str]:
    """The app database the stack runs on (migrated) and an empty one to restore into."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'app.db'}", f"sqlite:///{tmp_path / 'restored' / 'app.db'}"
    base = request.getfixturevalue("postgres_url")
    return _fresh_postgres_database(base), _fresh_postgres_database(base)


async def migrated_and_seeded(url: str) -> None:
    upgrade(url)
    engine = make_engine(url)
    await seed(make_sessionmaker(engine))
    await engine.dispose()


@asynccontextmanager
async def stack(temporal_db: Path, url: str, task_queue: str) -> AsyncIterator[Api]:
    engine = make_engine(url)
    try:
        async with (
            dev_server(temporal_db) as client,
            running_api(client, make_sessionmaker(engine), task_queue, url) as api,
        ):
            yield api
    finally:
        await engine.dispose()


async def script(name: str, *args: str) -> tuple[int, str]:
    """`python -m scripts.<name>` as an operator runs it, in its own process."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", f"scripts.{name}", *args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    out, _ = await proc.communicate()
    return int(proc.returncode or 0), out.decode()


async def onboarding(api: Api, decided: int) -> str:
    started = await api.submit()
    assert started.status_code == 201, started.text
    process_id: str = started.json()["process_id"]
    for user, _ in CHAIN[:decided]:
        answer = await api.decide(user, process_id, "approve", "备份前")
        assert answer.status_code == 200, answer.text
    return process_id


async def decide_rest(api: Api, process_id: str, comment: str) -> None:
    state = (await api.get(f"/api/v1/processes/{process_id}", "auditor")).json()
    steps = [step for _, step in CHAIN]
    if state["current_step"] is None:  # every step was decided before the cut
        return
    for user, _ in CHAIN[steps.index(state["current_step"]) :]:
        answer = await api.decide(user, process_id, "approve", comment)
        assert answer.status_code == 200, answer.text


async def acts(api: Api, process_id: str) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The human acts of a process as the app database records them and as Temporal's history shows them."""
    answer = await api.get(f"/api/v1/audit/processes/{process_id}", "auditor")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["temporal_history_available"], process_id

    def keyed(entries: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        return [(e["action"], e["step"], e["actor"]) for e in entries if e["action"] in HUMAN_ACTS]

    return keyed(body["records"]), keyed(body["temporal_events"])


async def decided_steps(api: Api, process_id: str) -> list[str]:
    """The steps decided, once the app database and Temporal agree on every human act. An act whose
    update Temporal had accepted but whose write the held app database had not taken is run again by
    the restored worker (the restored server hands the unfinished workflow task or activity out again
    after its timeout; the store is idempotent): the two may differ for that long, never for good."""
    for _ in range(REPLAY_WAIT_S * 4):
        recorded, in_temporal = await acts(api, process_id)
        if recorded == in_temporal:
            return [step for action, step, _ in recorded if action == "decision"]
        await asyncio.sleep(0.25)
    pytest.fail(f"{process_id}: the app database {recorded} and Temporal {in_temporal} disagree")


def fingerprint(url: str) -> str:
    """What would show a restore that wrote into the database: its file, or its audit rows."""
    path = sqlite_path(url)
    if path is not None:
        return sha256_of(path)
    with psycopg.connect(libpq_url(url)) as conn:
        return repr(conn.execute("SELECT id, hash FROM audit_records ORDER BY id").fetchall())


async def test_backup_mid_flight_then_restore_finishes_every_process(
    tmp_path: Path, app_urls: tuple[str, str], task_queue: str
) -> None:
    live_url, fresh_url = app_urls
    await migrated_and_seeded(live_url)
    temporal_db, backups = tmp_path / "temporal.db", tmp_path / "backups"
    now = datetime.now(ZoneInfo("Asia/Shanghai")).isoformat(timespec="seconds")

    async with stack(temporal_db, live_url, task_queue) as api:
        waiting, halfway, finished = await onboarding(api, 0), await onboarding(api, 2), await onboarding(api, 4)
        racing = await onboarding(api, 0)
        complaint = await api.post(
            "/api/v1/complaints",
            "sales_clerk",
            json={"customer_name": "新乡宏达物流", "channel": "phone", "category": "delivery",
                  "severity": "ordinary", "description": "柴油延误", "received_at": now},
        )  # fmt: skip
        assert complaint.status_code == 201, complaint.text
        complaint_id = complaint.json()["process_id"]

        # `racing` is decided while the backup holds the app database's writes (the first decision
        # waits for them), the rest of its steps right after the cut.
        args = ["--into", str(backups), "--database-url", live_url, "--temporal-db", str(temporal_db)]
        backup = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "scripts.backup", *args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        assert backup.stdout is not None
        held = await backup.stdout.readline()
        assert b"writes held" in held, held
        for user, _ in CHAIN:
            answer = await api.decide(user, racing, "approve", "竞速")
            assert answer.status_code == 200, answer.text  # a held write waits, then passes
        out = (await backup.stdout.read()).decode()
        assert await backup.wait() == 0, out

        # Work after the backup: lost on restore, from both databases alike.
        assert (await api.decide("marketing_reviewer", waiting, "approve", "备份后")).status_code == 200
        after = await onboarding(api, 1)
        report = await api.post(f"/api/v1/complaints/{complaint_id}/investigation", "marketing_reviewer", json=REPORT)
        assert report.status_code == 200, report.text

    (folder,) = backups.iterdir()
    manifest = read_manifest(folder)
    assert {(f.role, f.file) for f in manifest.files} >= {("temporal", "temporal.db")}
    assert manifest.app_schema == manifest.code_schema_head

    restored_db = tmp_path / "restored" / "temporal.db"
    # Refused: the databases the stack ran on hold data (no --force), and nothing of theirs changes.
    before = fingerprint(live_url), sha256_of(temporal_db)
    code, out = await script("restore", str(folder), "--database-url", live_url, "--temporal-db", str(temporal_db))
    assert code != 0 and "refused" in out and "--force" in out, out
    assert (fingerprint(live_url), sha256_of(temporal_db)) == before
    # Refused: a damaged folder (one byte more than its manifest says); the fresh targets stay empty.
    damaged = tmp_path / "damaged"
    shutil.copytree(folder, damaged)
    with (damaged / manifest.files[0].file).open("ab") as file:
        file.write(b"\0")
    code, out = await script("restore", str(damaged), "--database-url", fresh_url, "--temporal-db", str(restored_db))
    assert code != 0 and "damaged" in out, out
    assert not restored_db.exists() and not in_use(fresh_url)

    code, out = await script("restore", str(folder), "--database-url", fresh_url, "--temporal-db", str(restored_db))
    assert code == 0, out

    async with stack(restored_db, fresh_url, task_queue) as api:
        verified = (await api.get("/api/v1/audit/verify", "auditor")).json()
        assert verified["ok"] is True and verified["processes"] >= 5, verified
        # The work after the backup is gone from the app database and from Temporal alike.
        assert (await api.get(f"/api/v1/processes/{after}", "auditor")).status_code == 404
        with pytest.raises(RPCError) as missing:
            await api.app.state.temporal.get_workflow_handle(after).describe()
        assert missing.value.status is RPCStatusCode.NOT_FOUND
        assert await decided_steps(api, waiting) == []
        assert (await api.task_for("marketing_reviewer", complaint_id))["step"] == "investigation"
        # Before the backup: present, once, and the same in both.
        assert await decided_steps(api, halfway) == ["marketing_review", "finance_recheck"]
        assert await decided_steps(api, finished) == [step for _, step in CHAIN]
        raced = await decided_steps(api, racing)
        assert raced == [step for _, step in CHAIN][: len(raced)]

        for process_id in (waiting, halfway, racing):
            await decide_rest(api, process_id, "恢复后")
        report = await api.post(f"/api/v1/complaints/{complaint_id}/investigation", "marketing_reviewer", json=REPORT)
        assert report.status_code == 200, report.text
        replied = await api.post(f"/api/v1/complaints/{complaint_id}/reply", "marketing_reviewer", json=REPLY)
        assert replied.status_code == 200 and replied.json()["status"] == "closed", replied.text

        for process_id in (waiting, halfway, finished, racing):
            state = (await api.get(f"/api/v1/processes/{process_id}", "auditor")).json()
            assert state["status"] == "approved", state
            assert await decided_steps(api, process_id) == [step for _, step in CHAIN]
        recorded, in_temporal = await acts(api, complaint_id)
        assert recorded == in_temporal and [a for a, _, _ in recorded] == ["investigated", "replied"]
        assert (await api.get("/api/v1/audit/verify", "auditor")).json()["ok"] is True


def writes_held(path: Path) -> bool:
    conn = sqlite3.connect(path, timeout=0)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        conn.close()


async def opened(args: Payloads) -> bytes:
    """An update's arguments as the worker reads them: histories are sealed (issue 24 §1)."""
    assert DATA_CONVERTER.payload_codec is not None
    return b"".join(p.data for p in await DATA_CONVERTER.payload_codec.decode(list(args.payloads)))


async def test_a_decision_temporal_accepted_while_writes_were_held_is_written_once_after_restore(
    tmp_path: Path, task_queue: str
) -> None:
    """The one way the two copies can differ: the cut held long enough (here a 12 s settle) for the
    worker to report to Temporal that it accepted a decision whose write still waits on the held
    app database. Temporal's copy has the decision, the app copy has not; the restored worker runs
    the unfinished work again and the decision is written, once."""
    live_url, fresh_url = f"sqlite:///{tmp_path / 'app.db'}", f"sqlite:///{tmp_path / 'restored' / 'app.db'}"
    await migrated_and_seeded(live_url)
    temporal_db, restored_db = tmp_path / "temporal.db", tmp_path / "restored" / "temporal.db"
    async with stack(temporal_db, live_url, task_queue) as api:
        process_id = await onboarding(api, 0)
        await api.task_for("marketing_reviewer", process_id)  # its token and task, read before the cut
        args = ["--into", str(tmp_path / "backups"), "--database-url", live_url, "--temporal-db", str(temporal_db)]
        backup = asyncio.create_task(asyncio.to_thread(take_backup, parse_backup([*args, "--settle", "12"])))
        for _ in range(200):  # the backup thread holds the writes within moments
            if writes_held(tmp_path / "app.db"):
                break
            await asyncio.sleep(0.05)
        else:
            pytest.fail("the backup never held the app database's writes")
        decision = asyncio.create_task(api.decide("marketing_reviewer", process_id, "approve", "截点中"))
        folder = await backup
        assert (await decision).status_code == 200
        workflow_id = (await api.get(f"/api/v1/processes/{process_id}", "auditor")).json()["workflow_id"]

    restore(parse_restore([str(folder), "--database-url", fresh_url, "--temporal-db", str(restored_db)]))
    with closing(sqlite3.connect(tmp_path / "restored" / "app.db")) as conn:
        query = "SELECT count(*) FROM audit_records WHERE process_id = ? AND action = 'decision'"
        assert conn.execute(query, (process_id,)).fetchone() == (0,)
    async with stack(restored_db, fresh_url, task_queue) as api:
        history = await api.app.state.temporal.get_workflow_handle(workflow_id).fetch_history()
        accepted = [
            e.workflow_execution_update_accepted_event_attributes.accepted_request.input
            for e in history.events
            if e.HasField("workflow_execution_update_accepted_event_attributes")
        ]
        assert [u.name for u in accepted if "截点中".encode() in await opened(u.args)] == ["decide"], accepted
        assert await decided_steps(api, process_id) == ["marketing_review"]
        await decide_rest(api, process_id, "恢复后")
        assert await decided_steps(api, process_id) == [step for _, step in CHAIN]
