"""Benchmark: the web pages' server time (issue 23 "Speed": ≤ 100 ms at p95) with 100,000 open tasks
and 10,000 customers in the database.

    python -m benchmarks.pages [--database sqlite|postgresql] [--tasks 100000] [--closed 30000]
                               [--customers 10000] [--samples 50]

The database is the dashboard benchmark's (benchmarks/dashboard.py: the inbox benchmark's tasks,
one process per three tasks, the customers). Through the ASGI app with a signed-in browser's cookie
session it times the workbench (each tab), a task page (the reader's first task), the dashboard and
the auditors' search (unfiltered, by customer name, overdue), case page and approval form (PDF),
the administrators' calendar grid: the whole request,
template included. Temporal is replaced by one that no longer holds any history (as after
retention), so the pages read the database's record and the figures are the app's own. Prints
p50 / p95 / p99 in ms per page. Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from typing import Any

from temporalio.service import RPCError, RPCStatusCode

os.environ.setdefault("APP_ENV", "demo")

from api.main import create_app
from api.services.inbox import InboxQuery, inbox_page
from api.visibility import viewer_for
from benchmarks.dashboard import arguments, seeded, signed_in
from benchmarks.inbox import actor_of, percentiles, timed
from settings import Settings


class RetiredTemporal:
    """A Temporal that holds no history any more: every page falls back to the database's record."""

    def get_workflow_handle(self, *_args: Any, **_kwargs: Any) -> RetiredTemporal:
        return self

    async def fetch_history(self) -> None:
        raise RPCError("history deleted by retention", RPCStatusCode.NOT_FOUND, b"")


async def first_task(sessions: Any, username: str) -> str:
    actor = await actor_of(sessions, username)
    async with sessions() as session:
        page = await inbox_page(session, await viewer_for(session, actor), InboxQuery(limit=1, with_counts=False))
    return page.items[0].task_id


async def pages_of(sessions: Any) -> dict[str, list[str]]:
    """Each benchmarked user and the addresses timed for them."""
    task = await first_task(sessions, "marketing_reviewer")
    return {
        "marketing_reviewer": ["/", "/?tab=done", "/?tab=mine", "/?tab=cc", f"/tasks/{task}"],
        "depot_manager": ["/", "/dashboard", "/audit"],
        "auditor": [
            "/dashboard",
            "/audit",
            "/audit?customer=华豫石化",
            "/audit?overdue=true",
            "/audit?process_type=onboarding&status=running&page=3",
            "/audit/processes/bench-0000001",
            "/audit/processes/bench-0000001/form.pdf",
        ],
        "admin": ["/admin/calendar"],
    }


async def run(args: argparse.Namespace) -> None:
    url, engine, sessions = await seeded(args, "bench-pages-")
    print("server time per page, ms:")
    settings = Settings(app_env="demo", database_url=url)
    app = create_app(settings, temporal=RetiredTemporal(), sessions=sessions)  # type: ignore[arg-type]
    every: list[float] = []
    async with app.router.lifespan_context(app):
        for username, addresses in (await pages_of(sessions)).items():
            browser = await signed_in(app, username)
            print(f"\n{username}:")
            for address in addresses:
                answer = await browser.get(address)
                if answer.status_code != 200:
                    print(f"  {address:<58} HTTP {answer.status_code}")
                    continue
                samples = await timed(lambda a=address, b=browser: b.get(a), args.samples)  # type: ignore[misc]
                every.extend(samples)
                print(f"  {address:<58} {percentiles(samples)}")
            await browser.aclose()
    print(f"\nevery page together: {percentiles(every)}")
    await engine.dispose()


def main() -> None:
    asyncio.run(run(arguments(__doc__).parse_args()))


if __name__ == "__main__":
    main()
