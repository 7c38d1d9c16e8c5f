"""What each web form sends, bounded like the columns and API bodies it feeds (tests/test_models_match_columns.py)."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field

from domain.approvals import Outcome
from domain.text import StoredText, Username

# A path of this site: printable ASCII without space or backslash, starting with one `/` and with no
# `//` anywhere — never `//host`, `/\\host` or `/<TAB>/host` (browsers drop the tab and read `//host`).
_SAME_SITE_PATH = re.compile(r"/[!-\[\]-~]*")


def same_site_path(value: str) -> str:
    if not _SAME_SITE_PATH.fullmatch(value) or "//" in value:
        raise ValueError("not a path of this site")
    return value


SameSitePath = Annotated[str, AfterValidator(same_site_path)]


def usernames(value: object) -> object:
    """One field "a, b c" read as ["a", "b", "c"]; a repeated field's list as sent."""
    if isinstance(value, str):
        return [name for name in re.split(r"[\s,，;；]+", value) if name]
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], str):
        return usernames(value[0])
    return value


CsrfField = Field(default="", max_length=200, description="the page's CSRF token (web/session.py)")


class SignInForm(BaseModel):
    username: StoredText = Field(max_length=80)  # users.username
    password: str = Field(max_length=1000)
    csrf_token: str = CsrfField


class DecisionForm(BaseModel):
    """As POST /api/v1/tasks/{id}/decision's body (api/routes/tasks.py DecisionIn)."""

    outcome: Outcome
    comment: StoredText | None = Field(default=None, max_length=2000)
    # with outcome return: an earlier step's key; empty: to the applicant
    return_to: StoredText | None = Field(default=None, max_length=60)
    # 抄送: usernames separated by commas or spaces, as the API's `cc` (at most 20)
    cc: Annotated[list[Username], BeforeValidator(usernames)] = Field(default_factory=list, max_length=20)
    csrf_token: str = CsrfField


class LocaleForm(BaseModel):
    locale: Literal["zh", "en"]  # web/i18n.py LOCALES
    # back to a page of this site only (same_site_path)
    next: SameSitePath = Field(default="/", max_length=500)
    csrf_token: str = CsrfField


class CsrfOnlyForm(BaseModel):
    csrf_token: str = CsrfField
