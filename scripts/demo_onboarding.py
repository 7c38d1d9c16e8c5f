"""Walks one onboarding through the HTTP API as five users, the way `make run`'s users would.

    python -m scripts.demo_onboarding [--api http://127.0.0.1:8000]

A sales clerk files; marketing, finance, the business VP and the GM approve from their inboxes;
the auditor reads the history. Prints each step and exits non-zero if anything goes wrong.
"""

from __future__ import annotations

import argparse
import random
import sys
import uuid
from datetime import date, timedelta
from typing import Any

import httpx

from domain.credit_code import ALPHABET, make_credit_code
from domain.documents import ONBOARDING_REQUIRED

APPROVERS = ("marketing_reviewer", "finance_reviewer", "business_vp", "general_manager")


def demo_application() -> dict[str, Any]:
    code = make_credit_code("91410100" + "".join(random.choice(ALPHABET) for _ in range(9)))
    valid = (date.today() + timedelta(days=365)).isoformat()
    return {
        "customer": {
            "name": "洛阳豫西能源贸易有限公司",
            "credit_code": code,
            "kind": "allocation_settlement",
            "address": "河南省洛阳市西工区中州路 88 号",
            "legal_representative": "赵志强",
            "phone": "0379-63330000",
            "registered_capital": "20000000",
            "business_scope": "成品油批发",
        },
        "documents": [
            {"type": t.value, "number": f"{t.value[:4].upper()}-2026-001", "valid_until": valid}
            for t in ONBOARDING_REQUIRED
        ],
    }


def login(client: httpx.Client, username: str) -> dict[str, str]:
    response = client.post("/api/v1/auth/token", data={"username": username, "password": "demo"})
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def run(api: str) -> list[dict[str, Any]]:
    with httpx.Client(base_url=api, timeout=30) as client:
        # One key per intended application: a retry after a timeout gets the same answer, not a second process.
        headers = login(client, "sales_clerk") | {"Idempotency-Key": str(uuid.uuid4())}
        application = demo_application()
        started = client.post("/api/v1/onboarding", json=application, headers=headers)
        if started.status_code >= 500:
            started = client.post("/api/v1/onboarding", json=application, headers=headers)
        started.raise_for_status()
        process_id = started.json()["process_id"]
        print(f"sales_clerk filed onboarding {process_id}: {started.json()['current_step']}")
        for user in APPROVERS:
            headers = login(client, user)
            inbox = client.get("/api/v1/tasks", params={"process_id": process_id}, headers=headers).json()
            tasks = inbox["items"]
            if len(tasks) != 1:
                raise SystemExit(f"{user} expected one task for {process_id}, found {len(tasks)}")
            decided = client.post(
                f"/api/v1/tasks/{tasks[0]['task_id']}/decision",
                json={"outcome": "approve", "comment": f"{tasks[0]['step_title']}: 同意"},
                headers=headers,
            )
            decided.raise_for_status()
            print(f"{user} approved {tasks[0]['step']} -> {decided.json()}")
        auditor = login(client, "auditor")
        history = client.get(f"/api/v1/processes/{process_id}/history", headers=auditor).json()
        for entry in history:
            print(
                f"  {entry['at']}  {entry['actor']:<20} {entry['action']:<16} {entry['step'] or '':<18} "
                f"{entry['outcome'] or '':<9} {entry['comment'] or ''}"
            )
        customer_id = client.get(f"/api/v1/processes/{process_id}", headers=auditor).json()["customer_id"]
        customer = client.get(f"/api/v1/customers/{customer_id}", headers=auditor).json()
        print(
            f"customer #{customer['id']} {customer['name']} ({customer['credit_code']}) created, "
            f"grade {customer['grade']}"
        )
        return list(history)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--api", default="http://127.0.0.1:8000")
    history = run(parser.parse_args().api)
    sys.exit(0 if sum(e["action"] == "decision" for e in history) == len(APPROVERS) else 1)
