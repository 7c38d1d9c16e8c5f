"""`Idempotency-Key` on the POSTs that create a record (complaint, deal, bid, payment form, onboarding,
ledger import and reversal).

A client unsure whether its request arrived (a timeout, a lost answer, a double click) sends it
again with the same key: the first request's status and answer come back (header
`Idempotent-Replayed: true`) and no second record is made. The same key with another body or on
another endpoint is a client bug: 422. A duplicate that arrives while the first is still running
waits for its answer (`IDEMPOTENCY_WAIT_SECONDS`), then gets 409 "in progress".

Keys are per user (unique on user and key, so two requests racing with one key cannot both claim
it) and kept `IDEMPOTENCY_KEY_HOURS`. Only successful answers are kept: a refused request (4xx) or
a failure releases its key, so the corrected request may use it again. A request without a key
behaves as before.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import inspect
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from time import monotonic
from typing import Annotated, Any, TypeVar, cast, get_type_hints

from fastapi import Depends, Header, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import TypeAdapter
from sqlalchemy import delete, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from starlette.datastructures import UploadFile

from api.deps import CurrentActor, SettingsDep
from api.errors import Conflict, Invalid
from db.models import IdempotencyKey
from db.session import write_transaction
from settings import Settings

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
log = logging.getLogger(__name__)

Endpoint = TypeVar("Endpoint", bound=Callable[..., Awaitable[Any]])


@dataclass(frozen=True)
class _Stored:
    body_hash: str
    status: int | None
    response: Any
    created_at: datetime


@dataclass
class IdempotentRequest:
    """One create request and its key (None: the client sent none)."""

    request: Request
    response: Response
    settings: Settings
    username: str
    key: str | None
    request_line: str
    fingerprint: str
    claimed_id: int | None = None

    async def run(self, create: Callable[[], Awaitable[Any]]) -> Any:
        """Run `create` once per key: replay a finished answer, wait for one in progress."""
        if self.key is None:
            return await create()
        replay = await self._claim()
        if replay is not None:
            return replay
        try:
            result = await create()
        except BaseException:
            await self._release()
            raise
        await self._complete(result)
        return result

    async def _claim(self) -> JSONResponse | None:
        deadline = monotonic() + self.settings.idempotency_wait_seconds
        while True:
            try:
                stored = await self._insert_or_read()
            except IntegrityError:  # another request claimed the key a moment ago
                continue
            if stored is None:
                return None
            if stored.body_hash != self.fingerprint:
                raise Invalid(
                    f"{HEADER} {self.key!r} was used for a different request (another body or endpoint); "
                    "send a new key for a new request"
                )
            if stored.status is not None:
                return JSONResponse(stored.response, status_code=stored.status, headers={REPLAYED_HEADER: "true"})
            if monotonic() >= deadline:
                since = stored.created_at.isoformat(timespec="seconds")
                raise Conflict(f"a request with {HEADER} {self.key!r} is in progress since {since}; retry later")
            await asyncio.sleep(0.2)

    async def _insert_or_read(self) -> _Stored | None:
        """Claim the key (None), or what is stored under it; an expired entry is replaced."""
        now = datetime.now(UTC)
        expired_before = now - timedelta(hours=self.settings.idempotency_key_hours)
        async with write_transaction(self.request.app.state.sessions) as session:
            row = await session.scalar(
                select(IdempotencyKey).where(IdempotencyKey.username == self.username, IdempotencyKey.key == self.key)
            )
            if row is not None and row.created_at >= expired_before:
                return _Stored(row.body_hash, row.status, row.response, row.created_at)
            if row is not None:
                await session.delete(row)
                await session.flush()
            claim = IdempotencyKey(
                username=self.username,
                key=self.key,
                request=self.request_line,
                body_hash=self.fingerprint,
                created_at=now,
            )
            session.add(claim)
            await session.flush()
            self.claimed_id = claim.id
        return None

    async def _release(self) -> None:
        async with write_transaction(self.request.app.state.sessions) as session:
            await session.execute(
                delete(IdempotencyKey).where(IdempotencyKey.id == self.claimed_id, IdempotencyKey.status.is_(None))
            )

    async def _complete(self, result: Any) -> None:
        route = self.request.scope.get("route")
        status = self.response.status_code or getattr(route, "status_code", None) or 200
        model = getattr(route, "response_model", None)
        if model is not None:
            adapter: TypeAdapter[Any] = TypeAdapter(model)
            body = adapter.dump_python(adapter.validate_python(result, from_attributes=True), mode="json")
        else:
            body = jsonable_encoder(result)
        sessions = self.request.app.state.sessions
        async with write_transaction(sessions) as session:
            await session.execute(
                update(IdempotencyKey).where(IdempotencyKey.id == self.claimed_id).values(status=status, response=body)
            )
        await self._purge_expired()

    async def _purge_expired(self) -> None:
        """Housekeeping, best effort: a failure here must not turn a done request into an error."""
        expired_before = datetime.now(UTC) - timedelta(hours=self.settings.idempotency_key_hours)
        try:
            async with write_transaction(self.request.app.state.sessions) as session:
                await session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < expired_before))
        except DBAPIError as exc:
            log.warning("purging expired idempotency keys failed: %s", exc)


def _fingerprint(method: str, path: str, body: bytes) -> str:
    """The same JSON in another key order or spacing is the same request."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, UnicodeDecodeError):
        canonical = body
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + canonical).hexdigest()


async def _request_bytes(request: Request) -> bytes:
    """The body, or for a multipart upload (parsed, hence read, before dependencies run) a digest of
    its fields and files: each name, file name and content."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        return await request.body()
    digest = hashlib.sha256()
    form = await request.form()
    for name, value in sorted(form.multi_items(), key=lambda item: item[0]):
        digest.update(name.encode() + b"\0")
        if isinstance(value, UploadFile):
            digest.update((value.filename or "").encode() + b"\0")
            await value.seek(0)
            digest.update(await value.read())
            await value.seek(0)
        else:
            digest.update(value.encode())
        digest.update(b"\0")
    return digest.hexdigest().encode()


async def idempotent_request(
    request: Request,
    response: Response,
    actor: CurrentActor,
    settings: SettingsDep,
    key: Annotated[
        str | None,
        Header(
            alias=HEADER,
            min_length=1,
            max_length=200,
            pattern=r"^[\x21-\x7e]+$",
            description="A unique value per intended create (e.g. a UUID): a retry with the same key and body "
            "gets the first answer and creates nothing more.",
        ),
    ] = None,
) -> IdempotentRequest:
    body = await _request_bytes(request)
    path = request.url.path
    return IdempotentRequest(
        request=request,
        response=response,
        settings=settings,
        username=actor.username,
        key=key,
        request_line=f"{request.method} {path}"[:300],
        fingerprint=_fingerprint(request.method, path, body),
    )


def idempotent(endpoint: Endpoint) -> Endpoint:
    """Make a create endpoint honour `Idempotency-Key` (see the module docstring).

    The endpoint's own signature gains the key's dependency, so FastAPI documents the header and
    validates it; the endpoint body runs only for the first request of a key."""
    hints = get_type_hints(endpoint, include_extras=True)
    signature = inspect.signature(endpoint)
    parameters = [p.replace(annotation=hints.get(p.name, p.annotation)) for p in signature.parameters.values()]
    parameters.append(
        inspect.Parameter(
            "idempotency",
            inspect.Parameter.KEYWORD_ONLY,
            annotation=Annotated[IdempotentRequest, Depends(idempotent_request)],
        )
    )

    @functools.wraps(endpoint)
    async def wrapper(*args: Any, idempotency: IdempotentRequest, **kwargs: Any) -> Any:
        return await idempotency.run(lambda: endpoint(*args, **kwargs))

    wrapper.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=parameters, return_annotation=hints.get("return", signature.return_annotation)
    )
    return cast(Endpoint, wrapper)
