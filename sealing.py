"""Histories sealed (issue 24 §1): every payload the client and the worker hand to Temporal is
encrypted with AES-256-GCM, so the histories on the Temporal server hold no customer data in clear.

A sealed payload carries `encoding: binary/encrypted` and the id of the key that sealed it in its
metadata; its data is a 12-byte random nonce followed by the ciphertext (with GCM's tag) of the
whole original payload (its metadata and data), authenticated together with the key id. The key
ring holds several keys, the first one seals and every one of them opens, so a key is rotated
without breaking a running or an archived workflow (docs/operations/sealing.md). A payload without
this encoding — every history written before sealing, e.g. the saved ones in tests/histories — is
passed through unchanged on decode.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
from collections.abc import Callable, Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

ENCODING = b"binary/encrypted"
KEY_ID_FIELD = "encryption-key-id"
NONCE_BYTES = 12
KEY_BYTES = 32  # AES-256
KEY_ID = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")

# Demo mode only (`make run`, the tests, the benchmarks): a key everybody can derive, refused outside it.
DEMO_KEY_ID = "demo"
DEMO_KEY = hashlib.sha256(b"customer-approvals demo payload key: never outside demo mode").digest()


class KeyRingError(ValueError):
    """The key ring is missing or malformed: the processes refuse to start rather than write in clear."""


class UnknownKey(ValueError):
    """A sealed payload names a key the ring does not hold (or its tag does not verify)."""


class KeyRing:
    """Keys by id, newest first: the first seals, all open."""

    def __init__(self, keys: Sequence[tuple[str, bytes]]) -> None:
        if not keys:
            raise KeyRingError("the payload key ring is empty")
        ids = [key_id for key_id, _ in keys]
        if len(set(ids)) != len(ids):
            raise KeyRingError(f"a key id appears twice in the payload key ring: {ids}")
        for key_id, key in keys:
            if not KEY_ID.match(key_id) or len(key) != KEY_BYTES:
                raise KeyRingError(f"payload key {key_id!r}: ids are 1-32 of [A-Za-z0-9_.-], keys {KEY_BYTES} bytes")
        self.sealing_id = ids[0]
        self.ids = tuple(ids)
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keys}
        self._keys = dict(keys)

    def cipher(self, key_id: str) -> AESGCM:
        found = self._ciphers.get(key_id)
        if found is None:
            raise UnknownKey(f"payload sealed with key {key_id!r}, which is not in the ring {list(self.ids)}")
        return found

    def holds_key(self, key: bytes) -> bool:
        return key in self._keys.values()


DEMO_RING = KeyRing([(DEMO_KEY_ID, DEMO_KEY)])


def parse_key_ring(text: str) -> KeyRing:
    """`PAYLOAD_KEYS`: `id:base64key,id:base64key,...`, newest (the sealing key) first."""
    keys: list[tuple[str, bytes]] = []
    for entry in filter(None, (part.strip() for part in text.split(","))):
        key_id, _, encoded = entry.partition(":")
        try:
            key = base64.b64decode(encoded.strip(), validate=True)
        except binascii.Error as exc:
            raise KeyRingError(f"payload key {key_id.strip()!r} is not base64") from exc
        keys.append((key_id.strip(), key))
    return KeyRing(keys)


def key_ring_for(payload_keys: str | None, *, demo: bool) -> KeyRing:
    """The ring the settings give. Demo mode without keys seals with the demo key; outside demo mode
    keys are required and the demo key is refused (as the demo JWT secret is: settings.py)."""
    if not payload_keys:
        if demo:
            return DEMO_RING
        raise KeyRingError(
            "PAYLOAD_KEYS must be set outside demo mode, e.g. PAYLOAD_KEYS=k1:$(openssl rand -base64 32) "
            "(docs/operations/sealing.md): Temporal histories would otherwise hold customer data in clear"
        )
    ring = parse_key_ring(payload_keys)
    if not demo and ring.holds_key(DEMO_KEY):
        raise KeyRingError("the demo payload key is refused outside demo mode")
    return ring


class SealingCodec(PayloadCodec):
    """AES-GCM payload codec over a key ring (given, or read when first needed: `ring` may be a callable)."""

    def __init__(self, ring: KeyRing | Callable[[], KeyRing]) -> None:
        self._ring = ring

    @property
    def ring(self) -> KeyRing:
        return self._ring if isinstance(self._ring, KeyRing) else self._ring()

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return self.seal(payloads)

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return self.open(payloads)

    def seal(self, payloads: Sequence[Payload]) -> list[Payload]:
        ring = self.ring
        cipher, key_id = ring.cipher(ring.sealing_id), ring.sealing_id.encode()
        sealed = []
        for payload in payloads:
            nonce = os.urandom(NONCE_BYTES)
            data = nonce + cipher.encrypt(nonce, payload.SerializeToString(), key_id)
            sealed.append(Payload(metadata={"encoding": ENCODING, KEY_ID_FIELD: key_id}, data=data))
        return sealed

    def open(self, payloads: Sequence[Payload]) -> list[Payload]:
        """Synchronous, for readers of a fetched history (api/history.py); unsealed payloads pass through."""
        ring = self.ring
        opened = []
        for payload in payloads:
            if payload.metadata.get("encoding") != ENCODING:
                opened.append(payload)
                continue
            key_id = payload.metadata.get(KEY_ID_FIELD, b"").decode()
            nonce, sealed = payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:]
            try:
                plain = ring.cipher(key_id).decrypt(nonce, sealed, key_id.encode())
            except InvalidTag as exc:
                raise UnknownKey(f"payload sealed with key {key_id!r} does not open with that key") from exc
            opened.append(Payload.FromString(plain))
        return opened
