"""Who a single sign-on opens (issue 24 §4a): the rule that maps an OpenID Connect identity to a local user.

The provider proves who the person is; the local user says what they may do. So:

- An identity already linked — the provider's (issuer, subject), OIDC Core §2's only stable,
  never-reassigned key of a person — opens the user it is linked to, whatever its claims say today.
- At a person's first sign-in the link is made by ONE claim of the ID token whose value must equal
  a username an administrator created (`OIDC_USERNAME_CLAIM`, default `preferred_username`). OIDC
  Core §5.7 says an RP must not rely on `preferred_username` or `email` being unique: the reading
  chosen here is that the operator configures a claim their provider keeps unique and unchangeable
  by the person (the Keycloak username, a Feishu/DingTalk employee id); `email` counts only with
  `email_verified` true. A user already linked to another subject of the same provider is not
  re-linked: a name the provider handed to someone else opens nothing.
- Nobody is created: an identity matching no local user is refused, and roles and unit are never
  read from the provider.
- A deactivated user is refused like at the password sign-in; a demo user outside demo mode too.
- A user holding a privileged role (`PRIVILEGED_ROLES`) is never linked at a first sign-in: they keep
  the password sign-in (see `may_link_at_first_sign_in`).
- The provider is reached over https only (outside demo mode; loopback excepted, `provider_address_safe`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from urllib.parse import urlsplit

from domain.roles import Role

EMAIL_CLAIM = "email"
USERNAME_MAX = 80  # users.username
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})

# Who is never linked by a claim at a first single sign-on. The first link trusts one claim of the
# provider; if the provider lets people register themselves or edit that claim, anyone there could
# name `admin` and take over the administrator (every user, role and key) or an auditor (who reads
# every process and its history, OVERSIGHT_ROLES). Those accounts keep the password sign-in; an
# identity already linked (made before the role was granted) still opens its user, so an
# administrator who grants one of these roles checks the user's identities first.
PRIVILEGED_ROLES = frozenset({Role.admin, Role.auditor})


class Refusal(StrEnum):
    """Why a single sign-on opened nothing; each has its own words on the sign-in page."""

    FLOW = "flow"  # no sign-in was started in this browser, or its state does not match
    PROVIDER = "provider"  # the provider declined, or its answer failed a check (issuer, signature, nonce)
    UNKNOWN = "unknown"  # no local user for this identity
    TAKEN = "taken"  # the matching user is linked to another identity of this provider
    CLOSED = "closed"  # the local user is deactivated (or a demo user outside demo mode)
    PRIVILEGED = "privileged"  # a first sign-in claims an administrator or auditor: password sign-in only


def first_sign_in_username(claims: Mapping[str, object], claim: str) -> str | None:
    """The local username an unlinked identity claims, or None when it claims none we may trust."""
    value = claims.get(claim)
    if claim == EMAIL_CLAIM and claims.get("email_verified") is not True:
        return None
    if not isinstance(value, str) or not value or len(value) > USERNAME_MAX:
        return None
    return value


def account_open(is_active: bool, is_demo: bool, demo_mode: bool) -> bool:
    """A deactivated user signs in no way; demo accounts only in demo mode (as at the password sign-in)."""
    return is_active and (demo_mode or not is_demo)


def may_link_at_first_sign_in(roles: Iterable[str]) -> bool:
    """Whether a first single sign-on may link a user holding these roles: not one with a privileged role."""
    return PRIVILEGED_ROLES.isdisjoint(roles)


def provider_address_safe(url: str) -> bool:
    """An address of the provider (issuer, authorization, token, JWKS) that a network attacker cannot
    answer for: https, or plain http to this host only (127.0.0.1, ::1, localhost)."""
    parts = urlsplit(url)
    return parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS)
