"""What each web form sends, bounded like the columns and API bodies it feeds (tests/test_models_match_columns.py)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from domain.approvals import Outcome
from domain.text import StoredText

CsrfField = Field(default="", max_length=200, description="the page's CSRF token (web/session.py)")


class SignInForm(BaseModel):
    username: StoredText = Field(max_length=80)  # users.username
    password: str = Field(max_length=1000)
    csrf_token: str = CsrfField


class DecisionForm(BaseModel):
    """As POST /api/v1/tasks/{id}/decision's body (api/routes/tasks.py DecisionIn)."""

    outcome: Outcome
    comment: StoredText | None = Field(default=None, max_length=2000)
    csrf_token: str = CsrfField


class LocaleForm(BaseModel):
    locale: Literal["zh", "en"]  # web/i18n.py LOCALES
    # back to a page of this site only: a path, never `//host` or `/\\host`
    next: str = Field(default="/", max_length=500, pattern=r"^/([^/\\].*)?$")
    csrf_token: str = CsrfField


class CsrfOnlyForm(BaseModel):
    csrf_token: str = CsrfField
