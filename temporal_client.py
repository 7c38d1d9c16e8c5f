"""One way to connect to Temporal: the pydantic data converter on client and worker alike."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import TLSConfig

DATA_CONVERTER = pydantic_data_converter


async def connect(address: str, namespace: str = "default", *, tls: TLSConfig | None = None) -> Client:
    """`tls`: mutual TLS with this program's certificate (`Settings.temporal_tls()`); None: plain gRPC."""
    return await Client.connect(address, namespace=namespace, data_converter=DATA_CONVERTER, tls=tls or False)
