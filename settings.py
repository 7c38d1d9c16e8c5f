"""One place for configuration: environment variables (or `.env`) read by pydantic-settings."""

from __future__ import annotations

import ipaddress
from datetime import time
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from temporalio.service import TLSConfig

from domain.calendar import OfficeHours
from domain.sso import provider_address_safe

ROOT = Path(__file__).resolve().parent
DEMO_JWT_SECRET = "demo-secret-change-me-in-production-0123456789"
MIN_JWT_SECRET_BYTES = 32
DEMO_ACTOR_SIGNING_KEY = "demo-actor-signing-key-change-me-0123456789"
DEMO_PASSWORD = "demo"  # every demo user's (scripts/seed_demo.py); refused at login outside demo mode


class Settings(BaseSettings):
    """Every knob the API, the worker and the scripts share."""

    # hide_input_in_errors: a refusal to start names the setting and the rule, never what was given
    # (the input holds JWT_SECRET, PAYLOAD_KEYS, SMTP_PASSWORD, ...).
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", hide_input_in_errors=True)

    # Demo mode (the demo JWT secret, demo users with password `demo`) is opted into explicitly:
    # `make run`, the tests and the benchmarks set APP_ENV=demo; a bare `uvicorn api.main:app` does not.
    app_env: str = "production"
    database_url: str = f"sqlite:///{ROOT / '.data' / 'app.db'}"
    temporal_address: str = "localhost:7233"
    temporal_namespace: str = "default"
    task_queue: str = "customer-approvals"
    jwt_secret: str = DEMO_JWT_SECRET
    jwt_minutes: int = 8 * 60
    api_port: int = 8000
    data_dir: Path = ROOT / ".data"  # embedded default: SQLite files of the app and the dev server
    temporal_dev_port: int = 7233
    temporal_ui_port: int = 8233
    office_timezone: str = "Asia/Shanghai"  # working-day deadlines count in this zone
    office_opens: time = time(9, 0)
    office_closes: time = time(17, 30)
    notify_webhook_url: str | None = None  # a DingTalk/Feishu robot URL; notifications always go to the DB
    # The worker's memory ceiling. A workflow kept in memory between tasks costs ~150 KB of RSS
    # (benchmarks/decisions.py: 492 MB with 2,513 cached of 10,000 open); the cache is sized so
    # that the worker stays under the ceiling
    # whatever the number of open processes. A process evicted from the cache replays its history
    # on its next task (a decision, a timer): a few milliseconds for an onboarding.
    worker_memory_mb: int = Field(default=400, ge=200)
    worker_max_cached_workflows: int | None = None  # set to override the size derived from the ceiling
    # Working days each onboarding step may take before it is overdue and escalates (000 §6 sets no
    # deadline: a company's own service level; 0 switches the step clock off).
    # How long the API trusts what it read about a user (roles, unit, active): a disabled user is
    # refused within this many seconds; 0 reads the user on every request.
    actor_cache_seconds: float = Field(default=5, ge=0, le=60)
    onboarding_step_working_days: int = Field(default=3, ge=0, le=60)
    # Working days the marketing manager has to approve a month's research notes (000 §15 names no
    # deadline: ASSUMPTION 3, like an onboarding step; 0 switches the step clock off).
    research_note_working_days: int = Field(default=3, ge=0, le=60)
    # The largest request body the API reads (413 above it, chunked bodies included): the biggest
    # legitimate body, an application with its documents, is a few kilobytes.
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    # How far back a complaint's `received_at` may be dated, in working days (000 §16: the clock
    # runs from receipt, so an older date would start it already late or overdue).
    complaint_backdate_working_days: int = Field(default=3, ge=0, le=1000)
    idempotency_key_hours: float = Field(default=24, gt=0, le=24 * 30)  # how long a key's answer is kept
    idempotency_wait_seconds: float = Field(default=10, ge=0, le=120)  # a duplicate waits this long for the first
    # Failed logins before 429: per username and per client address, within the window.
    login_window_minutes: int = Field(default=15, ge=1, le=24 * 60)
    login_failures_per_username: int = Field(default=5, ge=1)
    login_failures_per_address: int = Field(default=20, ge=1)
    # Argon2 costs ~64 MiB a hash: at most this many run at once per API process.
    password_hashing_slots: int = Field(default=4, ge=1, le=64)
    password_min_length: int = Field(default=12, ge=8, le=128)
    # The web pages' cookies are sent over HTTPS only (Secure, named `__Host-…`) when true. Unset, it is
    # true outside demo mode and false in demo mode (plain http on a laptop); see `_secure_cookies_outside_demo`.
    web_cookie_secure: bool | None = None
    # The address people open the pages at: the approval form's QR code (web/approval_form.py) holds
    # the absolute address of the case page under it.
    web_base_url: str = Field(default="http://127.0.0.1:8000", pattern=r"^https?://[^\s]+$", max_length=200)
    # Observability (issue 24 §3, docs/operations/observability.md). Who may read the API's /metrics:
    # a bearer of METRICS_TOKEN, or an address in METRICS_NETWORKS (comma-separated CIDRs).
    metrics_token: str | None = Field(default=None, min_length=16)
    metrics_networks: str = "127.0.0.1/32,::1/128"
    metrics_slow_seconds: float = Field(default=300, ge=5)  # how often the audit walk behind the gauges reruns
    worker_metrics_address: str | None = None  # host:port of the worker's Temporal SDK metrics; unset: none
    otel_exporter_otlp_endpoint: str | None = None  # the OTLP/HTTP collector for traces; unset: no tracing
    # Issue 24 §1: the key ring that seals Temporal payloads (sealing.py), `id:base64key,...`, newest (the
    # sealing key) first; unset, demo mode uses the demo key and any other mode refuses to start.
    payload_keys: SecretStr | None = Field(default=None, max_length=4096)
    # The Temporal UI's origins, allowed to call the codec server (/codec/decode) with the session cookie
    # (web/codec.py); unset: the dev server's UI, http://127.0.0.1:<TEMPORAL_UI_PORT> and http://localhost:<port>.
    temporal_ui_origins: str | None = Field(default=None, max_length=1000)
    # Signs the actor of every update the API sends and verifies it in the worker (issue 24 §2):
    # comma-separated, the first signs, every one verifies (rotation). See `actor_signing_keys`.
    actor_signing_key: SecretStr | None = None
    # Mutual TLS to Temporal (issue 24 §2, scripts/make_certs.py): the CA that signed the server's
    # certificate, this program's client certificate and key, and the name to verify the server by.
    temporal_tls_ca: Path | None = None
    temporal_tls_cert: Path | None = None
    temporal_tls_key: Path | None = None
    temporal_tls_server_name: str | None = Field(default=None, max_length=253)

    # Single sign-on by OpenID Connect (issue 24 §4a; docs/operations/single-sign-on.md): off while
    # OIDC_ISSUER is unset. The redirect address defaults to WEB_BASE_URL + /login/oidc/callback.
    oidc_issuer: str | None = Field(default=None, pattern=r"^https?://[^\s]+$", max_length=300)
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    oidc_redirect_url: str | None = Field(default=None, pattern=r"^https?://[^\s]+$", max_length=300)
    # The ID-token claim whose value is the local username at a first sign-in (domain/sso.py).
    oidc_username_claim: str = Field(default="preferred_username", max_length=80)

    # E-mail notifications (activities/mail.py): off while SMTP_HOST is unset. STARTTLS is required
    # unless switched off; SMTP_CA_FILE trusts a company CA besides the system's.
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = True
    smtp_from: str = Field(default="approvals@localhost", max_length=254)
    smtp_ca_file: Path | None = None

    @field_validator("smtp_host", "smtp_username", "smtp_password", "smtp_ca_file", mode="before")
    @classmethod
    def _empty_smtp_is_unset(cls, value: object) -> object:
        """Compose passes an unset variable as empty (`${SMTP_HOST:-}`): that means unset."""
        return None if value == "" else value

    def workflow_cache_size(self) -> int:
        """How many workflows fit in the worker's memory ceiling: base ~130 MB, ~180 KB each
        (measured ~160 KB of RSS per cached onboarding once 10,000 had passed through the cache;
        the rest is margin for the heap the evictions leave behind)."""
        if self.worker_max_cached_workflows is not None:
            return self.worker_max_cached_workflows
        return max(200, (self.worker_memory_mb - 130) * 1024 // 180)

    def codec_origins(self) -> frozenset[str]:
        """Who may call the codec server from a browser (CORS): the Temporal UI's origins."""
        if self.temporal_ui_origins:
            return frozenset(o.strip().rstrip("/") for o in self.temporal_ui_origins.split(",") if o.strip())
        return frozenset(f"http://{host}:{self.temporal_ui_port}" for host in ("127.0.0.1", "localhost"))

    def office_hours(self) -> OfficeHours:
        return OfficeHours(self.office_timezone, self.office_opens, self.office_closes)

    def actor_signing_keys(self) -> list[bytes]:
        """The key ring of the actor signature (domain/actor_signature.py), newest first. Asked for
        by the API and the worker when they start (not when settings are read, so a tool that never
        reaches Temporal needs no key): outside demo mode it must be set, without the demo key,
        each key at least 32 bytes like JWT_SECRET."""
        given = self.actor_signing_key.get_secret_value() if self.actor_signing_key else ""
        ring = [key.strip() for key in given.split(",") if key.strip()]
        if self.demo_mode:
            return [key.encode() for key in ring or [DEMO_ACTOR_SIGNING_KEY]]
        if not ring or DEMO_ACTOR_SIGNING_KEY in ring:
            raise ValueError(f"ACTOR_SIGNING_KEY must be set when APP_ENV is {self.app_env!r} (not 'demo')")
        if any(len(key.encode()) < MIN_JWT_SECRET_BYTES for key in ring):
            raise ValueError(
                f"every ACTOR_SIGNING_KEY must be at least {MIN_JWT_SECRET_BYTES} bytes (e.g. `openssl rand -hex 32`)"
            )
        return [key.encode() for key in ring]

    def temporal_tls(self) -> TLSConfig | None:
        """How to reach Temporal over TLS, or None for plain gRPC (the dev server of `make run`).
        A client certificate goes with its key; the CA alone is TLS without a client certificate."""
        if not (self.temporal_tls_ca or self.temporal_tls_cert or self.temporal_tls_key):
            return None
        if (self.temporal_tls_cert is None) != (self.temporal_tls_key is None):
            raise ValueError("TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY are set together")
        return TLSConfig(
            server_root_ca_cert=self.temporal_tls_ca.read_bytes() if self.temporal_tls_ca else None,
            client_cert=self.temporal_tls_cert.read_bytes() if self.temporal_tls_cert else None,
            client_private_key=self.temporal_tls_key.read_bytes() if self.temporal_tls_key else None,
            domain=self.temporal_tls_server_name,
        )

    @property
    def demo_mode(self) -> bool:
        return self.app_env == "demo"

    @field_validator("metrics_token", mode="before")
    @classmethod
    def _empty_token_is_none(cls, value: object) -> object:
        """Compose passes an unset variable as "" (`${METRICS_TOKEN:-}`): no token, not a short one."""
        return value or None

    @field_validator("metrics_networks")
    @classmethod
    def _networks_parse(cls, value: str) -> str:
        _networks(value)  # a ValueError names the bad one
        return value

    def metrics_scrapers(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        """The networks whose addresses may read /metrics without the token (empty: none)."""
        return _networks(self.metrics_networks)

    @property
    def sso_enabled(self) -> bool:
        return self.oidc_issuer is not None

    def oidc_callback_url(self) -> str:
        return self.oidc_redirect_url or f"{self.web_base_url.rstrip('/')}/login/oidc/callback"

    @field_validator("oidc_issuer", "oidc_client_id", "oidc_client_secret", "oidc_redirect_url", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        """docker-compose passes an unset variable as "" (`${OIDC_ISSUER:-}`): that is single sign-on off."""
        return None if value == "" else value

    @model_validator(mode="after")
    def _sso_needs_a_client(self) -> Settings:
        """An issuer without a client would send people to a provider that cannot answer us. This server
        keeps a secret, so it is a confidential client (OAuth 2.0 Security BCP): PKCE on top, not instead."""
        if self.oidc_issuer is not None and not (self.oidc_client_id and self.oidc_client_secret):
            raise ValueError("OIDC_CLIENT_ID and OIDC_CLIENT_SECRET must be set when OIDC_ISSUER is")
        if self.oidc_issuer is not None and not self.demo_mode and not provider_address_safe(self.oidc_issuer):
            # Over plain http the keys, the tokens and the client secret could be read or replaced on the way.
            raise ValueError(
                "OIDC_ISSUER must be an https address outside demo mode (plain http only on 127.0.0.1, ::1, localhost)"
            )
        return self

    @model_validator(mode="after")
    def _secure_cookies_outside_demo(self) -> Settings:
        """A session cookie sent over plain http can be read on the way: Secure unless demo mode or said otherwise."""
        if self.web_cookie_secure is None:
            self.web_cookie_secure = not self.demo_mode
        return self

    @model_validator(mode="after")
    def _no_weak_secret_in_production(self) -> Settings:
        """A forged token would let anyone approve anything: outside demo mode refuse the demo
        secret and any secret shorter than HS256's 32-byte key (RFC 7518 §3.2)."""
        if self.demo_mode:
            return self
        if self.jwt_secret == DEMO_JWT_SECRET:
            raise ValueError(f"JWT_SECRET must be set when APP_ENV is {self.app_env!r} (not 'demo')")
        if len(self.jwt_secret.encode()) < MIN_JWT_SECRET_BYTES:
            raise ValueError(
                f"JWT_SECRET must be at least {MIN_JWT_SECRET_BYTES} bytes outside demo mode "
                "(e.g. `openssl rand -hex 32`)"
            )
        return self


def _networks(value: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(part.strip(), strict=False) for part in value.split(",") if part.strip()]


@lru_cache
def get_settings() -> Settings:
    return Settings()
