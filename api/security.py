"""Passwords (Argon2 through pwdlib) and JWT bearer tokens (PyJWT)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import TypeVar

import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

# Argon2id with explicit costs (RFC 9106 §4, second recommended option): 64 MiB and 3 passes per
# hash. The memory is the point, so parallel hashing is bounded by `PasswordWork`.
ARGON2_MEMORY_KIB = 64 * 1024
_hasher = PasswordHash((Argon2Hasher(time_cost=3, memory_cost=ARGON2_MEMORY_KIB, parallelism=4),))
ALGORITHM = "HS256"
T = TypeVar("T")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, hashed: str) -> bool:
    return _hasher.verify(password, hashed)


@cache
def _dummy_hash() -> str:
    return _hasher.hash("no user has this password")


class PasswordWork:
    """Argon2 off the event loop, at most `slots` at a time per process: 100 parallel logins cost
    `slots` × 64 MiB, not 6.4 GB, and the API keeps answering while they queue."""

    def __init__(self, slots: int) -> None:
        self._gate = asyncio.Semaphore(slots)
        self.done = 0  # Argon2 computations run: what a login cost, countable without a clock
        self.running = 0
        self.peak = 0  # the most computations that ever ran at once

    async def _argon2(self, work: Callable[[], T]) -> T:
        async with self._gate:
            self.running += 1
            self.peak = max(self.peak, self.running)
            try:
                return await asyncio.to_thread(work)
            finally:
                self.running -= 1
                self.done += 1

    async def hash(self, password: str) -> str:
        return await self._argon2(lambda: hash_password(password))

    async def verify(self, password: str, hashed: str | None) -> bool:
        """`hashed` None (an unknown user) verifies against a dummy hash: the answer costs one
        Argon2 computation as for a known user, so timing does not tell which usernames exist."""
        checked = hashed or _dummy_hash()
        return await self._argon2(lambda: verify_password(password, checked)) and hashed is not None


def create_token(username: str, secret: str, minutes: int) -> str:
    now = datetime.now(UTC)
    # `iat` to the microsecond (RFC 7519 NumericDate may be fractional): a password reset refuses
    # every token issued before it, even one from the same second (api/deps.py KnownUser).
    claims = {"sub": username, "iat": now.timestamp(), "exp": now + timedelta(minutes=minutes)}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def token_claims(token: str, secret: str) -> tuple[str, datetime] | None:
    """The username a valid, unexpired token names and when it was issued; None for anything else."""
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["sub", "exp", "iat"]})
    except jwt.PyJWTError:
        return None
    subject, issued = claims.get("sub"), claims.get("iat")
    if not isinstance(subject, str) or not isinstance(issued, int | float):
        return None
    return subject, datetime.fromtimestamp(issued, UTC)
