"""`make run`: Temporal dev server (unless TEMPORAL_ADDRESS is set), the worker and the API.

Migrations and demo data are applied by `make run` before this starts. Ctrl-C stops everything.
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

    await ensure_search_attributes(await connect(address, namespace))


def main() -> None:
    settings = get_settings()
    children: list[subprocess.Popen[bytes]] = []
    external = "TEMPORAL_ADDRESS" in os.environ
    env = dict(os.environ)
    if not external:
        data = ROOT / ".data"
        data.mkdir(exist_ok=True)
        print("starting the Temporal dev server (SQLite file .data/temporal.db) ...", flush=True)
        children.append(subprocess.Popen(dev_server_command(data / "temporal.db")))
        wait_for_port("127.0.0.1", 7233, 60)
        env["TEMPORAL_ADDRESS"] = "127.0.0.1:7233"
    else:
        asyncio.run(_register_search_attributes(settings.temporal_address, settings.temporal_namespace))
    python = sys.executable
    children.append(subprocess.Popen([python, str(Path(ROOT) / "worker.py")], env=env, cwd=ROOT))
    api = [python, "-m", "uvicorn", "api.main:app", "--host", "127.0.0.1", "--port", str(settings.api_port)]
    children.append(subprocess.Popen(api, env=env, cwd=ROOT))
    wait_for_port("127.0.0.1", settings.api_port, 60)
    ui = "http://127.0.0.1:8233" if not external else f"(the UI of your Temporal at {env['TEMPORAL_ADDRESS']})"
    print(
        "\nCustomer approvals is running:\n"
        f"  API            http://127.0.0.1:{settings.api_port}/api/v1  (docs: http://127.0.0.1:{settings.api_port}/docs)\n"
        f"  Temporal UI    {ui}\n"
        f"  Temporal       {env.get('TEMPORAL_ADDRESS', settings.temporal_address)}\n"
        f"  Database       {settings.database_url}\n"
        "  Demo users     sales_clerk, marketing_reviewer, finance_reviewer, business_vp, general_manager, "
        "auditor, ... (password: demo)\n"
        "Press Ctrl-C to stop.\n",
        flush=True,
    )
    try:
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        print("a component stopped; shutting down", file=sys.stderr)
    except KeyboardInterrupt:
        pass
    finally:
        for child in reversed(children):
            if child.poll() is None:
                child.send_signal(signal.SIGINT)
        for child in children:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()


if __name__ == "__main__":
    main()
