"""What each applicant's form (web/apply*.py) does with what was typed: read the answers, validate
them as the API route's own body, hand them to the route's own service, and either open
我发起的 on the new case or show the form again as typed with each refusal beside its field."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol, TypeVar

from fastapi import Request, Response
from pydantic import BaseModel, ValidationError

from api.errors import AppError
from api.visibility import Viewer
from web.apply_form import FORM_LEVEL, invalid_fields
from web.i18n import Messages
from web.pages import go, refusal_words
from web.render import render

T = TypeVar("T", bound=BaseModel)
Errors = dict[str, list[str]]
Answers = dict[str, str]
Show = Callable[[int, Errors], Response]  # the form again, as typed, with these refusals


class Started(Protocol):
    @property
    def process_id(self) -> str: ...


async def answers(request: Request) -> Answers:
    """The form's text answers (a file part, which no form here has, is ignored)."""
    return {key: value for key, value in (await request.form()).items() if isinstance(value, str)}


def correction_note(m: Messages, form: Answers, bound: int) -> tuple[str | None, Errors]:
    """A resubmission's note on what was corrected (`comment`, optional) and its refusal beside it
    when longer than the resubmission's body takes."""
    note = form.get("comment", "").strip() or None
    if note is not None and len(note) > bound:
        return note, {"comment": [m.t("apply.comment.too_long", n=bound)]}
    return note, {}


def form_page(
    request: Request,
    template: str,
    m: Messages,
    viewer: Viewer,
    status: int,
    values: dict[str, Any],
    errors: Errors,
    **context: Any,
) -> Response:
    return render(
        request, template, m, status, viewer=viewer, values=values, errors=errors, form_level=FORM_LEVEL, **context
    )


class FormPage(Protocol):
    def __call__(
        self,
        request: Request,
        m: Messages,
        viewer: Viewer,
        status: int = 200,
        values: Answers | None = None,
        errors: Errors | None = None,
        **more: Any,
    ) -> Response: ...


def page_of(template: str, **context: Any) -> FormPage:
    """A form's page: `template` with `context` (and what a request adds, `more`), the answers so far
    and the refusals beside them."""

    def page(
        request: Request,
        m: Messages,
        viewer: Viewer,
        status: int = 200,
        values: Answers | None = None,
        errors: Errors | None = None,
        **more: Any,
    ) -> Response:
        return form_page(request, template, m, viewer, status, values or {}, errors or {}, **context, **more)

    return page


async def file_answers(
    request: Request,
    m: Messages,
    model: type[T],
    body: dict[str, Any],
    rows: Sequence[str],
    show: Show,
    file: Callable[[T], Awaitable[Started]],
    beside: Callable[[AppError], Errors] | None = None,
) -> Response:
    """`body` validated as `model` and handed to `file`; `rows` names the row of each of its
    `documents`; `beside` places a service's refusal (default: above the form)."""
    try:
        parsed = model.model_validate(body)
    except ValidationError as invalid:
        return show(422, invalid_fields(invalid, rows))
    try:
        started = await file(parsed)
    except AppError as refused:
        return show(refused.status_code, beside(refused) if beside else {FORM_LEVEL: [refusal_words(m, refused)]})
    return go(request, f"/?tab=mine&after={started.process_id}")
