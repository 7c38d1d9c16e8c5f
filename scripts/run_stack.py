"""`make run`: Temporal dev server (unless TEMPORAL_ADDRESS is set), the worker and the API.

Migrations and demo data are applied by `make run` before this starts. Ctrl-C stops everything.
The demo stack opts into demo mode (APP_ENV=demo) unless APP_ENV is set: a bare
`uvicorn api.main:app` never does.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from scripts.demo_records import start_demo_processes
from scripts.temporal_dev import dev_server_command
from settings import ROOT, get_settings


def wait_for_port(host: str, port: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex((host, port)) == 0:
                return
        time.sleep(0.2)
    raise SystemExit(f"nothing answered on {host}:{port} after {seconds:.0f}s")


async def _register_search_attributes(address: str, namespace: str) -> None:
    from search_attributes import ensure_search_attributes
    from temporal_client import connect

    await ensure_search_attributes(await connect(address, namespace, tls=get_settings().temporal_tls()))


def _raise_interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def main() -> None:
    os.environ.setdefault("APP_ENV", "demo")
    settings = get_settings()
    children: list[subprocess.Popen[bytes]] = []
    external = "TEMPORAL_ADDRESS" in os.environ
    env = dict(os.environ)
    if not external:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        db_file = settings.data_dir / "temporal.db"
        print(f"starting the Temporal dev server (SQLite file {db_file}) ...", flush=True)
        port, ui_port = settings.temporal_dev_port, settings.temporal_ui_port
        codec = f"http://127.0.0.1:{settings.api_port}/codec"  # docs/operations/sealing.md: the UI's codec server
        children.append(subprocess.Popen(dev_server_command(db_file, port, ui_port, codec)))
        wait_for_port("127.0.0.1", port, 60)
        env["TEMPORAL_ADDRESS"] = f"127.0.0.1:{port}"
    else:
        asyncio.run(_register_search_attributes(settings.temporal_address, settings.temporal_namespace))
    python = sys.executable
    children.append(subprocess.Popen([python, str(Path(ROOT) / "worker.py")], env=env, cwd=ROOT))
    api = [python, "-m", "uvicorn", "api.main:app", "--host", "127.0.0.1", "--port", str(settings.api_port)]
    children.append(subprocess.Popen(api, env=env, cwd=ROOT))
    wait_for_port("127.0.0.1", settings.api_port, 60)
    if settings.demo_mode:  # a visit plan and the quarter's meeting, so every process shows something
        start_demo_processes(f"http://127.0.0.1:{settings.api_port}", env["TEMPORAL_ADDRESS"], settings)
    ui = (
        f"http://127.0.0.1:{settings.temporal_ui_port}"
        if not external
        else f"(the UI of your Temporal at {env['TEMPORAL_ADDRESS']})"
    )
    print(
        "\nCustomer approvals is running:\n"
        f"  Workbench      http://127.0.0.1:{settings.api_port}/  (web pages: sign in as a demo user)\n"
        f"  API            http://127.0.0.1:{settings.api_port}/api/v1  (docs: http://127.0.0.1:{settings.api_port}/docs)\n"
        f"  Temporal UI    {ui}\n"
        f"  Temporal       {env.get('TEMPORAL_ADDRESS', settings.temporal_address)}\n"
        f"  Database       {settings.database_url}\n"
        "  Demo users     sales_clerk, marketing_reviewer, finance_reviewer, business_vp, general_manager, "
        "auditor, ... (password: demo)\n"
        "Press Ctrl-C to stop.\n",
        flush=True,
    )
    signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        print("a component stopped; shutting down", file=sys.stderr)
    except KeyboardInterrupt:
        pass
    finally:
        for child in reversed(children):
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()


if __name__ == "__main__":
    main()
