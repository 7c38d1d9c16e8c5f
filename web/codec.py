"""The codec server (issue 24 §1): Temporal's remote codec protocol over the payload codec the API's
own Temporal client uses (sealing.py), so the Temporal Web UI and CLI show sealed payloads in clear
to the people who may read them, and ciphertext to everyone else.

`POST /codec/decode` and `POST /codec/encode` take and answer `{"payloads": [...]}` (each payload
as protobuf JSON: base64 metadata values and data). The caller authenticates either with the
API's bearer token (the CLI: `--codec-auth "Bearer <token>"`) or with the web session cookie (the
Temporal UI, its codec setting "Include cross-origin credentials" on: the browser sends the cookie
of this site, same-site for the UI). Decoding is for the auditors and administrators
(domain/roles.py PAYLOAD_READERS), encoding for the administrators (PAYLOAD_SEALERS); anyone else
gets 401 or 403 and never a payload. Both are pure functions of their body — nothing is written —
so the cookie needs no CSRF token here; CORS lets only the Temporal UI's origins
(`Settings.codec_origins`) read the answers. Refusals are JSON, as the codec clients expect.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from google.protobuf.json_format import MessageToDict, ParseDict, ParseError
from pydantic import BaseModel, Field, ValidationError
from temporalio.api.common.v1 import Payload, Payloads

from api.deps import SessionDep, get_current_actor
from api.errors import Unauthorized
from domain.models import Actor
from domain.roles import PAYLOAD_READERS, PAYLOAD_SEALERS, Role
from sealing import SealingCodec, UnknownKey
from settings import Settings
from web.session import SignInNeeded, current_viewer

# Temporal's protocol, not the app's API: out of the OpenAPI schema like the pages (documented in
# docs/operations/sealing.md).
router = APIRouter(prefix="/codec", include_in_schema=False)

MAX_PAYLOADS = 10_000  # a page of a long history; the body itself is bounded by MAX_BODY_BYTES
Base64 = Annotated[str, Field(max_length=16 * 1024 * 1024, pattern=r"^[A-Za-z0-9+/=_-]*$")]
MetadataKey = Annotated[str, Field(min_length=1, max_length=128)]


class CodecPayload(BaseModel):
    """A payload as protobuf JSON: metadata values and data in base64."""

    metadata: dict[MetadataKey, Base64] = Field(default_factory=dict, max_length=32)
    data: Base64 = ""


class CodecBody(BaseModel):
    payloads: list[CodecPayload] = Field(max_length=MAX_PAYLOADS)


def _cors(request: Request) -> dict[str, str]:
    """CORS headers for a browser calling from one of the Temporal UI's origins (none for another)."""
    origin = request.headers.get("Origin")
    settings: Settings = request.app.state.settings
    if origin is None or origin.rstrip("/") not in settings.codec_origins():
        return {"Vary": "Origin"}
    return {"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Credentials": "true", "Vary": "Origin"}


def _refusal(request: Request, status: int, error: str, detail: str) -> JSONResponse:
    headers = _cors(request) | ({"WWW-Authenticate": "Bearer"} if status == 401 else {})
    return JSONResponse({"error": error, "detail": detail}, status_code=status, headers=headers)


async def _caller(request: Request, session: SessionDep) -> Actor | None:
    """The bearer token's user, else the web session's (the same checks as the API's and the pages')."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    try:
        if scheme.lower() == "bearer" and token:
            return await get_current_actor(token, request, session, request.app.state.settings)
        return (await current_viewer(request, session)).actor
    except (Unauthorized, SignInNeeded):
        return None


async def _answer(request: Request, session: SessionDep, allowed: frozenset[Role], action: str) -> Response:
    """The protocol's common path: who asks, for which namespace, what, then the codec over it. The
    body is read only for a caller who may use the codec; every refusal is JSON."""
    actor = await _caller(request, session)
    if actor is None:
        return _refusal(request, 401, "unauthorized", "sign in (session cookie) or send a bearer token")
    if not any(actor.has(role) for role in allowed):
        wanted = ", ".join(sorted(role.value for role in allowed))
        return _refusal(request, 403, "forbidden", f"{actor.username} needs one of the roles: {wanted} to {action}")
    settings: Settings = request.app.state.settings
    namespace = request.headers.get("X-Namespace")
    if namespace is not None and namespace != settings.temporal_namespace:
        detail = f"X-Namespace {namespace[:100]!r} is not this application's namespace {settings.temporal_namespace!r}"
        return _refusal(request, 422, "invalid", detail)
    try:
        body = CodecBody.model_validate_json(await request.body())
        payloads = list(ParseDict(body.model_dump(), Payloads()).payloads)
    except (ValidationError, ParseError) as exc:
        detail = f'the body is not {{"payloads": [...]}} in protobuf JSON: {exc}'
        return _refusal(request, 422, "invalid", detail[:500])
    codec = request.app.state.temporal.data_converter.payload_codec
    try:
        done: Sequence[Payload] = payloads
        if isinstance(codec, SealingCodec) and action == "decode":
            done = codec.open(payloads)  # strict: a payload that does not open is 422, naming why
        elif codec is not None:
            done = await (codec.decode(payloads) if action == "decode" else codec.encode(payloads))
    except UnknownKey as exc:
        return _refusal(request, 422, "invalid", str(exc))
    answer: dict[str, Any] = MessageToDict(Payloads(payloads=done))
    return JSONResponse({"payloads": answer.get("payloads", [])}, headers=_cors(request))


@router.post("/decode")
async def decode(request: Request, session: SessionDep) -> Response:
    """Open sealed payloads: auditors and administrators."""
    return await _answer(request, session, PAYLOAD_READERS, "decode")


@router.post("/encode")
async def encode(request: Request, session: SessionDep) -> Response:
    """Seal payloads: administrators."""
    return await _answer(request, session, PAYLOAD_SEALERS, "encode")


@router.options("/decode")
@router.options("/encode")
async def preflight(request: Request) -> Response:
    """The browser's CORS preflight: the UI posts JSON with X-Namespace (and maybe Authorization)."""
    headers = _cors(request)
    if "Access-Control-Allow-Origin" not in headers:
        return Response(status_code=403, headers=headers)
    headers |= {
        "Access-Control-Allow-Methods": "POST",
        "Access-Control-Allow-Headers": "Content-Type, X-Namespace, Authorization",
        "Access-Control-Max-Age": "600",
    }
    return Response(status_code=204, headers=headers)
