"""One place for configuration: environment variables (or `.env`) read by pydantic-settings."""

from __future__ import annotations

from datetime import time
from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.calendar import OfficeHours

ROOT = Path(__file__).resolve().parent
DEMO_JWT_SECRET = "demo-secret-change-me-in-production-0123456789"
MIN_JWT_SECRET_BYTES = 32
DEMO_PASSWORD = "demo"  # every demo user's (scripts/seed_demo.py); refused at login outside demo mode


class Settings(BaseSettings):
    """Every knob the API, the worker and the scripts share."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

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
    # E-mail notifications (activities/mail.py): off while SMTP_HOST is unset. STARTTLS is required
    # unless switched off; SMTP_CA_FILE trusts a company CA besides the system's.
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = True
    smtp_from: str = Field(default="approvals@localhost", max_length=254)
    smtp_ca_file: Path | None = None

    @field_validator("smtp_host", "smtp_username", "smtp_password", "smtp_ca_file", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        """Compose passes an unset variable as empty (`${SMTP_HOST:-}`): that means unset."""
        return None if value == "" else value

    def workflow_cache_size(self) -> int:
        """How many workflows fit in the worker's memory ceiling: base ~130 MB, ~180 KB each
        (measured ~160 KB of RSS per cached onboarding once 10,000 had passed through the cache;
        the rest is margin for the heap the evictions leave behind)."""
        if self.worker_max_cached_workflows is not None:
            return self.worker_max_cached_workflows
        return max(200, (self.worker_memory_mb - 130) * 1024 // 180)

    def office_hours(self) -> OfficeHours:
        return OfficeHours(self.office_timezone, self.office_opens, self.office_closes)

    @property
    def demo_mode(self) -> bool:
        return self.app_env == "demo"

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


@lru_cache
def get_settings() -> Settings:
    return Settings()
