"""The API docs work on an offline intranet (issue 23): `/docs` and `/redoc` load every script,
stylesheet and icon from the app itself, and name no other host.

The real app over ASGI; the pages need neither the database nor Temporal, so no lifespan runs.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from html.parser import HTMLParser

import httpx
import pytest
import pytest_asyncio

from api.main import create_app
from settings import Settings

pytestmark = pytest.mark.asyncio(loop_scope="session")

PAGES = ("/docs", "/redoc", "/docs/oauth2-redirect")
CONTENT_TYPES = {".js": ("text/javascript", "application/javascript"), ".css": ("text/css",), ".png": ("image/png",)}


class AssetLinks(HTMLParser):
    """Every URL a browser would fetch to show the page: scripts, stylesheets, icons, images."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        url = {"script": found.get("src"), "link": found.get("href"), "img": found.get("src")}.get(tag)
        if url:
            self.urls.append(url)


@pytest_asyncio.fixture(loop_scope="session")
async def http() -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(app_env="demo", database_url="sqlite://"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        yield client


def asset_urls(html: str) -> list[str]:
    parser = AssetLinks()
    parser.feed(html)
    return parser.urls


@pytest.mark.parametrize("page", PAGES)
async def test_docs_pages_name_no_other_host(http: httpx.AsyncClient, page: str) -> None:
    response = await http.get(page)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert re.findall(r"https?://[^\s\"'<>]+", response.text) == []


@pytest.mark.parametrize("page", ("/docs", "/redoc"))
async def test_every_asset_of_the_docs_is_served_by_the_app(http: httpx.AsyncClient, page: str) -> None:
    urls = asset_urls((await http.get(page)).text)
    assert any(url.endswith(".js") for url in urls), urls
    for url in urls:
        assert url.startswith("/"), f"{page} loads {url} from elsewhere"
        asset = await http.get(url)
        assert asset.status_code == 200, url
        suffix = url[url.rfind(".") :]
        assert asset.headers["content-type"].split(";")[0] in CONTENT_TYPES[suffix], (url, asset.headers)
        assert len(asset.content) > 1000, url


async def test_swagger_ui_asks_no_online_validator(http: httpx.AsyncClient) -> None:
    """Swagger UI would fetch a badge from validator.swagger.io: the page switches that off."""
    assert '"validatorUrl": null' in (await http.get("/docs")).text


async def test_the_docs_stay_out_of_the_openapi_schema(http: httpx.AsyncClient) -> None:
    paths = (await http.get("/openapi.json")).json()["paths"]
    assert not [path for path in paths if not path.startswith("/api/v1/")]
