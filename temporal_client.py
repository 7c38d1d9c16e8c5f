"""One way to connect to Temporal: the pydantic data converter on client and worker alike."""

from __future__ import annotations

from collections.abc import Sequence

from temporalio.client import Client, Interceptor
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.runtime import Runtime

DATA_CONVERTER = pydantic_data_converter


async def connect(
    address: str,
    namespace: str = "default",
    *,
    interceptors: Sequence[Interceptor] = (),
    runtime: Runtime | None = None,
) -> Client:
    """`interceptors` and `runtime`: tracing and the worker's metrics endpoint (telemetry.py), when on."""
    return await Client.connect(
        address, namespace=namespace, data_converter=DATA_CONVERTER, interceptors=interceptors, runtime=runtime
    )
