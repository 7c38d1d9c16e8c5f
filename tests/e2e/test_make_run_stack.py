"""The stack `make run` starts — dev server, worker, API as separate processes — driven over HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx
import pytest

from db.migrate import upgrade
from scripts import demo_onboarding
from scripts.demo_records import wait_until_healthy
from settings import ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def token(api: str, username: str) -> dict[str, str]:
    answer = httpx.post(f"{api}/api/v1/auth/token", data={"username": username, "password": "demo"}, timeout=10)
    answer.raise_for_status()
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def every_process_shows_something(api: str) -> None:
    """Issue 20 §13: `make run` shows customers on credit, a visit plan waiting for the marketing
    manager and the quarter's big-customer meeting (scripts/demo_records.py)."""
    manager = token(api, "marketing_manager")
    credit = httpx.get(f"{api}/api/v1/credit/customers", headers=manager, timeout=10).json()["items"]
    assert len(credit) >= 2
    for _ in range(240):
        plans = httpx.get(f"{api}/api/v1/visit-plans", headers=manager, timeout=10).json()
        meetings = httpx.get(f"{api}/api/v1/big-customer-meetings", headers=manager, timeout=10).json()
        if plans and meetings:
            break
        time.sleep(0.25)
    else:
        pytest.fail(f"no demo visit plan ({plans}) or meeting ({meetings})")
    assert plans[0]["salesperson"] == "sales_clerk" and plans[0]["planned"] == 2


def test_run_stack_onboards_a_customer_over_http(tmp_path: pytest.TempPathFactory) -> None:
    db_url = f"sqlite:///{tmp_path}/app.db"  # type: ignore[operator]
    upgrade(db_url)
    api_port, dev_port, ui_port = free_port(), free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k != "TEMPORAL_ADDRESS"}
    env |= {
        "DATABASE_URL": db_url,
        "DATA_DIR": str(tmp_path),
        "API_PORT": str(api_port),
        "TEMPORAL_DEV_PORT": str(dev_port),
        "TEMPORAL_UI_PORT": str(ui_port),
    }
    subprocess.run([sys.executable, "-m", "scripts.seed_demo"], cwd=ROOT, env=env, check=True)
    stack = subprocess.Popen([sys.executable, "-m", "scripts.run_stack"], cwd=ROOT, env=env)
    api = f"http://127.0.0.1:{api_port}"
    try:
        wait_until_healthy(api)
        every_process_shows_something(api)
        history = demo_onboarding.run(api)
        actors = {e["actor"] for e in history if e["action"] in ("submitted", "decision")}
        assert actors == {"sales_clerk", *demo_onboarding.APPROVERS}
        assert len(history) >= 5
        assert httpx.get(f"http://127.0.0.1:{ui_port}/", timeout=5).status_code == 200  # the Temporal Web UI
    finally:
        stack.terminate()
        assert stack.wait(timeout=60) is not None
