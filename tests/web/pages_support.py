"""A browser without a browser: a cookie jar of its own over the real app (ASGI), reading the CSRF
token from each page as a person's browser would send it back."""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.support import Api

CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


class Browser:
    def __init__(self, api: Api, base_url: str = "http://test") -> None:
        self.api = api
        self.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=api.app), base_url=base_url, timeout=60)
        self.csrf = ""

    async def get(self, url: str, **kw: Any) -> httpx.Response:
        response = await self.http.get(url, **kw)
        found = CSRF.search(response.text)
        if found:
            self.csrf = found[1]
        return response

    async def post(self, url: str, data: dict[str, str], *, csrf: bool = True, **kw: Any) -> httpx.Response:
        form = {**data, "csrf_token": self.csrf} if csrf else data
        return await self.http.post(url, data=form, **kw)

    async def sign_in(self, username: str, password: str = "demo") -> httpx.Response:
        await self.get("/login")
        response = await self.post("/login", {"username": username, "password": password})
        assert response.status_code == 303, response.text
        await self.get("/")
        return response

    async def close(self) -> None:
        await self.http.aclose()


def count_of(page: str, tab: str) -> int:
    """The number a workbench tab shows."""
    found = re.search(rf'id="tab-{tab}".*?data-count="(\d+)"', page, re.S)
    assert found, f"no tab {tab}"
    return int(found[1])


def open_browser(api: Api, browsers: list[Browser]) -> Browser:
    """A browser of its own, closed after the test (the `browsers` fixture of tests/web/conftest.py)."""
    browser = Browser(api)
    browsers.append(browser)
    return browser


async def signed_in(api: Api, browsers: list[Browser], username: str) -> Browser:
    browser = open_browser(api, browsers)
    await browser.sign_in(username)
    return browser
