"""The web workbench's pages (issue 23, first slice): sign-in and sign-out, the workbench tabs
待办 / 已办 / 我发起的 / 抄送我的, a task's page with approve / reject / return, the language switch.

Each page is a few lines over the services the API calls: the password check (api/services/sign_in.py),
the inbox and lists (api/services/inbox.py, api/services/workbench.py), visibility (api/visibility), the
history (api/audit.py) and the decision update (api/services/decisions.py). No rule is written here."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from activities.calendar import load_calendar
from api.audit import best_history
from api.deps import SessionDep, SettingsDep, TemporalDep
from api.errors import AppError, NotFound, Unauthorized
from api.gateway import handle_for
from api.services.decisions import decide_task
from api.services.inbox import InboxQuery, holders_of, inbox_page
from api.services.sign_in import TooManyFailures, authenticate
from api.services.task_case import customer_card, steps_ahead, steps_before
from api.services.workbench import Row, Tab, page
from api.visibility import Viewer, get_process, get_task
from db.models import Process, Task, User
from domain.calendar import WorkingCalendar
from web.forms import CsrfOnlyForm, DecisionForm, LocaleForm, SignInForm
from web.i18n import Messages
from web.render import is_htmx, messages_for, render
from web.session import Csrf, WebViewer, sign_in, sign_out

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


def words(detail: Any) -> str:
    """An API refusal's detail as a sentence: a list of problems joined, never raw JSON."""
    if isinstance(detail, list):
        return "; ".join(words(item.get("msg", item) if isinstance(item, dict) else item) for item in detail)
    return str(detail)


def go(request: Request, to: str) -> Response:
    """After a form: htmx follows HX-Redirect, a plain browser a 303."""
    if is_htmx(request):
        return Response(status_code=200, headers={"HX-Redirect": to})
    return RedirectResponse(to, status_code=303)


# --- signing in and out --------------------------------------------------------------------------


@router.get("/login")
async def login_page(request: Request, lang: Annotated[str | None, Query(max_length=2)] = None) -> Response:
    return render(request, "login.html", Messages(lang))


@router.post("/login", dependencies=[Csrf])
async def login(
    request: Request, form: Annotated[SignInForm, Form()], session: SessionDep, settings: SettingsDep
) -> Response:
    client = request.client.host if request.client else "unknown"
    m = Messages(None)
    try:
        user = await authenticate(session, settings, request.app.state.passwords, form.username, form.password, client)
    except Unauthorized:
        return render(request, "login.html", m, 401, error=m.t("sign_in.wrong"), username=form.username)
    except TooManyFailures as refused:
        error = m.t("sign_in.throttled", wait=refused.wait)
        return render(request, "login.html", m, 429, error=error, username=form.username)
    response = RedirectResponse("/", status_code=303)
    await sign_in(session, request, response, settings, user.username)
    return response


@router.post("/logout", dependencies=[Csrf])
async def logout(
    request: Request, form: Annotated[CsrfOnlyForm, Form()], session: SessionDep, settings: SettingsDep
) -> Response:
    response = RedirectResponse("/login", status_code=303)
    await sign_out(session, request, response, settings)
    return response


@router.post("/locale", dependencies=[Csrf])
async def switch_language(
    request: Request, form: Annotated[LocaleForm, Form()], viewer: WebViewer, session: SessionDep
) -> Response:
    """The choice is the user's (users.locale): every page and every later sign-in keeps it."""
    await session.execute(update(User).where(User.username == viewer.username).values(locale=form.locale))
    return go(request, form.next)


# --- the workbench ---------------------------------------------------------------------------------


def due_label(m: Messages, calendar: WorkingCalendar, row: Row, now: datetime) -> str:
    """Overdue, or the working days left by the product's calendar (domain/calendar.py)."""
    if row.due_at is None or row.task_id is None or row.status != "open":
        return ""
    if row.overdue:
        return m.t("due.overdue")
    left = calendar.working_days_left(now, row.due_at)
    return m.t("due.left", n=left) if left else m.t("due.today")


async def _after_decision(session: AsyncSession, viewer: Viewer, process_id: str | None, m: Messages) -> str | None:
    """What a decision led to, read back as the decider may see it: the process's status and step."""
    if not process_id:
        return None
    try:
        process = await get_process(session, viewer, process_id)
    except NotFound:
        return None
    step = m.step(process.process_type, process.current_step)
    status = m.status(process.status)
    return m.t("after.decision", subject=process.subject, status=status, step=f" · {step}" if step else "")


@router.get("/")
async def workbench(
    request: Request,
    viewer: WebViewer,
    session: SessionDep,
    settings: SettingsDep,
    tab: Tab = Tab.todo,
    cursor: Annotated[str | None, Query(max_length=4000)] = None,
    after: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    m = await messages_for(session, viewer.username)
    listing = await page(session, viewer, tab, cursor)
    calendar = await load_calendar(session, settings.office_hours())
    now = datetime.now(UTC)
    rows = [(row, due_label(m, calendar, row, now), m.waited(row.since, now)) for row in listing.rows]
    notice = await _after_decision(session, viewer, after, m)
    name = "_workbench.html" if is_htmx(request) else "workbench.html"
    return render(request, name, m, viewer=viewer, tab=tab, tabs=list(Tab), listing=listing, rows=rows, notice=notice)


# --- a task ----------------------------------------------------------------------------------------


async def _task_context(session: AsyncSession, temporal: Client, viewer: Viewer, task_id: str) -> dict[str, Any]:
    """The case around a task: 404 (NotFound) unless api/visibility lets the viewer read it."""
    task = await get_task(session, viewer, task_id)
    process = await get_process(session, viewer, task.process_id)
    return {"task": task, **await case_context(session, temporal, viewer, process)}


async def case_context(session: AsyncSession, temporal: Client, viewer: Viewer, process: Process) -> dict[str, Any]:
    """A case as its readers see it: its history, who holds it now and the steps ahead."""
    history = await best_history(session, handle_for(temporal, process), process.process_id)
    open_tasks = list(
        await session.scalars(
            select(Task).where(Task.process_id == process.process_id, Task.status == "open").order_by(Task.created_at)
        )
    )
    return {
        "process": process,
        "history": [entry for entry in history if entry.action != "task_opened"],
        "holders": holders_of(open_tasks),
        "ahead": await steps_ahead(session, process),
        "card": await customer_card(session, viewer, process),
        "earlier": steps_before(process),
        "viewer": viewer,
    }


def _not_found(request: Request, m: Messages, refused: AppError) -> Response:
    return render(request, "error.html", m, refused.status_code, message=m.error(refused.status_code))


def refusal_words(m: Messages, refused: AppError) -> str:
    """A refusal in the user's words; a rule's own reason (it names the article) follows a 4xx, but
    never the internal text of a failure (a 5xx: e.g. the RPC error of an unreachable Temporal)."""
    if refused.status_code >= 500:
        return m.error(refused.status_code)
    return f"{m.error(refused.status_code)}: {words(refused.detail)}"


@router.get("/tasks/{task_id}")
async def task_page(
    task_id: Annotated[str, Path(max_length=64)],
    request: Request,
    viewer: WebViewer,
    session: SessionDep,
    temporal: TemporalDep,
    after: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    m = await messages_for(session, viewer.username)
    try:
        context = await _task_context(session, temporal, viewer, task_id)
    except NotFound as refused:
        return _not_found(request, m, refused)
    return render(request, "task.html", m, notice=await _after_decision(session, viewer, after, m), **context)


@router.post("/tasks/{task_id}/decision", dependencies=[Csrf])
async def decide(
    task_id: Annotated[str, Path(max_length=64)],
    request: Request,
    form: Annotated[DecisionForm, Form()],
    viewer: WebViewer,
    session: SessionDep,
    temporal: TemporalDep,
) -> Response:
    """The API's own decision (api/services/decisions.py); a refusal is shown in words beside the form, and
    after an accepted decision the next task of the inbox opens (or the workbench, saying where
    the process went)."""
    m = await messages_for(session, viewer.username)
    try:
        state = await decide_task(
            session, viewer, temporal, task_id, form.outcome, form.comment, form.return_to or None, form.cc
        )
    except AppError as refused:
        if isinstance(refused, NotFound):
            return _not_found(request, m, refused)
        error = refusal_words(m, refused)
        try:
            context = await _task_context(session, temporal, viewer, task_id)
        except AppError as unreadable:  # the task vanished from the viewer's sight meanwhile
            return render(request, "error.html", m, unreadable.status_code, message=error)
        name = "_decision.html" if is_htmx(request) else "task.html"
        return render(request, name, m, refused.status_code, error=error, comment=form.comment or "", **context)
    following = await inbox_page(session, viewer, InboxQuery(limit=1, with_counts=False))
    after = f"after={state.process_id}"
    if following.items:
        return go(request, f"/tasks/{following.items[0].task_id}?{after}")
    return go(request, f"/?{after}")
