"""The FastAPI application: authenticates, validates, starts workflows and sends updates."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import ModuleType

from fastapi import APIRouter, FastAPI
from opentelemetry.sdk.trace import TracerProvider
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client

from api import docs_pages, errors, metrics
from api.actor_signing import signing_client
from api.deps import ActorCache
from api.limits import RequestLimits
from api.observe import ObservedRequests
from api.routes import trade
from api.security import PasswordWork
from db.session import make_engine, make_sessionmaker
from discovery import modules_of
from settings import Settings, get_settings
from telemetry import configure_logging, instrument_app, temporal_interceptors, tracer_provider
from temporal_client import connect


def route_modules() -> list[ModuleType]:
    """Every module of `api/routes/` that exposes `router` (discovery.py): a new process's route
    module is mounted without a line here. Mounted in reverse name order, the order in which the
    former hand list had the two pairs of modules that share a path with different methods, so a
    405's `Allow` names the same methods as before; no two modules serve one method on paths a request
    could match both of (tests/test_contributing_recipe.py)."""
    modules = [module for module in modules_of("api.routes") if isinstance(getattr(module, "router", None), APIRouter)]
    return modules[::-1]


def create_app(
    settings: Settings | None = None,
    *,
    temporal: Client | None = None,
    sessions: async_sessionmaker[AsyncSession] | None = None,
    tracing: TracerProvider | None = None,
) -> FastAPI:
    """Build the app; tests hand in a real Temporal client and sessionmaker of their own (and a
    tracer provider of their own: otherwise OTEL_EXPORTER_OTLP_ENDPOINT decides whether to trace)."""
    settings = settings or get_settings()
    own_tracing = tracing is None
    tracing = tracing or tracer_provider("customer-approvals-api", settings.otel_exporter_otlp_endpoint)

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
        client = temporal or await connect(
            settings.temporal_address,
            settings.temporal_namespace,
            interceptors=temporal_interceptors(tracing),
            tls=settings.temporal_tls(),
        )
        app.state.temporal = signing_client(client, settings.actor_signing_keys()[0])  # issue 24 §2
        app.state.history_walk = metrics.HistoryWalk(app.state.sessions, settings.metrics_slow_seconds)
        app.state.task_queue = settings.task_queue
        gc.freeze()  # start-up objects live as long as the app: out of the collector's way under load
        yield
        await app.state.history_walk.close()
        if engine is not None:
            await engine.dispose()
        if tracing is not None and own_tracing:
            tracing.shutdown()  # the last spans leave before the process does

    app = FastAPI(
        title="Customer management approvals",
        version="0.1.0",
        description="Regulation-driven customer approvals (客户管理办法) on Temporal workflows.",
        lifespan=lifespan,
        docs_url=None,  # api/docs_pages.py serves /docs and /redoc with local assets
        redoc_url=None,
        openapi_tags=[{"name": trade.TAG, "description": trade.__doc__}],
    )
    errors.install(app)
    docs_pages.install(app)
    for module in route_modules():
        app.include_router(module.router, prefix="/api/v1", responses=errors.ERROR_RESPONSES)
    app.add_middleware(RequestLimits, max_body_bytes=settings.max_body_bytes)
    metrics.install(app)
    instrument_app(app, tracing)
    app.add_middleware(ObservedRequests)  # outermost: the request id, the count and the line of every answer
    from web import mount as mount_web  # issue 23: the web workbench at `/`, a layer above the API

    mount_web(app)
    return app


configure_logging()
app = create_app()  # `uvicorn api.main:app`
