"""Benchmark: the product's HTTP decisions and starts against raw Temporal updates, in one run.

    python -m benchmarks.decisions [--decisions 100] [--concurrency 20] [--open 1000 [10000 ...]]
                                   [--database sqlite|postgresql] [--cache N] [--workers N] [--quick]
                                   [--codec on|off|both]

`--codec both` (issue 24 §1) runs the whole benchmark twice in one invocation, payloads in clear
(benchmarks/unsealed.py) then sealed (sealing.py, the product's way), and ends with the product's
sequential decision and start latency, p50 / p95, of each and their ratio.

One Temporal dev server (SQLite file, WAL) serves both sides:

- the product: the real API (`uvicorn api.main:app`, a subprocess) and the real worker
  (`python worker.py`, a subprocess, so its CPU and memory are its own; `--workers N` runs N of them
  on the one task queue, each one's CPU and RSS shown) on the app database
  (SQLite file, or PostgreSQL 16 from pgserver) with the demo users. Measured over HTTP with httpx:
  `POST /onboarding` as sales_clerk, then the four approvals `POST /tasks/{id}/decision` by
  marketing_reviewer, finance_reviewer, business_vp and general_manager. Finding a task id
  (`open_task_ids` of the previous answer, else `GET /tasks`) is never inside a timed section.
- the raw baseline: one workflow whose update runs one activity inserting one row (a plain SQLite
  insert; a plain PostgreSQL insert with `--database postgresql`), worker and client in this process.
  "start" = start the workflow + its first update; then four updates, the last one completes it.

Interleaved, each figure twice (raw, product, raw, product): sequential latency of decisions and
starts, 20-concurrent decisions/s (steady state: from the first completion until the queue of a
batch is empty, so the ramp-down of each batch does not count; whole-batch rate printed as well),
CPU per decision per process (over the concurrent batches), history events per decision, and the
worker's RSS with N processes open, waiting at their first step. After the rounds, the history of
every onboarding driven to completion is read back through the API (as `auditor`): each must hold
exactly four decisions (none applied twice, none lost). Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol, TypeVar

import httpx
from temporalio import activity, workflow
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from benchmarks.escalations import app_database
from db.migrate import upgrade
from db.session import make_engine, make_sessionmaker
from domain.search import ALL_KEYS
from scripts.seed_demo import seed
from scripts.temporal_dev import SQLITE_PRAGMAS, temporal_cli
from settings import Settings
from temporal_client import DATA_CONVERTER
from tests.support import application, random_credit_code
from worker import workflow_runner

try:
    import psutil
except ImportError:  # not a dependency: /proc does the same on Linux
    psutil = None

ROOT = Path(__file__).resolve().parents[1]
APPROVERS = ("marketing_reviewer", "finance_reviewer", "business_vp", "general_manager")
STEPS = len(APPROVERS)
API = "/api/v1"
SETTLE_S = 0.3  # CPU of a concurrent batch is read this long after its last answer (trailing server work)
T = TypeVar("T")


# --- processes: CPU seconds and memory, by pid ------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU of one process (all its threads, not its children)."""
    if psutil is not None:
        times = psutil.Process(pid).cpu_times()
        return float(times.user + times.system)
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime (fields 14, 15)


def rss_mb(pid: int, peak: bool = False) -> float:
    if psutil is not None and not peak:
        return float(psutil.Process(pid).memory_info().rss) / 2**20
    key = "VmHWM:" if peak else "VmRSS:"
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key):
            return int(line.split()[1]) / 1024
    return float("nan")


def dev_server_pid() -> int:
    """The `temporal server start-dev` child that WorkflowEnvironment.start_local launched."""
    cli = Path(temporal_cli()).name
    if psutil is not None:
        for child in psutil.Process().children(recursive=True):
            if child.name().startswith(cli) or any("start-dev" in part for part in child.cmdline()):
                return int(child.pid)
    me = os.getpid()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name, rest = text.split("(", 1)[1].rsplit(")", 1)
        if int(rest.split()[1]) == me and name.startswith(cli[:15]):
            return int(stat.parent.name)
    raise SystemExit("cannot find the dev server's process")


class CpuMeter:
    """Accumulates the CPU the named processes spend inside the measured windows."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids
        self.seconds = dict.fromkeys(pids, 0.0)
        self.decisions = 0

    def sample(self) -> dict[str, float]:
        return {name: cpu_seconds(pid) for name, pid in self.pids.items()}

    def add(self, before: dict[str, float], after: dict[str, float], decisions: int) -> None:
        for name in self.pids:
            self.seconds[name] += after[name] - before[name]
        self.decisions += decisions

    def per_decision_ms(self) -> dict[str, float]:
        return {name: 1000 * s / max(self.decisions, 1) for name, s in self.seconds.items()}


# --- the raw baseline: one update, one activity, one inserted row ----------------------------------


class RawStore:
    """Where the baseline's activity writes: a plain INSERT, no ORM, no pool beyond a few connections."""

    def __init__(self) -> None:
        self._sqlite: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self._pg: asyncio.Queue[Any] | None = None

    async def open(self, kind: str, workdir: Path, pg_url: str | None) -> None:
        if kind == "sqlite":
            conn = sqlite3.connect(workdir / "raw.db", check_same_thread=False, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("CREATE TABLE raw_rows (id INTEGER PRIMARY KEY, workflow_id TEXT, label TEXT, at REAL)")
            self._sqlite = conn
            return
        import psycopg

        self._pg = asyncio.Queue()
        for i in range(4):
            conn = await psycopg.AsyncConnection.connect(str(pg_url), autocommit=True)
            if i == 0:
                await conn.execute(
                    "CREATE TABLE IF NOT EXISTS raw_rows (id BIGSERIAL PRIMARY KEY, workflow_id TEXT, label TEXT, "
                    "at DOUBLE PRECISION)"
                )
            self._pg.put_nowait(conn)

    def _insert_sqlite(self, workflow_id: str, label: str) -> None:
        assert self._sqlite is not None
        with self._lock:
            self._sqlite.execute(
                "INSERT INTO raw_rows (workflow_id, label, at) VALUES (?, ?, ?)", (workflow_id, label, time.time())
            )

    async def insert(self, workflow_id: str, label: str) -> None:
        if self._pg is None:
            await asyncio.to_thread(self._insert_sqlite, workflow_id, label)
            return
        conn = await self._pg.get()
        try:
            await conn.execute(
                "INSERT INTO raw_rows (workflow_id, label, at) VALUES (%s, %s, %s)", (workflow_id, label, time.time())
            )
        finally:
            self._pg.put_nowait(conn)

    async def close(self) -> None:
        if self._sqlite is not None:
            self._sqlite.close()
        while self._pg is not None and not self._pg.empty():
            await self._pg.get_nowait().close()


RAW_STORE = RawStore()


@activity.defn(name="BenchRawInsert")
async def raw_insert(label: str) -> None:
    await RAW_STORE.insert(activity.info().workflow_id, label)


@workflow.defn(name="BenchRawDecisions")
class RawDecisionsWorkflow:
    """Ends once `limit` updates have completed (start's update + four decisions, like an onboarding)."""

    def __init__(self) -> None:
        self.count = 0

    @workflow.run
    async def run(self, limit: int) -> int:
        await workflow.wait_condition(lambda: self.count >= limit and workflow.all_handlers_finished())
        return self.count

    @workflow.update
    async def decide(self, label: str) -> int:
        await workflow.execute_activity(raw_insert, label, start_to_close_timeout=timedelta(seconds=60))
        self.count += 1
        return self.count


# --- the two sides behind one interface -------------------------------------------------------------


class Side(Protocol):
    name: str
    meter: CpuMeter

    async def start(self, limit: int = STEPS + 1) -> tuple[Any, float]: ...
    async def find_tasks(self, refs: list[Any]) -> None: ...
    async def decide(self, ref: Any) -> float: ...
    async def history_length(self, ref: Any) -> tuple[int, float]: ...


@dataclass
class RawRef:
    handle: WorkflowHandle[Any, Any]
    step: int = 0


class RawSide:
    name = "raw"

    def __init__(self, client: Client, task_queue: str, meter: CpuMeter) -> None:
        self.client, self.task_queue, self.meter = client, task_queue, meter

    async def start(self, limit: int = STEPS + 1) -> tuple[RawRef, float]:
        began = time.perf_counter()
        handle = await self.client.start_workflow(
            RawDecisionsWorkflow.run, limit, id=f"bench-raw-{uuid.uuid4().hex}", task_queue=self.task_queue
        )
        await handle.execute_update(RawDecisionsWorkflow.decide, "start")
        return RawRef(handle), time.perf_counter() - began

    async def find_tasks(self, refs: list[RawRef]) -> None:
        return None  # the handle is all an update needs

    async def decide(self, ref: RawRef) -> float:
        began = time.perf_counter()
        await ref.handle.execute_update(RawDecisionsWorkflow.decide, f"decision {ref.step + 1}")
        elapsed = time.perf_counter() - began
        ref.step += 1
        return elapsed

    async def history_length(self, ref: RawRef) -> tuple[int, float]:
        return events_per_decision(await ref.handle.fetch_history(), STEPS)


@dataclass
class Onboarding:
    credit_code: str
    process_id: str
    step: int = 0
    task_id: str | None = None
    status: str = "running"


def listed(body: Any) -> list[dict[str, Any]]:
    """`GET /tasks` answers a list, or an object with `items`."""
    if isinstance(body, dict):
        return list(body.get("items") or [])
    return list(body)


def next_task(body: dict[str, Any]) -> str | None:
    ids = body.get("open_task_ids")
    return ids[0] if isinstance(ids, list) and len(ids) == 1 else None


class ProductSide:
    name = "product"

    def __init__(self, http: httpx.AsyncClient, client: Client, meter: CpuMeter) -> None:
        self.http, self.client, self.meter = http, client, meter
        self.headers: dict[str, dict[str, str]] = {}
        self.completed: list[Onboarding] = []  # every onboarding this run drove through its last step

    async def login(self) -> None:
        for user in ("sales_clerk", *APPROVERS, "auditor"):
            response = await self.http.post(f"{API}/auth/token", data={"username": user, "password": "demo"})
            response.raise_for_status()
            self.headers[user] = {"Authorization": f"Bearer {response.json()['access_token']}"}

    async def start(self, limit: int = STEPS + 1) -> tuple[Onboarding, float]:
        code = random_credit_code()
        body = application(code)
        began = time.perf_counter()
        response = await self.http.post(f"{API}/onboarding", json=body, headers=self.headers["sales_clerk"])
        elapsed = time.perf_counter() - began
        if response.status_code != 201:
            raise RuntimeError(f"POST /onboarding answered {response.status_code}: {response.text}")
        answer = response.json()
        return Onboarding(code, answer["process_id"], task_id=next_task(answer)), elapsed

    async def find_tasks(self, refs: list[Onboarding]) -> None:
        """Untimed: the open task of each process, from the approver's inbox when the answer named none."""
        for attempt in range(100):
            missing: dict[str, list[Onboarding]] = {}
            for ref in refs:
                if ref.task_id is None and ref.step < STEPS:
                    missing.setdefault(APPROVERS[ref.step], []).append(ref)
            if not missing:
                return
            for user, waiting in missing.items():
                response = await self.http.get(f"{API}/tasks", headers=self.headers[user])
                response.raise_for_status()
                by_process = {t["process_id"]: t["task_id"] for t in listed(response.json()) if t.get("task_id")}
                for ref in waiting:
                    ref.task_id = by_process.get(ref.process_id)
            if attempt:
                await asyncio.sleep(0.05)
        raise RuntimeError(f"open tasks not found in the inboxes: {missing}")

    async def decide(self, ref: Onboarding) -> float:
        user = APPROVERS[ref.step]
        began = time.perf_counter()
        response = await self.http.post(
            f"{API}/tasks/{ref.task_id}/decision", json={"outcome": "approve"}, headers=self.headers[user]
        )
        elapsed = time.perf_counter() - began
        if response.status_code != 200:
            raise RuntimeError(f"{user} deciding {ref.task_id} got {response.status_code}: {response.text}")
        answer = response.json()
        ref.step += 1
        ref.status = answer.get("status", ref.status)
        ref.task_id = next_task(answer) if ref.step < STEPS else None
        if ref.step == STEPS:
            self.completed.append(ref)
        return elapsed

    async def decisions_recorded(self, ref: Onboarding) -> int:
        """Entries with action "decision" in the process's history, as the auditor reads it."""
        response = await self.http.get(f"{API}/processes/{ref.process_id}/history", headers=self.headers["auditor"])
        if response.status_code != 200:
            raise RuntimeError(f"history of {ref.process_id} answered {response.status_code}: {response.text}")
        return sum(1 for entry in response.json() if entry.get("action") == "decision")

    async def check_decisions(self, concurrency: int) -> tuple[int, int, int, int]:
        """(processes with a decision applied twice, with one lost, processes checked, not approved)."""
        refs = list(self.completed)
        counts = await limited(concurrency, [lambda ref=ref: self.decisions_recorded(ref) for ref in refs])
        twice = sum(1 for n in counts if n > STEPS)
        lost = sum(1 for n in counts if n < STEPS)
        not_approved = sum(1 for ref in refs if ref.status != "approved")
        return twice, lost, len(refs), not_approved

    async def history_length(self, ref: Onboarding) -> tuple[int, float]:
        try:
            from api.services.onboarding import onboarding_workflow_id

            workflow_id = onboarding_workflow_id(ref.credit_code)
        except ImportError:
            workflow_id = f"onboarding-{ref.credit_code}"
        handle = self.client.get_workflow_handle(workflow_id, run_id=ref.process_id)
        return events_per_decision(await handle.fetch_history(), STEPS)


def events_per_decision(history: Any, decisions: int) -> tuple[int, float]:
    """(all events, events from the first decision's workflow task to the end / decisions).

    The decisions are the last `decisions` accepted updates; anything before the workflow task that
    carried the first of them belongs to the start (and its first update, if any)."""
    events = list(history.events)
    accepted = [
        i for i, e in enumerate(events) if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
    ]
    if len(accepted) < decisions:
        return len(events), float("nan")
    cut = accepted[-decisions]
    while cut > 0 and events[cut].event_type != EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
        cut -= 1
    return len(events), (len(events) - cut) / decisions


# --- the measurements -------------------------------------------------------------------------------


async def limited(concurrency: int, jobs: Iterable[Callable[[], Awaitable[T]]]) -> list[T]:
    gate = asyncio.Semaphore(concurrency)

    async def one(job: Callable[[], Awaitable[T]]) -> T:
        async with gate:
            return await job()

    return list(await asyncio.gather(*(one(job) for job in jobs)))


@dataclass
class Figures:
    starts: list[float] = field(default_factory=list)
    decisions: list[float] = field(default_factory=list)
    steady: list[float] = field(default_factory=lambda: [0.0, 0.0])  # decisions, seconds
    wall: list[float] = field(default_factory=lambda: [0.0, 0.0])
    cpu_ms: dict[str, float] = field(default_factory=dict)
    last: Any = None


async def sequential(side: Side, processes: int, figures: Figures) -> None:
    """One process at a time: start, then its four decisions; only the start and each decision are timed."""
    for _ in range(processes):
        ref, seconds = await side.start()
        figures.starts.append(seconds)
        for _ in range(STEPS):
            await side.find_tasks([ref])
            figures.decisions.append(await side.decide(ref))
        figures.last = ref


async def batch(side: Side, refs: list[Any], concurrency: int) -> tuple[list[float], list[float], float]:
    """Decides the open task of every ref, `concurrency` at a time: (moments sent, moments answered, seconds)."""
    dispatched: list[float] = []
    done: list[float] = []

    async def one(ref: Any) -> None:
        dispatched.append(time.perf_counter())
        await side.decide(ref)
        done.append(time.perf_counter())

    began = time.perf_counter()
    await limited(concurrency, [lambda ref=ref: one(ref) for ref in refs])
    return dispatched, done, time.perf_counter() - began


async def concurrent(side: Side, processes: int, concurrency: int, figures: Figures) -> None:
    """`processes` processes started (untimed), then each step decided for all of them, `concurrency` at a time."""
    refs = [ref for ref, _ in await limited(concurrency, [side.start] * processes)]
    meter = CpuMeter(side.meter.pids)
    for _ in range(STEPS):
        await side.find_tasks(refs)
        before = meter.sample()
        dispatched, done, seconds = await batch(side, refs, concurrency)
        figures.wall[0] += len(refs)
        figures.wall[1] += seconds
        await asyncio.sleep(SETTLE_S)
        meter.add(before, meter.sample(), len(refs))
        # Steady state: every slot busy, i.e. from the first answer until the last decision was sent.
        busy = [t for t in done if t <= max(dispatched)]
        if len(busy) >= 2:
            figures.steady[0] += len(busy) - 1
            figures.steady[1] += busy[-1] - busy[0]
    figures.cpu_ms = meter.per_decision_ms()


@dataclass
class Memory:
    count: int  # processes open on each side
    workers_mb: list[float]  # each product worker's RSS
    workers_peak_mb: list[float]
    raw_mb: float  # this process's RSS (the raw worker lives here)
    product_rate: float  # processes opened per second while getting there
    raw_rate: float

    @property
    def worker_mb(self) -> float:
        return sum(self.workers_mb)


async def open_processes(side: Side, count: int, concurrency: int) -> float:
    began = time.perf_counter()
    await limited(concurrency, [lambda: side.start(limit=10**9)] * count)
    return time.perf_counter() - began


# --- the product's processes ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def launch(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def stop(process: subprocess.Popen[bytes], name: str) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            print(f"{name} did not stop in 60 s; killing it")
            process.kill()
            process.wait()


def tail(log: Path, chars: int = 3000) -> str:
    return log.read_text(errors="replace")[-chars:]


async def wait_healthy(http: httpx.AsyncClient, api: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if api.poll() is not None:
            raise SystemExit(f"the API exited with {api.returncode}:\n{tail(log)}")
        try:
            if (await http.get(f"{API}/health")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.2)
    raise SystemExit(f"the API did not become healthy:\n{tail(log)}")


async def wait_for_line(process: subprocess.Popen[bytes], log: Path, text: str, name: str) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{name} exited with {process.returncode}:\n{tail(log)}")
        if text in tail(log, 1_000_000):
            return
        await asyncio.sleep(0.2)
    raise SystemExit(f"{name} did not start:\n{tail(log)}")


# --- the report -------------------------------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def pair(values: list[float], fmt: str = "{:.1f}") -> str:
    return " / ".join(fmt.format(v) for v in values)


def ratios(product: list[float], raw: list[float]) -> list[float]:
    return [p / r if r else float("nan") for p, r in zip(product, raw, strict=True)]


def verdict(values: list[float], ok: Callable[[float], bool]) -> str:
    marks = ["ok" if ok(v) else "MISS" for v in values]
    return "/".join(marks)


def report(
    product: list[Figures],
    raw: list[Figures],
    histories: dict[str, tuple[int, float]],
    memory: list[Memory],
    idle: tuple[list[float], float],
    concurrency: int,
    workers: int,
) -> None:
    rows: list[tuple[str, str, str, str, str]] = []

    def row(name: str, p: list[float], r: list[float] | None, target: str = "", check: str = "", f: str = "") -> None:
        fmt = f or "{:.1f}"
        rows.append(
            (
                name,
                pair(p, fmt),
                pair(r, fmt) if r is not None else "-",
                pair(ratios(p, r), "x{:.2f}") if r is not None else "",
                f"{target} {check}".strip(),
            )
        )

    def latency(figures: list[Figures], q: float) -> list[float]:
        return [1000 * pct(f.decisions, q) for f in figures]

    p, r = latency(product, 0.5), latency(raw, 0.5)
    row("decision, sequential, p50 ms", p, r, "<= 1.3x raw", verdict(ratios(p, r), lambda x: x <= 1.3))
    row("decision, sequential, p95 ms", latency(product, 0.95), latency(raw, 0.95))
    p, r = latency(product, 0.99), latency(raw, 0.99)
    row("decision, sequential, p99 ms", p, r, "<= 100 ms", verdict(p, lambda x: x <= 100))
    p = [f.steady[0] / f.steady[1] if f.steady[1] else float("nan") for f in product]
    r = [f.steady[0] / f.steady[1] if f.steady[1] else float("nan") for f in raw]
    row(f"{concurrency}-concurrent decisions/s, steady", p, r, ">= 0.8x raw", verdict(ratios(p, r), lambda x: x >= 0.8))
    p = [f.wall[0] / f.wall[1] for f in product]
    r = [f.wall[0] / f.wall[1] for f in raw]
    row(f"{concurrency}-concurrent decisions/s, batches", p, r)
    p = [1000 * statistics.median(f.starts) for f in product]
    r = [1000 * statistics.median(f.starts) for f in raw]
    row("start p50 ms (raw: start + 1st update)", p, r, "<= 1.3x raw", verdict(ratios(p, r), lambda x: x <= 1.3))
    row("start p95 ms", [1000 * pct(f.starts, 0.95) for f in product], [1000 * pct(f.starts, 0.95) for f in raw])
    names = worker_names(workers)

    def worker_cpu(f: Figures) -> float:
        return sum(f.cpu_ms[name] for name in names)

    total_p = [f.cpu_ms["server"] + worker_cpu(f) + f.cpu_ms["api"] for f in product]
    total_r = [f.cpu_ms["server"] + f.cpu_ms["process"] for f in raw]
    row("CPU ms/decision, all processes", total_p, total_r)
    row("  dev server", [f.cpu_ms["server"] for f in product], [f.cpu_ms["server"] for f in raw])
    label = "worker" if workers == 1 else f"{workers} workers, sum"
    row(f"  {label} (raw: worker + client)", [worker_cpu(f) for f in product], [f.cpu_ms["process"] for f in raw])
    if workers > 1:
        for name in names:
            row(f"    {name}", [f.cpu_ms[name] for f in product], None)
    row("  API", [f.cpu_ms["api"] for f in product], None)
    row("  (HTTP client, not in total)", [f.cpu_ms["client"] for f in product], None)
    (pe, pd), (re_, rd) = histories["product"], histories["raw"]
    row("history events per decision", [pd], [rd], f="{:.1f}")
    row("history events, whole process", [pe], [re_], f="{:.0f}")
    idle_workers, idle_r = idle
    idle_p = sum(idle_workers)
    whose = "worker" if workers == 1 else f"{workers} workers' sum"
    rows.append((f"RSS MB, idle ({whose}; raw: this whole process)", f"{idle_p:.0f}", f"{idle_r:.0f}", "", ""))
    if workers > 1:
        for name, mb in zip(names, idle_workers, strict=True):
            rows.append((f"  {name} RSS MB, idle", f"{mb:.0f}", "", "", ""))
    for m in memory:
        count, prss, rrss = m.count, m.worker_mb, m.raw_mb
        target, check = "", ""
        if count >= 10_000:
            target = "<= 400 MB" if workers == 1 else "<= 400 MB each"
            check = verdict([max(m.workers_mb)], lambda x: x <= 400)
        rows.append(
            (
                f"RSS MB, {count:,} open (growth)",
                f"{prss:.0f} ({prss - idle_p:+.0f})",
                f"{rrss:.0f} ({rrss - idle_r:+.0f})",
                f"growth x{(prss - idle_p) / (rrss - idle_r):.2f}" if rrss > idle_r else "",
                f"{target} {check}".strip(),
            )
        )
        if workers > 1:
            for name, mb, idle_mb in zip(names, m.workers_mb, idle_workers, strict=True):
                rows.append((f"  {name} RSS MB ({count:,})", f"{mb:.0f} ({mb - idle_mb:+.0f})", "", "", ""))
        peaks = " / ".join(f"{mb:.0f}" for mb in m.workers_peak_mb)
        rows.append((f"  worker peak RSS MB ({count:,})", peaks, "", "", ""))
        rows.append((f"  opened per second ({count:,})", f"{m.product_rate:.0f}", f"{m.raw_rate:.0f}", "", ""))

    widths = [max(len(r[i]) for r in [*rows, ("figure", "product", "raw", "ratio", "target")]) for i in range(5)]
    header = ("figure", "product", "raw", "ratio", "target")
    print()
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for r_ in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r_, widths, strict=True)).rstrip())


# --- the run ----------------------------------------------------------------------------------------


def worker_names(workers: int) -> list[str]:
    return ["worker"] if workers == 1 else [f"worker {i}" for i in range(1, workers + 1)]


async def run(
    decisions: int,
    concurrency: int,
    opens: list[int],
    database: str,
    cache: int | None,
    workers: int,
    sealed: bool = True,
) -> list[Figures]:
    """One whole benchmark; the product's figures of both rounds. `sealed=False`: payloads in clear."""
    workdir = Path(tempfile.mkdtemp(prefix="bench-decisions-"))
    db_url = app_database(database, workdir)
    upgrade(db_url)
    engine = make_engine(db_url)
    await seed(make_sessionmaker(engine))
    await engine.dispose()
    await RAW_STORE.open(database, workdir, db_url if database == "postgresql" else None)

    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_cli(),
        dev_server_extra_args=[*SQLITE_PRAGMAS, "--db-filename", str(workdir / "temporal.db")],
        data_converter=DATA_CONVERTER if sealed else pydantic_data_converter,
        search_attributes=ALL_KEYS,
        ui=False,
    )
    client = env.client
    python = [sys.executable] if sealed else [sys.executable, "-m", "benchmarks.unsealed"]
    server_pid = dev_server_pid()
    address = client.service_client.config.target_host
    queue = f"bench-decisions-{uuid.uuid4().hex[:8]}"
    port = free_port()
    child_env = {
        **os.environ,
        "APP_ENV": "demo",
        "DATABASE_URL": db_url,
        "TEMPORAL_ADDRESS": address,
        "TASK_QUEUE": queue,
        "PYTHONPATH": str(ROOT),
    }
    if cache is not None:
        child_env["WORKER_MAX_CACHED_WORKFLOWS"] = str(cache)
    worker_cache = Settings(app_env="demo").workflow_cache_size() if cache is None else cache
    api_log = workdir / "api.log"
    names = worker_names(workers)
    worker_logs = {name: workdir / f"{name.replace(' ', '-')}.log" for name in names}
    worker_procs = {name: launch([*python, "worker.py"], child_env, worker_logs[name]) for name in names}
    api_proc = launch(
        [*python, "-m", "uvicorn", "api.main:app", "--host", "127.0.0.1", "--port", str(port)]
        + ["--log-level", "warning", "--no-access-log"],
        child_env,
        api_log,
    )
    processes = math.ceil(decisions / STEPS)
    batch = max(processes, 3 * concurrency)  # processes per concurrent round: a queue longer than the slots
    print(
        f"benchmark: {processes * STEPS} sequential + {batch * STEPS} {concurrency}-concurrent decisions per side "
        f"and round, 2 rounds interleaved; dev server on SQLite (WAL); app database {database}; "
        f"{workers} product worker(s), workflow cache {worker_cache:,} each (raw: "
        f"{cache if cache is not None else 20_000:,}); "
        f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}; psutil {'yes' if psutil else 'no (/proc)'}; "
        f"payloads {'sealed' if sealed else 'in clear'}; "
        f"work dir {workdir}"
    )
    limits = httpx.Limits(max_connections=concurrency + 8, max_keepalive_connections=concurrency + 8)
    http = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=300, limits=limits)
    raw_queue = f"bench-raw-{uuid.uuid4().hex[:8]}"
    raw_worker = Worker(
        client,
        task_queue=raw_queue,
        workflows=[RawDecisionsWorkflow],
        activities=[raw_insert],
        max_cached_workflows=cache if cache is not None else 20_000,
        workflow_runner=workflow_runner(),  # the same runner as the product's worker
    )
    try:
        async with raw_worker:
            for name in names:
                await wait_for_line(worker_procs[name], worker_logs[name], "worker polling", f"the {name}")
            await wait_healthy(http, api_proc, api_log)
            me = os.getpid()
            worker_pids = {name: proc.pid for name, proc in worker_procs.items()}
            product = ProductSide(
                http,
                client,
                CpuMeter({"server": server_pid, **worker_pids, "api": api_proc.pid, "client": me}),
            )
            raw = RawSide(client, raw_queue, CpuMeter({"server": server_pid, "process": me}))
            await product.login()
            for side in (raw, product):  # warm-up, untimed: imports, caches, connections
                await sequential(side, 2, Figures())
                await concurrent(side, concurrency, concurrency, Figures())

            figures: dict[str, list[Figures]] = {"raw": [], "product": []}
            for round_no in (1, 2):
                for side in (raw, product):
                    figures[side.name].append(Figures())
                for side in (raw, product):
                    await sequential(side, processes, figures[side.name][-1])
                    print(
                        f"round {round_no} {side.name:>7}: sequential decision p50 "
                        f"{1000 * pct(figures[side.name][-1].decisions, 0.5):.1f} ms, start p50 "
                        f"{1000 * statistics.median(figures[side.name][-1].starts):.1f} ms",
                        flush=True,
                    )
                for side in (raw, product):
                    f = figures[side.name][-1]
                    await concurrent(side, batch, concurrency, f)
                    print(
                        f"round {round_no} {side.name:>7}: {concurrency}-concurrent "
                        f"{f.steady[0] / max(f.steady[1], 1e-9):.1f} decisions/s steady, "
                        f"{f.wall[0] / f.wall[1]:.1f} in whole batches",
                        flush=True,
                    )
            last = figures["product"][-1].last
            if last is not None and last.status != "approved":
                print(f"WARNING: the last onboarding ended {last.status!r}, not 'approved'")
            histories = {
                "product": await product.history_length(figures["product"][-1].last),
                "raw": await raw.history_length(figures["raw"][-1].last),
            }
            twice, lost, checked, not_approved = await product.check_decisions(concurrency)
            correctness = f"decisions applied twice: {twice}, lost: {lost} over {checked} processes"
            if not_approved:
                correctness += f" ({not_approved} not answered 'approved' by their last decision)"
            print(correctness, flush=True)

            await asyncio.sleep(2)
            idle = ([rss_mb(pid) for pid in worker_pids.values()], rss_mb(me))
            memory: list[Memory] = []
            opened = 0
            for count in sorted(set(opens)):
                more = count - opened
                rseconds = await open_processes(raw, more, concurrency)
                pseconds = await open_processes(product, more, concurrency)
                opened = count
                await asyncio.sleep(3)
                m = Memory(
                    count,
                    [rss_mb(pid) for pid in worker_pids.values()],
                    [rss_mb(pid, peak=True) for pid in worker_pids.values()],
                    rss_mb(me),
                    more / pseconds,
                    more / rseconds,
                )
                memory.append(m)
                each = ", ".join(
                    f"{name} {mb:.0f} MB (peak {peak:.0f})"
                    for name, mb, peak in zip(names, m.workers_mb, m.workers_peak_mb, strict=True)
                )
                print(
                    f"{count:,} open: RSS {each}; raw process RSS {m.raw_mb:.0f} MB; "
                    f"opened {m.product_rate:.0f}/s product, {m.raw_rate:.0f}/s raw",
                    flush=True,
                )
            report(figures["product"], figures["raw"], histories, memory, idle, concurrency, workers)
            print(correctness)
            print(
                "\nrounds shown as 'round 1 / round 2'. CPU over the concurrent batches (+"
                f"{SETTLE_S} s after each); product total = dev server + worker(s) + API, raw total = dev server + "
                "this process (raw worker and its client). History: events from the first decision's workflow "
                "task to the end, per decision. Raw RSS is this whole process (its growth is the comparison)."
            )
            return figures["product"]
    finally:
        await http.aclose()
        for name, proc in worker_procs.items():
            stop(proc, f"the {name}")
        stop(api_proc, "the API")
        await RAW_STORE.close()
        await env.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--decisions", type=int, default=100, help="sequential decisions per side and round")
    parser.add_argument("--concurrency", type=int, default=20, help="decisions in flight at once")
    parser.add_argument(
        "--open", type=int, nargs="+", default=[1000], help="open processes for the RSS figure, e.g. 1000 10000"
    )
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite", help="the app database")
    parser.add_argument("--cache", type=int, default=None, help="max cached workflows (default: the worker's own)")
    parser.add_argument("--workers", type=int, default=1, help="product worker processes on the one task queue")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 8 decisions, 4 concurrent, 50 open")
    parser.add_argument(
        "--codec", choices=["on", "off", "both"], default="on", help="payloads sealed (the product), in clear, or both"
    )
    args = parser.parse_args()
    if args.quick:
        args.decisions, args.concurrency, args.open = 8, 4, [50]
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    modes = {"on": ["on"], "off": ["off"], "both": ["off", "on"]}[args.codec]
    product: dict[str, list[Figures]] = {}
    for mode in modes:
        print(f"\n=== codec {mode} ===", flush=True)
        product[mode] = asyncio.run(
            run(args.decisions, args.concurrency, args.open, args.database, args.cache, args.workers, mode == "on")
        )
    if len(product) == 2:
        codec_report(product["off"], product["on"])


def codec_report(off: list[Figures], on: list[Figures]) -> None:
    """The product's sequential latency in clear and sealed, both rounds pooled, and on / off."""
    print("\ncodec off / on (product, sequential, both rounds):")
    for name in ("decisions", "starts"):
        clear = [s for f in off for s in getattr(f, name)]
        sealed = [s for f in on for s in getattr(f, name)]
        p50, p95 = (pct(clear, 0.5), pct(sealed, 0.5)), (pct(clear, 0.95), pct(sealed, 0.95))
        print(
            f"  {name:<9} p50 {1000 * p50[0]:.1f} / {1000 * p50[1]:.1f} ms ({p50[1] / p50[0]:.2f}x), "
            f"p95 {1000 * p95[0]:.1f} / {1000 * p95[1]:.1f} ms ({p95[1] / p95[0]:.2f}x)"
        )


if __name__ == "__main__":
    # The baseline workflow comes from the importable module, not __main__, as a real worker's would.
    from benchmarks.decisions import main as main_in_module

    main_in_module()
