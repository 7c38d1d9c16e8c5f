"""The browsers a web test opened, closed after it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from tests.support import Api
from tests.web.pages_support import Browser


@pytest_asyncio.fixture(loop_scope="session")
async def browsers(api: Api) -> AsyncIterator[list[Browser]]:
    opened: list[Browser] = []
    yield opened
    for browser in opened:
        await browser.close()
