"""The payload codec and its key ring (sealing.py, issue 24 §1), and the refusal to start without keys."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest
from temporalio.api.common.v1 import Payload

from sealing import (
    DEMO_KEY,
    DEMO_RING,
    ENCODING,
    KEY_ID_FIELD,
    KeyRing,
    KeyRingError,
    SealingCodec,
    UnknownKey,
    key_ring_for,
    parse_key_ring,
)

ROOT = Path(__file__).resolve().parents[1]
A, B = ("a", os.urandom(32)), ("b", os.urandom(32))
PLAIN = Payload(metadata={"encoding": b"json/plain"}, data='{"name": "郑州华豫石化贸易有限公司"}'.encode())


def ring_text(*keys: tuple[str, bytes]) -> str:
    return ",".join(f"{key_id}:{base64.b64encode(key).decode()}" for key_id, key in keys)


async def test_a_sealed_payload_names_its_key_and_hides_its_content() -> None:
    codec = SealingCodec(KeyRing([A]))
    [sealed] = await codec.encode([PLAIN])
    assert sealed.metadata["encoding"] == ENCODING and sealed.metadata[KEY_ID_FIELD] == b"a"
    assert "郑州".encode() not in sealed.data and b"json/plain" not in sealed.data
    assert (await codec.decode([sealed])) == [PLAIN]
    [again] = await codec.encode([PLAIN])
    assert again.data != sealed.data  # a fresh nonce each time


async def test_the_first_key_seals_and_every_key_opens() -> None:
    [under_a] = await SealingCodec(KeyRing([A])).encode([PLAIN])
    rotated = SealingCodec(KeyRing([B, A]))
    [under_b] = await rotated.encode([PLAIN])
    assert under_b.metadata[KEY_ID_FIELD] == b"b"
    assert await rotated.decode([under_a, under_b]) == [PLAIN, PLAIN]
    with pytest.raises(UnknownKey, match="'b'"):
        await SealingCodec(KeyRing([A])).decode([under_b])


async def test_a_payload_written_before_sealing_passes_through() -> None:
    assert await SealingCodec(KeyRing([A])).decode([PLAIN]) == [PLAIN]


async def test_a_tampered_payload_or_a_swapped_key_id_does_not_open() -> None:
    codec = SealingCodec(KeyRing([A, B]))
    [sealed] = await codec.encode([PLAIN])
    tampered = Payload(metadata=dict(sealed.metadata), data=sealed.data[:-1] + bytes([sealed.data[-1] ^ 1]))
    swapped = Payload(metadata={**sealed.metadata, KEY_ID_FIELD: b"b"}, data=sealed.data)
    for bad in (tampered, swapped):
        with pytest.raises(UnknownKey):
            await codec.decode([bad])


def test_the_ring_is_read_from_its_setting() -> None:
    ring = parse_key_ring(f" {ring_text(B, A)} ")
    assert ring.sealing_id == "b" and ring.ids == ("b", "a")
    for malformed in (
        "",
        "a:not-base64!",
        f"a:{base64.b64encode(b'short').decode()}",
        f"{ring_text(A)},{ring_text(A)}",
    ):
        with pytest.raises(KeyRingError):
            parse_key_ring(malformed)
    with pytest.raises(KeyRingError):
        parse_key_ring(f"bad id:{base64.b64encode(os.urandom(32)).decode()}")


def test_demo_mode_seals_with_the_demo_key_and_no_other_mode_does() -> None:
    assert key_ring_for(None, demo=True) is DEMO_RING
    with pytest.raises(KeyRingError, match="PAYLOAD_KEYS must be set"):
        key_ring_for(None, demo=False)
    with pytest.raises(KeyRingError, match="demo payload key"):
        key_ring_for(ring_text(A, ("demo", DEMO_KEY)), demo=False)
    assert key_ring_for(ring_text(A), demo=False).sealing_id == "a"


def test_the_api_and_the_worker_refuse_to_connect_without_keys_outside_demo_mode() -> None:
    """`connect` (the API's lifespan, the worker, the scripts) reads the ring before it connects."""
    env = {k: v for k, v in os.environ.items() if k not in {"APP_ENV", "PAYLOAD_KEYS"}}
    env |= {"APP_ENV": "production", "JWT_SECRET": "x" * 40}
    script = "import asyncio, temporal_client; asyncio.run(temporal_client.connect('127.0.0.1:9'))"
    run = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode != 0 and "PAYLOAD_KEYS must be set outside demo mode" in run.stderr
