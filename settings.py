"""One place for configuration: environment variables (or `.env`) read by pydantic-settings."""

from __future__ import annotations

from datetime import time
from functools import lru_cache
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.calendar import OfficeHours

ROOT = Path(__file__).resolve().parent
DEMO_JWT_SECRET = "demo-secret-change-me-in-production-0123456789"


class Settings(BaseSettings):
    """Every knob the API, the worker and the scripts share."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    app_env: str = "demo"
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

    def workflow_cache_size(self) -> int:
        """How many workflows fit in the worker's memory ceiling (base ~130 MB, ~160 KB each)."""
        if self.worker_max_cached_workflows is not None:
            return self.worker_max_cached_workflows
        return max(200, (self.worker_memory_mb - 130) * 1024 // 160)

    def office_hours(self) -> OfficeHours:
        return OfficeHours(self.office_timezone, self.office_opens, self.office_closes)

    @property
    def demo_mode(self) -> bool:
        return self.app_env == "demo"

    @model_validator(mode="after")
    def _no_default_secret_in_production(self) -> Settings:
        """A forged token would let anyone approve anything: refuse the demo secret outside demo."""
        if not self.demo_mode and self.jwt_secret == DEMO_JWT_SECRET:
            raise ValueError("JWT_SECRET must be set when APP_ENV is not 'demo'")
        return self


@lru_cache
def get_settings() -> Settings:
    return Settings()
