"""The web workbench (issue 23): server-rendered pages at `/` over the API's own services.

The top layer beside `api/`: it imports `api` services, `domain`, `db` and `activities`, never
`workflows/` (pyproject.toml [tool.importlinter]). `mount` is the one call api/main.py makes."""

from __future__ import annotations

from fastapi import FastAPI, Request, Response
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from web.audit import router as audit_router
from web.i18n import Messages
from web.pages import router
from web.render import HERE, is_htmx, render
from web.session import CsrfRefused, SignInNeeded


async def _sign_in_first(request: Request, exc: Exception) -> Response:
    if is_htmx(request):
        return Response(status_code=200, headers={"HX-Redirect": "/login"})
    return RedirectResponse("/login", status_code=303)


async def _csrf_refused(request: Request, exc: Exception) -> Response:
    m = Messages(None)
    return render(request, "error.html", m, 403, message=m.t("error.csrf"))


def mount(app: FastAPI) -> None:
    """The pages, their stylesheet and the vendored htmx (web/static/vendor/htmx/SOURCE)."""
    app.include_router(router)
    app.include_router(audit_router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.add_exception_handler(SignInNeeded, _sign_in_first)
    app.add_exception_handler(CsrfRefused, _csrf_refused)
