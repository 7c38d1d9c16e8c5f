"""ACTOR_SIGNING_KEY (issue 24 §2): a demo key in demo mode only, a strong ring outside it, asked
for when the API or the worker starts."""

from __future__ import annotations

from typing import Any

import pytest

from api.main import create_app
from settings import DEMO_ACTOR_SIGNING_KEY, Settings

STRONG, OLDER = "a" * 32, "b" * 40


def production(**values: Any) -> Settings:
    return Settings(_env_file=None, app_env="production", jwt_secret="j" * 32, **values)  # type: ignore[call-arg]


def test_demo_mode_signs_with_the_demo_key_unless_given_one() -> None:
    demo = Settings(_env_file=None, app_env="demo")  # type: ignore[call-arg]
    assert demo.actor_signing_keys() == [DEMO_ACTOR_SIGNING_KEY.encode()]
    given = Settings(_env_file=None, app_env="demo", actor_signing_key=STRONG)  # type: ignore[call-arg]
    assert given.actor_signing_keys() == [STRONG.encode()]


@pytest.mark.parametrize(
    ("key", "message"),
    [
        (None, "ACTOR_SIGNING_KEY must be set"),
        (" , ", "ACTOR_SIGNING_KEY must be set"),
        (DEMO_ACTOR_SIGNING_KEY, "ACTOR_SIGNING_KEY must be set"),
        (f"{STRONG},{DEMO_ACTOR_SIGNING_KEY}", "ACTOR_SIGNING_KEY must be set"),
        ("k" * 31, "at least 32 bytes"),
        (f"{STRONG},short", "at least 32 bytes"),
    ],
)
def test_outside_demo_mode_a_missing_demo_or_weak_key_is_refused(key: str | None, message: str) -> None:
    settings = production(**({} if key is None else {"actor_signing_key": key}))
    with pytest.raises(ValueError, match=message):
        settings.actor_signing_keys()


def test_the_ring_is_newest_first_and_every_key_verifies() -> None:
    assert production(actor_signing_key=f" {STRONG} , {OLDER} ").actor_signing_keys() == [
        STRONG.encode(),
        OLDER.encode(),
    ]


async def test_the_api_refuses_to_start_outside_demo_mode_without_a_key() -> None:
    app = create_app(production(database_url="sqlite://"), temporal=object())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="ACTOR_SIGNING_KEY must be set"):
        async with app.router.lifespan_context(app):
            pass
