"""The benchmark's codec-off side only (`python -m benchmarks.decisions --codec both`): runs the worker
or the API with Temporal payloads in clear, to measure what sealing (sealing.py) costs.

    python -m benchmarks.unsealed worker.py
    python -m benchmarks.unsealed -m uvicorn api.main:app --port 8001

`connect` (temporal_client.py) reads `DATA_CONVERTER` when it is called, so replacing it before the
worker or the API starts leaves every payload they write unsealed; nothing else changes. Never a way
to run the product: there is no setting that turns sealing off.
"""

from __future__ import annotations

import runpy
import sys

from temporalio.contrib.pydantic import pydantic_data_converter

import temporal_client


def main() -> None:
    temporal_client.DATA_CONVERTER = pydantic_data_converter
    args = sys.argv[1:]
    if args[:1] == ["-m"]:
        sys.argv = [args[1], *args[2:]]
        runpy.run_module(args[1], run_name="__main__", alter_sys=True)
    else:
        sys.argv = args
        runpy.run_path(args[0], run_name="__main__")


if __name__ == "__main__":
    main()
