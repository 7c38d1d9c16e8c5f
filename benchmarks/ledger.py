"""Benchmark: the credit reads with 100,000 ledger entries in the database (issue 12 §1).

    python -m benchmarks.ledger [--database sqlite|postgresql] [--customers 1000] [--entries 100000]
                                [--batch 20000] [--samples 300]

Builds a fresh app database (SQLite file, or PostgreSQL 16 from pgserver, as benchmarks/inbox.py),
adds CUSTOMERS customers — four in five with a credit account (periodic settlement, limits from
50,000 to 2,000,000, terms of 15 to 30 days), the rest prepaid — and posts ENTRIES ledger entries
among them (deliveries and receipts, dated over the last 120 days, so some customers are overdue,
some high risk, some over their limit).

The entries are booked by `activities.credit_store.book_batch`, the booking code of the ERP import
(`POST /ledger/imports`), in batches of BATCH rows, each one transaction: it is the path bulk ledger
facts take in production, with the same balance, due-date and risk updates as a single posting,
and it books 100,000 rows in seconds rather than the many minutes 100,000 HTTP postings would take —
the measured reads do not depend on how the rows arrived.

Then it times, through the real ASGI app with httpx (token auth, JSON; benchmarks/inbox.py's
helpers), `GET /customers/{id}/credit` for random customers and `GET /credit/over-limit` (the first
page of 100, and a deeper page) as finance. Prints p50 / p95 / p99 in ms. Target: p99 ≤ 20 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

os.environ.setdefault("APP_ENV", "demo")

from activities.credit_store import book_batch  # noqa: E402
from api.main import create_app  # noqa: E402
from benchmarks.inbox import app_database, percentiles, timed  # noqa: E402
from db.migrate import upgrade  # noqa: E402
from db.models import CreditAccount, Customer, CustomerLedgerEntry  # noqa: E402
from db.session import make_engine, make_sessionmaker, write_transaction  # noqa: E402
from domain.ledger import LedgerEntry, LedgerKind  # noqa: E402
from scripts.seed_demo import seed  # noqa: E402
from settings import Settings  # noqa: E402


async def seed_customers(sessions: async_sessionmaker[AsyncSession], count: int, rng: random.Random) -> list[int]:
    now = datetime.now(UTC)
    rows = [
        {
            "credit_code": f"91BENCH{uuid.uuid4().hex[:11].upper()}",
            "name": f"基准测试客户 {n}",
            "kind": "allocation_self_sale",
            "status": "active",
            "grade": rng.choice("ABC"),
            "address": "郑州",
            "legal_representative": "王",
            "phone": "0371",
            "card": {},
            "onboarding_process_id": f"bench-{uuid.uuid4()}",
            "trading_since": date(2025, 1, 1),
            "created_at": now,
            "created_by": "bench",
            "unit_code": "HQ",
        }
        for n in range(count)
    ]
    async with sessions.begin() as session:
        await session.execute(insert(Customer), rows)
        ids = list(await session.scalars(select(Customer.id).order_by(Customer.id)))
        accounts = [
            {
                "customer_id": cid,
                "settlement": "periodic",
                "credit_limit": Decimal(rng.choice((50_000, 200_000, 500_000, 2_000_000))),
                "term_days": rng.choice((15, 30)),
                "risk_level": "low",
                "overdue_amount": Decimal(0),
                "overdue_days": 0,
                "review_required": False,
                "updated_at": now,
            }
            for cid in ids
            if rng.random() < 0.8
        ]
        await session.execute(insert(CreditAccount), accounts)
    return ids


def entries_for(ids: list[int], count: int, rng: random.Random) -> list[LedgerEntry]:
    now = datetime.now(UTC)
    out = []
    for n in range(count):
        kind = LedgerKind.receipt if rng.random() < 0.45 else LedgerKind.delivery
        out.append(
            LedgerEntry(
                customer_id=rng.choice(ids),
                kind=kind,
                amount=Decimal(rng.randint(100, 30_000)),
                reference=f"B-{n:07d}",
                occurred_at=now - timedelta(days=rng.uniform(0, 120)),
                recorded_by="finance_reviewer",
            )
        )
    out.sort(key=lambda e: e.occurred_at)  # the ERP exports in time order
    return out


async def run(args: argparse.Namespace) -> None:
    rng = random.Random(12)
    workdir = Path(tempfile.mkdtemp(prefix="bench-ledger-"))
    url = app_database(args.database, workdir)
    upgrade(url)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    await seed(sessions)
    ids = await seed_customers(sessions, args.customers, rng)
    entries = entries_for(ids, args.entries, rng)
    began = time.perf_counter()
    for start in range(0, len(entries), args.batch):
        async with write_transaction(sessions) as session:
            await book_batch(session, entries[start : start + args.batch], import_id=None)
    booked = time.perf_counter() - began
    async with engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("VACUUM ANALYZE" if args.database == "postgresql" else "ANALYZE"))
    async with sessions() as session:
        rows = await session.scalar(select(func.count()).select_from(CustomerLedgerEntry))
        grouped = await session.execute(
            select(CreditAccount.risk_level, func.count()).group_by(CreditAccount.risk_level)
        )
        levels = {level: n for level, n in grouped}
    print(
        f"{args.database}: {rows:,} ledger entries over {len(ids):,} customers booked in {booked:.1f} s "
        f"({args.batch:,} per transaction); risk levels {levels}; load average {os.getloadavg()[0]:.2f}"
    )

    app = create_app(Settings(app_env="demo", database_url=url), temporal=object(), sessions=sessions)  # type: ignore[arg-type]
    gc.collect()
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
            login = await http.post("/api/v1/auth/token", data={"username": "finance_reviewer", "password": "demo"})
            headers = {"Authorization": f"Bearer {login.json()['access_token']}"}

            async def get(path: str, **params: Any) -> None:
                response = await http.get(path, headers=headers, params=params)
                response.raise_for_status()

            over = (await http.get("/api/v1/credit/over-limit", headers=headers, params={"limit": 500})).json()
            print(f"customers over their limit: {len(over['items'])}{'+' if len(over['items']) == 500 else ''}")
            await timed(lambda: get(f"/api/v1/customers/{rng.choice(ids)}/credit"), 20)  # warm up
            scenarios = {
                "GET /customers/{id}/credit": lambda: get(f"/api/v1/customers/{rng.choice(ids)}/credit"),
                "GET /credit/over-limit": lambda: get("/api/v1/credit/over-limit"),
                "GET /credit/over-limit?offset=100": lambda: get("/api/v1/credit/over-limit", offset=100),
                "GET /credit/customers?risk=high": lambda: get("/api/v1/credit/customers", risk="high"),
            }
            for name, call in scenarios.items():
                samples = await timed(call, args.samples)
                print(f"  {name:<36} HTTP  {percentiles(samples)}")
    await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--customers", type=int, default=1_000)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=20_000, help="entries booked per transaction")
    parser.add_argument("--samples", type=int, default=300, help="timed calls per scenario")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
