"""Benchmark: what sealing costs one decision (issue 24 §1, "performance is not given back").

    python -m benchmarks.codec [--rounds 2000]

The end-to-end figure is `python -m benchmarks.decisions --codec both`; on two shared cores its
sequential p50 moves by ±30% from one run to the next whatever the codec does, so this measures the
codec's own work instead, with the payloads a decision really carries: the decision request an
onboarding's `decide` update takes (actor, outcome, comment), its result, and the process's state
(the biggest payload a decision's workflow task moves), each sealed and opened as the client and
the worker do. Prints microseconds per payload and per decision. Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import time

from sealing import DEMO_KEY, DEMO_KEY_ID, KeyRing, SealingCodec
from temporal_client import DATA_CONVERTER
from tests.support import application

# Payloads one decision writes: the saved sealed onboarding (`tests/histories/onboarding_sealed_approved.json`)
# holds 25 payloads for its start and 4 decisions, 5 each; each is sealed once, opened once or twice
# (the worker, the API reading a result), so twice that many seal + open is a generous bound.
PAYLOADS_PER_DECISION = 10


def decision_payloads() -> list[object]:
    body = application("91410100MA0000001X")
    request = {
        "actor": {"username": "marketing_reviewer", "roles": ["marketing_reviewer"], "unit": "HQ"},
        "outcome": "approve",
        "comment": "证照齐全，同意建档",
        "task_id": "onboarding-91410100MA0000001X:marketing_review:1",
    }
    return [request, {"status": "in_review", "step": "finance_review"}, body]


async def measure(rounds: int) -> None:
    codec = SealingCodec(KeyRing([(DEMO_KEY_ID, DEMO_KEY)]))
    payloads = DATA_CONVERTER.payload_converter.to_payloads(decision_payloads())
    sizes = [len(p.SerializeToString()) for p in payloads]
    started = time.perf_counter()
    for _ in range(rounds):
        await codec.decode(await codec.encode(payloads))
    seconds = time.perf_counter() - started
    per_payload_us = seconds / (rounds * len(payloads)) * 1e6
    print(f"payload sizes (bytes): {sizes}")
    print(f"seal + open: {per_payload_us:.1f} µs per payload ({rounds} rounds of {len(payloads)})")
    print(
        f"per decision (~{PAYLOADS_PER_DECISION} payloads): {per_payload_us * PAYLOADS_PER_DECISION / 1000:.3f} ms"
        " of the sequential decision's ~20 ms p50 (benchmarks/decisions.py)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=2000)
    asyncio.run(measure(parser.parse_args().rounds))


if __name__ == "__main__":
    main()
