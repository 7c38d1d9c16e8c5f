"""What a service needs besides the request's session when it writes in a transaction of its own
and starts or tells workflows: the sessionmaker, the Temporal client and the task queue."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request
from temporalio.client import Client


@dataclass(frozen=True)
class Backends:
    sessions: async_sessionmaker[AsyncSession]
    temporal: Client
    task_queue: str

    @classmethod
    def of(cls, request: Request, temporal: Client) -> Backends:
        """The app's own, as its lifespan set them up (api/main.py); a page passes its request too."""
        return cls(request.app.state.sessions, temporal, request.app.state.task_queue)
