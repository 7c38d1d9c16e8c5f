"""The payload codec and its key ring (sealing.py, issue 24 §1), and the refusal to start without keys."""

from __future__ import annotations

import base64
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.converter import DefaultPayloadConverter

from sealing import (
    DEMO_KEY,
    DEMO_RING,
    ENCODING,
    KEY_ID_FIELD,
    REFUSED_ENCODING,
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
        SealingCodec(KeyRing([A])).open([under_b])


async def test_a_payload_written_before_sealing_passes_through() -> None:
    assert await SealingCodec(KeyRing([A])).decode([PLAIN]) == [PLAIN]


async def test_a_tampered_payload_or_a_swapped_key_id_does_not_open() -> None:
    codec = SealingCodec(KeyRing([A, B]))
    [sealed] = await codec.encode([PLAIN])
    tampered = Payload(metadata=dict(sealed.metadata), data=sealed.data[:-1] + bytes([sealed.data[-1] ^ 1]))
    swapped = Payload(metadata={**sealed.metadata, KEY_ID_FIELD: b"b"}, data=sealed.data)
    for bad in (tampered, swapped):
        with pytest.raises(UnknownKey):
            codec.open([bad])


async def test_a_payload_that_does_not_open_is_refused_data_never_a_raise_from_decode(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The SDK decodes a workflow activation through `decode`: one exception there fails every
    workflow task of the process for ever. Any sealed payload that does not open (an unknown or
    forged key id, a failed tag, too short, a key id that is not text) comes out as a payload the
    data converter refuses (the SDK then drops that signal, rejects that update), logged as an error;
    `open` (the history readers, the codec server) still raises, saying why."""
    codec = SealingCodec(KeyRing([A]))
    [sealed] = await codec.encode([PLAIN])
    poison = [
        Payload(metadata={"encoding": ENCODING, KEY_ID_FIELD: b"nope"}, data=sealed.data),
        Payload(metadata=dict(sealed.metadata), data=sealed.data[:-1] + bytes([sealed.data[-1] ^ 1])),
        Payload(metadata=dict(sealed.metadata), data=b"short"),
        Payload(metadata={"encoding": ENCODING, KEY_ID_FIELD: b"\xff\xfe"}, data=sealed.data),
        Payload(metadata={"encoding": ENCODING}, data=b""),
    ]
    reasons = ("not in the ring", "does not open", "too short", "not text", "too short")
    for bad, why in zip(poison, reasons, strict=True):
        with pytest.raises(UnknownKey, match=why):
            codec.open([bad])
    with caplog.at_level(logging.ERROR, logger="sealing"):
        decoded = await codec.decode([sealed, *poison, PLAIN])
    assert decoded[0] == PLAIN and decoded[-1] == PLAIN
    refused = decoded[1:-1]
    assert [p.metadata["encoding"] for p in refused] == [REFUSED_ENCODING] * len(poison)
    assert refused[0].metadata[KEY_ID_FIELD] == b"nope" and not any(p.data for p in refused)
    assert len([r for r in caplog.records if r.levelno == logging.ERROR]) == len(poison)
    with pytest.raises(KeyError, match="Unknown payload encoding"):
        DefaultPayloadConverter().from_payloads(refused[:1])


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


def test_a_malformed_ring_is_reported_by_position_never_by_its_text() -> None:
    """PAYLOAD_KEYS holds the keys themselves: an entry without `id:`, a bad id or a short key is
    named by its position in the ring, so the refusal to start never prints a key."""
    key = base64.b64encode(os.urandom(32)).decode()
    short = base64.b64encode(os.urandom(16)).decode()
    for malformed, position in (
        (f"{ring_text(A)},{key}", "#2"),  # `id:` forgotten: the whole entry is the key
        (f"{ring_text(A)},k2:{short}", "#2"),
        (f"{ring_text(A)},k2:{key}!", "#2"),  # not base64
        (f"bad id:{key}", "#1"),
        (f"{ring_text(A)},{ring_text(B)},{ring_text(A)}", "#1 and #3"),
    ):
        with pytest.raises(KeyRingError) as refused:
            parse_key_ring(malformed)
        message = str(refused.value)
        assert position in message, message
        for secret in (key, short, ring_text(A).partition(":")[2], key[:8], short[:8]):
            assert secret not in message, message
        assert refused.value.__cause__ is None  # nor a chained base64 error quoting the entry


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
