"""Every action the engine offers on a task besides the decision (issue 23 "Approvers"): delegate
(委托), transfer (转办), add a signer before or after (加签), claim and unclaim a role task — and
bulk approve from the 待办 list.

Each handler is a few lines over the API's own services (api/services/task_actions.py): the form
is read against the API's own body model (api/routes/tasks.py), so a field the API requires (an
add-signer's reason) is required here by the same declaration, and the refusal — the body model's
or the workflow's (403/404/409/422, the article named) — is shown in words beside the field it
concerns, never as JSON. Who may read the task is api/visibility's (404 page otherwise)."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Form, Path, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from api.deps import SessionDep, TemporalDep
from api.errors import AppError, NotFound
from api.routes.tasks import AddSignerIn, HandOverIn
from api.services import task_actions as actions
from api.visibility import Viewer
from domain.models import HandOverKind
from domain.text import StoredText
from web.forms import CsrfField
from web.i18n import Messages
from web.pages import _task_context, go, refusal_words
from web.render import error_page, is_htmx, messages_for, render
from web.session import Csrf, WebViewer

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

TaskId = Annotated[str, Path(max_length=64)]
Body = TypeVar("Body", bound=BaseModel)


class HandOverForm(BaseModel):
    """As HandOverIn; an empty field is let through here so the API's model names it beside the field."""

    to: StoredText = Field(default="", max_length=80)  # users.username
    comment: StoredText = Field(default="", max_length=2000)
    csrf_token: str = CsrfField


class AddSignerForm(BaseModel):
    """As AddSignerIn (its reason is required: refused beside the field when empty)."""

    signer: StoredText = Field(default="", max_length=80)  # users.username
    position: StoredText = Field(default="before", max_length=10)
    reason: StoredText = Field(default="", max_length=2000)
    csrf_token: str = CsrfField


class ClaimForm(BaseModel):
    csrf_token: str = CsrfField


class Refused(Exception):
    """A refusal of one action, field by field (the field the words are shown beside)."""

    def __init__(self, status: int, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.status = status
        self.errors = errors


def body_of(model: type[Body], m: Messages, values: dict[str, Any]) -> Body:
    """The API's body model over the form's values: its refusal per field, in words (422)."""
    try:
        return model.model_validate({name: value for name, value in values.items() if value != ""})
    except ValidationError as invalid:
        errors: dict[str, str] = {}
        for error in invalid.errors():
            field = str(error["loc"][0]) if error.get("loc") else "form"
            missing = error["type"] == "missing"
            errors.setdefault(field, m.t("action.required") if missing else f"{m.error(422)}: {error['msg']}")
        raise Refused(422, errors) from invalid


async def _answer(
    request: Request,
    session: AsyncSession,
    temporal: Client,
    viewer: Viewer,
    m: Messages,
    task_id: str,
    action: str,
    refused: Refused,
    values: dict[str, Any],
) -> Response:
    """The refused form again, its words beside the field: the action's section to htmx, else the page."""
    try:
        context = await _task_context(session, temporal, viewer, task_id)
    except AppError:  # the task left the viewer's sight (a colleague claimed it first): the words alone
        return error_page(request, m, refused.status, "; ".join(refused.errors.values()))
    shown = {"action_errors": {action: refused.errors}, "action_values": {action: values}, **context}
    name = f"_action_{action}.html" if is_htmx(request) else "task.html"
    return render(request, name, m, refused.status, **shown)


def _as_refusal(m: Messages, refused: AppError, field: str) -> Refused:
    return Refused(refused.status_code, {field: refusal_words(m, refused)})


def _not_found_page(request: Request, m: Messages) -> Response:
    return render(request, "error.html", m, 404, message=m.error(404))


async def _hand_over(
    kind: HandOverKind,
    task_id: str,
    request: Request,
    form: HandOverForm,
    viewer: Viewer,
    session: AsyncSession,
    temporal: Client,
) -> Response:
    m = await messages_for(session, viewer.username)
    values = {"to": form.to, "comment": form.comment}
    try:
        body = body_of(HandOverIn, m, values)
        answer = await actions.hand_over(session, viewer, temporal, kind, task_id, body.to, body.comment)
    except NotFound:
        return _not_found_page(request, m)
    except AppError as refused:
        return await _answer(
            request, session, temporal, viewer, m, task_id, "hand_over", _as_refusal(m, refused, "to"), values
        )
    except Refused as refused:
        return await _answer(request, session, temporal, viewer, m, task_id, "hand_over", refused, values)
    return go(request, f"/?after={answer.process_id}")


@router.post("/tasks/{task_id}/delegate", dependencies=[Csrf])
async def delegate(
    task_id: TaskId,
    request: Request,
    form: Annotated[HandOverForm, Form()],
    viewer: WebViewer,
    session: SessionDep,
    temporal: TemporalDep,
) -> Response:
    """委托: the task goes to a colleague of the step's role and comes back to me to decide."""
    return await _hand_over(HandOverKind.delegate, task_id, request, form, viewer, session, temporal)


@router.post("/tasks/{task_id}/transfer", dependencies=[Csrf])
async def transfer(
    task_id: TaskId,
    request: Request,
    form: Annotated[HandOverForm, Form()],
    viewer: WebViewer,
    session: SessionDep,
    temporal: TemporalDep,
) -> Response:
    """转办: the task moves to a colleague of the step's role for good."""
    return await _hand_over(HandOverKind.transfer, task_id, request, form, viewer, session, temporal)


@router.post("/tasks/{task_id}/add-signer", dependencies=[Csrf])
async def add_signer(
    task_id: TaskId,
    request: Request,
    form: Annotated[AddSignerForm, Form()],
    viewer: WebViewer,
    session: SessionDep,
    temporal: TemporalDep,
) -> Response:
    """加签 before me (the task comes back after the signer) or after this step; a reason required."""
    m = await messages_for(session, viewer.username)
    values = {"signer": form.signer, "position": form.position, "reason": form.reason}
    try:
        body = body_of(AddSignerIn, m, values)
        answer = await actions.add_signer(session, viewer, temporal, task_id, body.signer, body.position, body.reason)
    except NotFound:
        return _not_found_page(request, m)
    except AppError as refused:
        return await _answer(
            request, session, temporal, viewer, m, task_id, "add_signer", _as_refusal(m, refused, "signer"), values
        )
    except Refused as refused:
        return await _answer(request, session, temporal, viewer, m, task_id, "add_signer", refused, values)
    return go(request, f"/?after={answer.process_id}")


async def _claim(
    task_id: str, release: bool, request: Request, viewer: Viewer, session: AsyncSession, temporal: Client
) -> Response:
    m = await messages_for(session, viewer.username)
    try:
        await actions.claim(session, viewer, temporal, task_id, release)
    except NotFound:
        return _not_found_page(request, m)
    except AppError as refused:
        return await _answer(
            request, session, temporal, viewer, m, task_id, "claim", _as_refusal(m, refused, "claim"), {}
        )
    return go(request, f"/tasks/{task_id}")


@router.post("/tasks/{task_id}/claim", dependencies=[Csrf])
async def claim(
    task_id: TaskId,
    request: Request,
    form: Annotated[ClaimForm, Form()],
    viewer: WebViewer,
    session: SessionDep,
    temporal: TemporalDep,
) -> Response:
    """Take a role task for myself: it leaves my colleagues' inboxes until I release or decide it."""
    return await _claim(task_id, False, request, viewer, session, temporal)


@router.post("/tasks/{task_id}/unclaim", dependencies=[Csrf])
async def unclaim(
    task_id: TaskId,
    request: Request,
    form: Annotated[ClaimForm, Form()],
    viewer: WebViewer,
    session: SessionDep,
    temporal: TemporalDep,
) -> Response:
    """Give a claimed task back to every holder of its role."""
    return await _claim(task_id, True, request, viewer, session, temporal)
