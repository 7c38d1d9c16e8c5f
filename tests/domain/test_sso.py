"""The rule of who a single sign-on opens (domain/sso.py, issue 24 §4a)."""

from __future__ import annotations

import pytest

from domain.sso import account_open, first_sign_in_username, may_link_at_first_sign_in, provider_address_safe


def test_the_configured_claim_names_the_local_user() -> None:
    claims = {"sub": "8f2c", "preferred_username": "zhang.san", "email": "x@example.com"}
    assert first_sign_in_username(claims, "preferred_username") == "zhang.san"
    assert first_sign_in_username(claims, "employee_id") is None  # a claim the token lacks names nobody


@pytest.mark.parametrize("verified", [False, None, "true"])
def test_an_email_counts_only_when_the_provider_verified_it(verified: object) -> None:
    claims: dict[str, object] = {"sub": "8f2c", "email": "zhang.san@example.com"}
    if verified is not None:
        claims["email_verified"] = verified
    assert first_sign_in_username(claims, "email") is None
    assert first_sign_in_username(claims | {"email_verified": True}, "email") == "zhang.san@example.com"


@pytest.mark.parametrize("value", ["", 42, ["zhang.san"], "z" * 81])
def test_a_value_no_username_could_be_names_nobody(value: object) -> None:
    assert first_sign_in_username({"sub": "8f2c", "preferred_username": value}, "preferred_username") is None


def test_a_deactivated_or_demo_account_stays_closed() -> None:
    assert account_open(is_active=True, is_demo=False, demo_mode=False)
    assert not account_open(is_active=False, is_demo=False, demo_mode=True)
    assert not account_open(is_active=True, is_demo=True, demo_mode=False)
    assert account_open(is_active=True, is_demo=True, demo_mode=True)


def test_administrators_and_auditors_are_not_linked_by_a_claim() -> None:
    """Issue 24 review: a provider that lets people register or rename themselves must not hand out `admin`."""
    assert not may_link_at_first_sign_in(["admin"])
    assert not may_link_at_first_sign_in(["sales_clerk", "auditor"])
    assert may_link_at_first_sign_in(["sales_clerk", "depot_manager"])
    assert may_link_at_first_sign_in([])


@pytest.mark.parametrize(
    ("url", "safe"),
    [
        ("https://sso.example.com/realms/cw", True),
        ("http://sso.example.com/realms/cw", False),
        ("http://127.0.0.1:8080/jwks", True),
        ("http://[::1]:8080/jwks", True),
        ("http://localhost/jwks", True),
        ("http://localhost.example.com/jwks", False),
        ("http://127.0.0.2/jwks", False),
        ("ftp://sso.example.com/", False),
        ("", False),
    ],
)
def test_the_provider_is_reached_over_https_or_on_this_host(url: str, safe: bool) -> None:
    assert provider_address_safe(url) is safe
