"""The web workbench (issue 23): server-rendered pages at `/` over the API's own services.

The top layer beside `api/`: it imports `api` services, `domain`, `db` and `activities`, never
`workflows/` (pyproject.toml [tool.importlinter]). `mount` is the one call api/main.py makes.

Errors on a page's address are pages in the user's language (a malformed form or query, a refusal,
an unknown address); under /api/ the API keeps its JSON answers (api/errors.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from temporalio.service import RPCError

from api.errors import AppError
from web.admin_calendar import router as admin_calendar_router
from web.admin_users import router as admin_users_router
from web.apply import router as apply_router
from web.apply_borrowing import router as apply_borrowing_router
from web.apply_cases import router as apply_cases_router
from web.apply_complaint import router as apply_complaint_router
from web.apply_credit import router as apply_credit_router
from web.apply_trade import router as apply_trade_router
from web.apply_unit_customer import router as apply_unit_customer_router
from web.apply_visits import router as apply_visits_router
from web.approval_form import router as approval_form_router
from web.audit import router as audit_router
from web.bulk_approve import router as bulk_approve_router
from web.codec import router as codec_router
from web.dashboard import router as dashboard_router
from web.i18n import Messages
from web.notification_settings import router as notification_settings_router
from web.notifications import router as notifications_router
from web.pages import router
from web.render import HERE, error_page, is_htmx, render
from web.search import router as search_router
from web.session import CsrfRefused, SignInNeeded, language_of
from web.sso import router as sso_router
from web.task_actions import router as task_actions_router

Handler = Callable[[Request, Exception], Awaitable[Response]]
API_PREFIX = "/api/"


async def _sign_in_first(request: Request, exc: Exception) -> Response:
    if is_htmx(request):
        return Response(status_code=200, headers={"HX-Redirect": "/login"})
    return RedirectResponse("/login", status_code=303)


async def _csrf_refused(request: Request, exc: Exception) -> Response:
    m = Messages(await language_of(request))
    return render(request, "error.html", m, 403, message=m.t("error.csrf"))


async def _invalid_input(request: Request, exc: Exception) -> Response:
    """Each field a form or an address got wrong, named in words (never pydantic's JSON)."""
    assert isinstance(exc, RequestValidationError)
    names = [str(error["loc"][-1]) for error in exc.errors() if error.get("loc")]
    m = Messages(await language_of(request))
    return error_page(request, m, 422, m.fields(names))


async def _refused(request: Request, exc: Exception) -> Response:
    """A service's refusal outside a page's own handling (e.g. a bad cursor), or Temporal unreachable
    while a page reads a history from it (503): its status in words, never the internal text."""
    status = exc.status_code if isinstance(exc, AppError | HTTPException) else 503 if isinstance(exc, RPCError) else 500
    m = Messages(await language_of(request))
    return error_page(request, m, status, m.error(status))


def _for_pages(app: FastAPI, exc_class: type[Exception], handler: Handler) -> None:
    """`handler` for the pages; for /api/ the handler installed before it (the API's), or none."""
    previous = app.exception_handlers.get(exc_class)

    async def scoped(request: Request, exc: Exception) -> Response:
        if request.url.path.startswith(API_PREFIX):
            if previous is None:
                raise exc
            answer = previous(request, exc)
            return await answer if isinstance(answer, Awaitable) else answer
        return await handler(request, exc)

    app.add_exception_handler(exc_class, scoped)


def mount(app: FastAPI) -> None:
    """The pages, their stylesheet and the vendored htmx (web/static/vendor/htmx/SOURCE)."""
    app.include_router(router)
    app.include_router(dashboard_router)
    app.include_router(audit_router)
    app.include_router(approval_form_router)
    app.include_router(admin_calendar_router)
    app.include_router(admin_users_router)
    app.include_router(task_actions_router)
    app.include_router(bulk_approve_router)
    app.include_router(notifications_router)
    app.include_router(notification_settings_router)
    app.include_router(search_router)
    app.include_router(apply_router)
    app.include_router(apply_cases_router)
    app.include_router(apply_complaint_router)
    app.include_router(apply_credit_router)
    app.include_router(codec_router)  # issue 24 §1: the Temporal UI's codec server
    app.include_router(sso_router)
    app.include_router(apply_unit_customer_router)
    app.include_router(apply_borrowing_router)
    app.include_router(apply_visits_router)
    app.include_router(apply_trade_router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.add_exception_handler(SignInNeeded, _sign_in_first)
    app.add_exception_handler(CsrfRefused, _csrf_refused)
    _for_pages(app, RequestValidationError, _invalid_input)
    _for_pages(app, AppError, _refused)
    _for_pages(app, HTTPException, _refused)
    _for_pages(app, RPCError, _refused)
