"""The OpenID Connect code flow (issue 24 §4a) with Authlib (its request builders and ID-token claim checks;
httpx for the two requests, joserfc for the signature): the provider's discovery document, the
authorization request with PKCE (S256), state and nonce, the code exchange, and the ID token verified
against the provider's JWKS (signature, issuer, audience, expiry, nonce, azp, at_hash).

Nothing is kept on the server between leaving for the provider and coming back: the browser keeps
one random secret (`begin` returns it; the web page puts it in an HttpOnly cookie) from which the
state, the nonce and the PKCE verifier are derived with a key of this server. So a callback from a
browser that did not start the sign-in, or with another state, opens nothing; a code stolen on the
way is worthless without the verifier; an ID token replayed from another sign-in fails the nonce.

Outside demo mode the provider is reached over https only (the issuer, settings.py; the authorization,
token and JWKS endpoints its discovery document names, here), plain http only on this host: over http a
network attacker would read the client secret and serve keys of their own.

The discovery document is kept for a few minutes (so `/login/oidc`, open to anyone, does not turn
each request into one to the provider); the keys are read at each code exchange, so a provider's
rotated keys are never missed."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from authlib.common.errors import AuthlibBaseError
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

from domain.sso import Refusal, provider_address_safe
from settings import Settings

SCOPE = "openid profile email"
TIMEOUT = httpx.Timeout(10)
LEEWAY_SECONDS = 60  # clocks of the provider and this server may differ this much
DISCOVERY_SECONDS = 300  # how long a discovery document is kept
_discovered: dict[str, tuple[float, dict[str, Any]]] = {}  # issuer -> (read at, document)


class SsoRefused(Exception):
    """A single sign-on that opens nothing, with the reason the sign-in page names."""

    def __init__(self, reason: Refusal, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason, self.detail = reason, detail


class ProviderUnreachable(Exception):
    """The provider did not answer: nobody is refused, the sign-in can be tried again later."""


@dataclass(frozen=True)
class FlowSecrets:
    """The state, nonce and PKCE verifier of one sign-in, all derived from the browser's secret."""

    state: str
    nonce: str
    verifier: str

    @classmethod
    def of(cls, settings: Settings, secret: str) -> FlowSecrets:
        key = hashlib.sha256(f"oidc-flow|{settings.jwt_secret}".encode()).digest()

        def derive(purpose: str) -> str:
            digest = hmac.new(key, f"{purpose}|{secret}".encode(), hashlib.sha256).digest()
            return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()  # 43 characters: RFC 7636 §4.1

        return cls(derive("state"), derive("nonce"), derive("pkce"))


async def _get_json(url: str) -> dict[str, Any]:
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT) as http:
            response = await http.get(url)
            response.raise_for_status()
            body = response.json()
    except (httpx.HTTPError, ValueError) as failed:
        raise ProviderUnreachable(f"{url}: {type(failed).__name__}") from failed
    if not isinstance(body, dict):
        raise ProviderUnreachable(f"{url}: not a JSON object")
    return body


async def discover(settings: Settings) -> dict[str, Any]:
    """The provider's metadata; refused unless it names exactly the configured issuer (OIDC Discovery §4.3)."""
    issuer = settings.oidc_issuer or ""
    kept = _discovered.get(issuer)
    if kept is not None and time.monotonic() - kept[0] < DISCOVERY_SECONDS:
        return kept[1]
    metadata = await _get_json(f"{issuer.rstrip('/')}/.well-known/openid-configuration")
    if metadata.get("issuer") != issuer:
        raise SsoRefused(Refusal.PROVIDER, f"discovery document names issuer {metadata.get('issuer')!r}")
    for endpoint in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        address = metadata.get(endpoint)
        if not isinstance(address, str) or not (settings.demo_mode or provider_address_safe(address)):
            raise SsoRefused(Refusal.PROVIDER, f"discovery document names {endpoint} {address!r}: not https")
    _discovered[issuer] = (time.monotonic(), metadata)
    return metadata


async def begin(settings: Settings) -> tuple[str, str]:
    """Where to send the browser, and the secret it must keep until it comes back."""
    metadata = await discover(settings)
    secret = secrets.token_urlsafe(32)
    flow = FlowSecrets.of(settings, secret)
    url = prepare_grant_uri(
        metadata["authorization_endpoint"],
        settings.oidc_client_id,
        "code",
        redirect_uri=settings.oidc_callback_url(),
        scope=SCOPE,
        state=flow.state,
        nonce=flow.nonce,
        code_challenge=create_s256_code_challenge(flow.verifier),
        code_challenge_method="S256",
    )
    return url, secret


def _check_response(settings: Settings, flow: FlowSecrets, params: Mapping[str, str]) -> str:
    """The code of an authorization response meant for this browser's sign-in."""
    if not hmac.compare_digest(params.get("state", ""), flow.state):
        raise SsoRefused(Refusal.FLOW, "state does not match this browser's sign-in")
    if "iss" in params and params["iss"] != settings.oidc_issuer:  # RFC 9207: a mix-up with another provider
        raise SsoRefused(Refusal.PROVIDER, f"response from issuer {params['iss']!r}")
    if "error" in params or not params.get("code"):
        raise SsoRefused(Refusal.PROVIDER, f"provider answered {params.get('error', 'no code')!r}")
    return params["code"]


async def _exchange(settings: Settings, endpoint: str, code: str, flow: FlowSecrets) -> dict[str, Any]:
    """The token response for this code (RFC 6749 §4.1.3, with the PKCE verifier of RFC 7636 §4.5), the
    client authenticated with HTTP Basic (`client_secret_basic`, the default every provider supports)."""
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": settings.oidc_callback_url()}
    form["code_verifier"] = flow.verifier
    auth = httpx.BasicAuth(str(settings.oidc_client_id), str(settings.oidc_client_secret))
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT, auth=auth) as http:
            response = await http.post(endpoint, data=form, headers={"Accept": "application/json"})
    except httpx.HTTPError as failed:
        raise ProviderUnreachable(f"token endpoint: {type(failed).__name__}") from failed
    body = response.json() if response.headers.get("content-type", "").startswith("application/json") else None
    if response.status_code != 200 or not isinstance(body, dict):
        error = body.get("error", "") if isinstance(body, dict) else ""
        raise SsoRefused(Refusal.PROVIDER, f"token endpoint answered {response.status_code} {error}")
    return body


async def _verified_claims(
    settings: Settings, metadata: Mapping[str, Any], token: Mapping[str, Any], flow: FlowSecrets
) -> dict[str, Any]:
    """The ID token's claims once its signature (the provider's JWKS) and OIDC Core §3.1.3.7 checks hold."""
    if "id_token" not in token:
        raise SsoRefused(Refusal.PROVIDER, "no ID token in the token response")
    keys = KeySet.import_key_set(await _get_json(metadata["jwks_uri"]))  # type: ignore[arg-type]
    algorithms = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
    registry = JWSRegistry(algorithms=[alg for alg in algorithms if alg != "none"])
    decoded = jwt.decode(token["id_token"], keys, registry=registry)
    options: Any = {
        "iss": {"essential": True, "values": [settings.oidc_issuer]},
        "aud": {"essential": True, "values": [settings.oidc_client_id]},
    }
    params = {"nonce": flow.nonce, "client_id": settings.oidc_client_id, "access_token": token.get("access_token")}
    claims = CodeIDToken(decoded.claims, decoded.header, options, params)
    claims.validate(leeway=LEEWAY_SECONDS)
    return dict(claims)


async def finish(settings: Settings, secret: str | None, params: Mapping[str, str]) -> dict[str, Any]:
    """The verified ID-token claims of the sign-in this browser started; `SsoRefused` otherwise."""
    if not secret:
        raise SsoRefused(Refusal.FLOW, "no sign-in was started in this browser")
    flow = FlowSecrets.of(settings, secret)
    code = _check_response(settings, flow, params)
    metadata = await discover(settings)
    try:
        token = await _exchange(settings, metadata["token_endpoint"], code, flow)
        return await _verified_claims(settings, metadata, token, flow)
    except (AuthlibBaseError, JoseError, ValueError) as failed:
        raise SsoRefused(Refusal.PROVIDER, f"{type(failed).__name__}: {failed}") from failed
