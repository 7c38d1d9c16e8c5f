"""The FastAPI application: authenticates, validates, starts workflows and sends updates."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client

from api import errors
from api.deps import ActorCache
from api.limits import RequestLimits
from api.routes import (
    audit,
    auth,
    borrowings,
    calendar,
    complaints,
    credit,
    credit_applications,
    credit_reviews,
    customer_record,
    customers,
    development,
    grading,
    health,
    notifications,
    onboarding,
    processes,
    register_reviews,
    regulations,
    regulations_what_if,
    rule_changes,
    tasks,
    trade,
    unit_customers,
    user_admin,
    users,
    vat_invoices,
    visits,
)
from api.security import PasswordWork
from db.session import make_engine, make_sessionmaker
from settings import Settings, get_settings
from temporal_client import connect


def create_app(
    settings: Settings | None = None,
    *,
    temporal: Client | None = None,
    sessions: async_sessionmaker[AsyncSession] | None = None,
) -> FastAPI:
    """Build the app; tests hand in a real Temporal client and sessionmaker of their own."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = None
        app.state.settings = settings
        app.state.actors = ActorCache(settings.actor_cache_seconds)
        app.state.passwords = PasswordWork(settings.password_hashing_slots)
        if sessions is None:
            engine = make_engine(settings.database_url)
            app.state.sessions = make_sessionmaker(engine)
        else:
            app.state.sessions = sessions
        app.state.temporal = temporal or await connect(settings.temporal_address, settings.temporal_namespace)
        app.state.task_queue = settings.task_queue
        gc.freeze()  # start-up objects live as long as the app: out of the collector's way under load
        yield
        if engine is not None:
            await engine.dispose()

    app = FastAPI(
        title="Customer management approvals",
        version="0.1.0",
        description="Regulation-driven customer approvals (客户管理办法) on Temporal workflows.",
        lifespan=lifespan,
        openapi_tags=[{"name": trade.TAG, "description": trade.__doc__}],
    )
    errors.install(app)
    routers = (
        auth,
        health,
        onboarding,
        tasks,
        processes,
        customers,
        complaints,
        calendar,
        notifications,
        trade,
        users,
        user_admin,
        audit,
        customer_record,  # issue 11 §3: the customer record
        grading,  # issue 12 §2
        visits,  # issue 12 §3
        development,  # issue 12 §3: meetings, development plans, research notes (000 §12, §15)
        unit_customers,  # issue 11 §1-§2: depot and station customers (000 §8, §9)
        borrowings,  # issue 11 §3: file borrowing (002 rule 1, 004 §3)
        register_reviews,  # issue 11 §3: register reviews in February and August (004 §4)
        credit_applications,  # issue 12 §1: credit applications and their decisions (000 §13, 001 §3)
        credit_reviews,  # issue 12 §1: credit reviews (001 信用审核, 003 §6)
        credit,  # issue 12 §1: credit standing, ledger, lists, policy, import (000 §13, 003 §6)
        vat_invoices,  # issue 20 item 8: VAT special invoices one by one (000 §9 (三))
        rule_changes,  # issue 20 item 7: rule changes drafted, VP, GM (001 信用管理措施 §1-§2, 001 §1)
        regulations_what_if,  # issue 21 §4: the reach of a candidate rule change, nothing changed
        regulations,  # issue 21 §2-§3: the rule catalogue, its trace and its live evidence
    )
    for module in routers:
        app.include_router(module.router, prefix="/api/v1", responses=errors.ERROR_RESPONSES)
    app.add_middleware(RequestLimits, max_body_bytes=settings.max_body_bytes)
    from web import mount as mount_web  # issue 23: the web workbench at `/`, a layer above the API

    mount_web(app)
    return app


app = create_app()  # `uvicorn api.main:app`
