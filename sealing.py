"""Histories sealed (issue 24 §1): every payload the client and the worker hand to Temporal is
encrypted with AES-256-GCM, so the histories on the Temporal server hold no customer data in clear.

A sealed payload carries `encoding: binary/encrypted` and the id of the key that sealed it in its
metadata; its data is a 12-byte random nonce followed by the ciphertext (with GCM's tag) of the
whole original payload (its metadata and data), authenticated together with the key id. The key
ring holds several keys, the first one seals and every one of them opens, so a key is rotated
without breaking a running or an archived workflow (docs/operations/sealing.md). A payload without
this encoding — every history written before sealing, e.g. the saved ones in tests/histories — is
passed through unchanged on decode.

A sealed payload that does not open (a key id not in the ring, a failed tag, data too short, a key
id that is not text, garbage inside) is never raised out of `decode`, the SDK's path: one raised
there fails the whole workflow task, again every few seconds, for ever, so one forged signal would
wedge a process. `decode` logs it at ERROR and hands on a payload of `REFUSED_ENCODING`, which the
data converter refuses: that one signal is dropped, that update rejected, an activity's result or a
start's input fails the workflow task (it waits, retrying, until the missing key is in the ring).
`open`, for the readers of a fetched history and the codec server, raises `UnknownKey`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import os
import re
from collections.abc import Callable, Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from google.protobuf.message import DecodeError
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

ENCODING = b"binary/encrypted"
# What `decode` hands on for a sealed payload that does not open: no payload converter knows it.
REFUSED_ENCODING = b"binary/encrypted-unopened"
KEY_ID_FIELD = "encryption-key-id"
NONCE_BYTES = 12
KEY_BYTES = 32  # AES-256
KEY_ID = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")

# Demo mode only (`make run`, the tests, the benchmarks): a key everybody can derive, refused outside it.
DEMO_KEY_ID = "demo"
DEMO_KEY = hashlib.sha256(b"customer-approvals demo payload key: never outside demo mode").digest()

logger = logging.getLogger(__name__)


class KeyRingError(ValueError):
    """The key ring is missing or malformed: the processes refuse to start rather than write in clear."""


class UnknownKey(ValueError):
    """A sealed payload names a key the ring does not hold, or does not open (tag, length, key id)."""


class KeyRing:
    """Keys by id, newest first: the first seals, all open."""

    def __init__(self, keys: Sequence[tuple[str, bytes]]) -> None:
        if not keys:
            raise KeyRingError("the payload key ring is empty")
        ids = [key_id for key_id, _ in keys]
        if len(set(ids)) != len(ids):
            twice = [position for position, key_id in enumerate(ids, start=1) if ids.count(key_id) > 1]
            raise KeyRingError(f"payload keys #{' and #'.join(map(str, twice))} of the ring have the same id")
        for position, (key_id, key) in enumerate(keys, start=1):
            if not KEY_ID.match(key_id) or len(key) != KEY_BYTES:
                # The position, not the id: an entry without `id:` would otherwise show the key itself.
                raise KeyRingError(
                    f"payload key #{position} of the ring: ids are 1-32 of [A-Za-z0-9_.-], keys {KEY_BYTES} bytes"
                )
        self.sealing_id = ids[0]
        self.ids = tuple(ids)
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keys}
        self._keys = frozenset(key for _, key in keys)  # for `holds_key` only (the demo key's refusal)

    def cipher(self, key_id: str) -> AESGCM:
        found = self._ciphers.get(key_id)
        if found is None:
            raise UnknownKey(f"payload sealed with key {key_id[:64]!r}, which is not in the ring {list(self.ids)}")
        return found

    def holds_key(self, key: bytes) -> bool:
        return key in self._keys


DEMO_RING = KeyRing([(DEMO_KEY_ID, DEMO_KEY)])


def parse_key_ring(text: str) -> KeyRing:
    """`PAYLOAD_KEYS`: `id:base64key,id:base64key,...`, newest (the sealing key) first."""
    keys: list[tuple[str, bytes]] = []
    for position, entry in enumerate(filter(None, (part.strip() for part in text.split(","))), start=1):
        key_id, _, encoded = entry.partition(":")
        try:
            key = base64.b64decode(encoded.strip(), validate=True)
        except binascii.Error:
            # The entry's position only: its text is (or holds) the key. No chained exception either.
            raise KeyRingError(f"payload key #{position} of the ring is not `id:base64key`") from None
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
        """The SDK's path: a payload that does not open becomes a refused one, never an exception."""
        decoded = []
        for payload in payloads:
            try:
                decoded.extend(self.open([payload]))
            except UnknownKey as exc:
                logger.error("sealed payload refused, not opened (forged, or its key missing from the ring): %s", exc)
                key_id = payload.metadata.get(KEY_ID_FIELD, b"")[:64]
                decoded.append(Payload(metadata={"encoding": REFUSED_ENCODING, KEY_ID_FIELD: key_id}))
        return decoded

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
            raw_id = payload.metadata.get(KEY_ID_FIELD, b"")
            try:
                key_id = raw_id.decode()
            except UnicodeDecodeError:
                raise UnknownKey(f"sealed payload's key id {raw_id[:64]!r} is not text") from None
            if len(payload.data) < NONCE_BYTES + 16:  # a nonce and GCM's 16-byte tag at least
                raise UnknownKey(f"payload sealed with key {key_id[:64]!r} is too short ({len(payload.data)} bytes)")
            nonce, sealed = payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:]
            try:
                opened.append(Payload.FromString(ring.cipher(key_id).decrypt(nonce, sealed, raw_id)))
            except InvalidTag:
                raise UnknownKey(f"payload sealed with key {key_id[:64]!r} does not open with that key") from None
            except DecodeError:  # authentic, yet not a payload: sealed by someone holding the key
                raise UnknownKey(f"payload sealed with key {key_id[:64]!r} opens to no payload") from None
        return opened
