"""The API docs (`/docs`, `/redoc`) with every asset served by the app itself (issue 23).

FastAPI's own pages load Swagger UI and ReDoc from a CDN, so on an offline intranet they stay blank.
The assets come from the `fastapi-offline` package (MIT; it ships Swagger UI, Apache-2.0, and
ReDoc, MIT, as released upstream): only its files are used, the pages are FastAPI's own
`get_swagger_ui_html` / `get_redoc_html` pointed at them. The pages are plain Starlette routes, as
FastAPI's defaults are, so they stay out of the OpenAPI schema and the API's route list.
"""

from __future__ import annotations

from importlib.resources import files

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.staticfiles import StaticFiles
from starlette.requests import Request
from starlette.responses import HTMLResponse

DOCS_URL = "/docs"
REDOC_URL = "/redoc"
OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"
ASSETS_URL = "/docs-assets"
ASSETS_DIR = files("fastapi_offline") / "static"
# Swagger UI asks validator.swagger.io for a badge unless told not to: no outside host is asked.
SWAGGER_UI_PARAMETERS = {"validatorUrl": None}


def install(app: FastAPI) -> None:
    """Serve the docs pages and their assets; `app` must be built with `docs_url=None, redoc_url=None`."""
    app.mount(ASSETS_URL, StaticFiles(directory=str(ASSETS_DIR)), name="docs-assets")
    openapi_url = app.openapi_url or "/openapi.json"

    def urls(request: Request) -> tuple[str, str, str]:
        """The schema, the assets and the OAuth2 redirect, under the app's root path (behind a proxy)."""
        root = request.scope.get("root_path", "")
        return f"{root}{openapi_url}", f"{root}{ASSETS_URL}", f"{root}{OAUTH2_REDIRECT_URL}"

    async def swagger_ui(request: Request) -> HTMLResponse:
        schema, assets, redirect = urls(request)
        parameters = {**(app.swagger_ui_parameters or {}), **SWAGGER_UI_PARAMETERS}
        return get_swagger_ui_html(
            openapi_url=schema,
            title=f"{app.title} - Swagger UI",
            oauth2_redirect_url=redirect,
            swagger_js_url=f"{assets}/swagger-ui-bundle.js",
            swagger_css_url=f"{assets}/swagger-ui.css",
            swagger_favicon_url=f"{assets}/favicon.png",
            swagger_ui_parameters=parameters,
        )

    async def oauth2_redirect(_request: Request) -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    async def redoc(request: Request) -> HTMLResponse:
        schema, assets, _ = urls(request)
        page = {"openapi_url": schema, "title": f"{app.title} - ReDoc", "redoc_favicon_url": f"{assets}/favicon.png"}
        return get_redoc_html(**page, redoc_js_url=f"{assets}/redoc.standalone.js", with_google_fonts=False)

    app.add_route(DOCS_URL, swagger_ui, include_in_schema=False)
    app.add_route(OAUTH2_REDIRECT_URL, oauth2_redirect, include_in_schema=False)
    app.add_route(REDOC_URL, redoc, include_in_schema=False)
