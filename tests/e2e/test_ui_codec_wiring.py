"""Issue 24 §1: the dev server `make run` starts points its Temporal UI at the API's codec server."""

from __future__ import annotations

import subprocess
import time

import httpx

from scripts.temporal_dev import dev_server_command
from tests.e2e.test_make_run_stack import free_port


def test_the_dev_servers_ui_asks_the_apis_codec_server() -> None:
    port, ui_port = free_port(), free_port()
    codec = "http://127.0.0.1:8000/codec"
    server = subprocess.Popen(dev_server_command(None, port, ui_port, codec), stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                settings = httpx.get(f"http://127.0.0.1:{ui_port}/api/v1/settings", timeout=2).json()
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "the dev server's UI did not answer"
                time.sleep(0.3)
        assert settings["Codec"]["Endpoint"] == codec
    finally:
        server.terminate()
        server.wait(timeout=30)
