"""Secure defaults: demo mode is opted into, never assumed, and weak JWT secrets are refused."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from pydantic import ValidationError

from settings import DEMO_JWT_SECRET, ROOT, Settings

STRONG = "x" * 32


def without_app_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("APP_ENV", "JWT_SECRET")}


def test_the_default_is_production_not_demo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("APP_ENV", raising=False)
    settings = Settings(_env_file=None, jwt_secret=STRONG)  # type: ignore[call-arg]
    assert settings.app_env == "production" and not settings.demo_mode


def test_without_app_env_the_demo_secret_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("APP_ENV", raising=False)
    monkeypatch.delenv("JWT_SECRET", raising=False)
    with pytest.raises(ValidationError, match="JWT_SECRET must be set"):
        Settings(_env_file=None)  # type: ignore[call-arg]


@pytest.mark.parametrize("secret", ["short", "y" * 31, "密" * 10])  # 10 CJK characters are 30 bytes
def test_secrets_under_32_bytes_are_refused_outside_demo(secret: str) -> None:
    with pytest.raises(ValidationError, match="at least 32 bytes"):
        Settings(_env_file=None, app_env="production", jwt_secret=secret)  # type: ignore[call-arg]


def test_a_32_byte_secret_is_accepted_and_demo_keeps_its_own() -> None:
    assert Settings(_env_file=None, app_env="production", jwt_secret=STRONG).jwt_secret == STRONG  # type: ignore[call-arg]
    demo = Settings(_env_file=None, app_env="demo")  # type: ignore[call-arg]
    assert demo.demo_mode and demo.jwt_secret == DEMO_JWT_SECRET


def test_bare_uvicorn_import_refuses_to_start_without_app_env() -> None:
    """`uvicorn api.main:app` with no APP_ENV builds the app on import: it must stop there."""
    result = subprocess.run(
        [sys.executable, "-c", "import api.main"],
        cwd=ROOT,
        env=without_app_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "JWT_SECRET must be set" in result.stderr


def test_demo_seed_refuses_to_run_outside_demo_mode() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "scripts.seed_demo"],
        cwd=ROOT,
        env=without_app_env() | {"JWT_SECRET": STRONG, "DATABASE_URL": "sqlite:///:memory:"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0 and "demo mode" in result.stderr


def test_web_cookies_are_secure_outside_demo_mode_unless_said_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 23 review: a session cookie over plain http can be read on the way."""
    monkeypatch.delenv("WEB_COOKIE_SECURE", raising=False)
    assert Settings(_env_file=None, app_env="production", jwt_secret=STRONG).web_cookie_secure is True  # type: ignore[call-arg]
    assert Settings(_env_file=None, app_env="demo").web_cookie_secure is False  # type: ignore[call-arg]
    plain = Settings(_env_file=None, app_env="production", jwt_secret=STRONG, web_cookie_secure=False)  # type: ignore[call-arg]
    assert plain.web_cookie_secure is False
    monkeypatch.setenv("WEB_COOKIE_SECURE", "true")
    assert Settings(_env_file=None, app_env="demo").web_cookie_secure is True  # type: ignore[call-arg]


def test_single_sign_on_is_off_unless_an_issuer_and_a_client_are_set() -> None:
    """Issue 24 §4a: docker-compose passes unset variables as "", which means off, not an invalid issuer."""
    off = Settings(_env_file=None, app_env="demo", oidc_issuer="", oidc_client_id="")  # type: ignore[call-arg]
    assert not off.sso_enabled and off.oidc_issuer is None
    issuer = "https://sso.example.com/realms/cw"
    for client in ({}, {"oidc_client_id": "approvals"}, {"oidc_client_secret": "s"}):
        with pytest.raises(ValidationError, match="OIDC_CLIENT_ID and OIDC_CLIENT_SECRET must be set"):
            Settings(_env_file=None, app_env="demo", oidc_issuer=issuer, **client)  # type: ignore[call-arg]
    on = Settings(
        _env_file=None,  # type: ignore[call-arg]
        app_env="demo",
        oidc_issuer="https://sso.example.com/realms/cw",
        oidc_client_id="approvals",
        oidc_client_secret="s",
        web_base_url="https://approvals.example.com/",
    )
    assert on.sso_enabled and on.oidc_callback_url() == "https://approvals.example.com/login/oidc/callback"


def test_a_refusal_to_start_never_prints_the_secrets_it_was_given() -> None:
    """A failing validator used to print the whole input (`input_value={...}`): every secret of the
    environment in the log of a refused start. The errors name the rule only, and the signing key
    and the mail password stay hidden in the settings' repr too."""
    secrets = {
        "jwt_secret": "too-short-jwt-secret-7f3a",
        "actor_signing_key": "actor-signing-key-c0ffee-" + "q" * 32,
        "smtp_password": "smtp-password-9b1e",
        "oidc_client_secret": "oidc-secret-4d2c",
    }
    with pytest.raises(ValidationError) as refused:
        Settings(_env_file=None, app_env="production", **secrets)  # type: ignore[arg-type]
    assert "JWT_SECRET must be at least" in str(refused.value)
    for secret in secrets.values():
        assert secret not in str(refused.value)
    with pytest.raises(ValidationError) as bad_port:
        Settings(_env_file=None, app_env="demo", smtp_port="not-a-port", **secrets)  # type: ignore[arg-type]
        assert secret not in str(bad_port.value)
    settings = Settings(_env_file=None, app_env="demo", **(secrets | {"jwt_secret": STRONG}))  # type: ignore[arg-type]
    for secret in ("actor_signing_key", "smtp_password"):
        assert secrets[secret] not in repr(settings) and secrets[secret] not in str(settings.model_dump())
    assert settings.actor_signing_keys() == [secrets["actor_signing_key"].encode()]


CLIENT = {"oidc_client_id": "approvals", "oidc_client_secret": "s"}


@pytest.mark.parametrize("issuer", ["http://sso.example.com/realms/cw", "http://10.0.0.5:8080/realms/cw"])
def test_a_plain_http_issuer_is_refused_outside_demo_mode(issuer: str) -> None:
    """Issue 24 review: over http a network attacker reads the client secret and serves their own keys."""
    with pytest.raises(ValidationError, match="OIDC_ISSUER must be an https address outside demo mode"):
        Settings(_env_file=None, app_env="production", jwt_secret=STRONG, oidc_issuer=issuer, **CLIENT)  # type: ignore[call-arg]
    assert Settings(_env_file=None, app_env="demo", oidc_issuer=issuer, **CLIENT).sso_enabled  # type: ignore[call-arg]


@pytest.mark.parametrize(
    "issuer", ["https://sso.example.com/realms/cw", "http://127.0.0.1:8080", "http://[::1]:8080", "http://localhost:9"]
)
def test_an_https_or_loopback_issuer_is_accepted_outside_demo_mode(issuer: str) -> None:
    settings = Settings(_env_file=None, app_env="production", jwt_secret=STRONG, oidc_issuer=issuer, **CLIENT)  # type: ignore[call-arg]
    assert settings.sso_enabled
