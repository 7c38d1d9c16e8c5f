"""Every activity the worker runs, bound to its dependencies."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from activities.process_store import ProcessStore


def build_activities(sessions: async_sessionmaker[AsyncSession]) -> list[Callable[..., Any]]:
    store = ProcessStore(sessions)
    return [store.project_process, store.open_task, store.close_task, store.create_customer]
