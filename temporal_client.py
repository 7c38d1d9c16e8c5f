"""One way to connect to Temporal: the pydantic data converter on client and worker alike, its
payloads sealed with the settings' key ring (sealing.py, issue 24 §1)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from functools import lru_cache

from temporalio.client import Client, Interceptor
from temporalio.common import HeaderCodecBehavior
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes
from temporalio.runtime import Runtime
from temporalio.service import TLSConfig

from sealing import KeyRing, SealingCodec, key_ring_for
from settings import get_settings


@lru_cache
def settings_key_ring() -> KeyRing:
    settings = get_settings()
    keys = settings.payload_keys.get_secret_value() if settings.payload_keys else None
    return key_ring_for(keys, demo=settings.demo_mode)


def sealed_converter(codec: SealingCodec) -> DataConverter:
    """Pydantic payloads sealed by `codec`; a failure's message and stack trace sealed too (they may
    quote what was refused), its type left in clear for the API's mapping (api/errors.py)."""
    return dataclasses.replace(
        pydantic_data_converter,
        payload_codec=codec,
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )


# The ring is read when the first payload is sealed or opened (importing this module reads no settings).
DATA_CONVERTER = sealed_converter(SealingCodec(settings_key_ring))
# Headers are payloads too (the actor's signature, a trace's context): sealed like the rest.
HEADERS = HeaderCodecBehavior.CODEC


def with_sealed_headers(client: Client) -> Client:
    """The same connection, its headers sealed and opened by the codec: the worker and the API's
    signing client use it whatever client they were handed (a test environment's, say)."""
    config = client.config()
    if config["header_codec_behavior"] == HEADERS:
        return client
    config["header_codec_behavior"] = HEADERS
    return Client(**config)


async def connect(
    address: str,
    namespace: str = "default",
    *,
    interceptors: Sequence[Interceptor] = (),
    runtime: Runtime | None = None,
    tls: TLSConfig | None = None,
) -> Client:
    """`interceptors` and `runtime`: tracing and the worker's metrics endpoint (telemetry.py), when on;
    `tls`: mutual TLS with this program's certificate (`Settings.temporal_tls()`); None: plain gRPC."""
    settings_key_ring()  # outside demo mode without PAYLOAD_KEYS: refuse to start (sealing.key_ring_for)
    return await Client.connect(
        address,
        namespace=namespace,
        data_converter=DATA_CONVERTER,
        interceptors=interceptors,
        runtime=runtime,
        tls=tls or False,
        header_codec_behavior=HEADERS,
    )
