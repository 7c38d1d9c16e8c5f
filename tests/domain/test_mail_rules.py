"""The pure rules of e-mail notifications (domain/mail.py): which notices become mail, whose holders
a role reaches, the links, the address check, and the words in each language."""

from __future__ import annotations

import re

import pytest

from domain.mail import (
    EMAIL_PATTERN,
    MESSAGES,
    MailKind,
    case_link,
    compose,
    mail_kind,
    role_unit,
    task_link,
    words,
)
from domain.roles import Role


@pytest.mark.parametrize(
    ("notification", "mail"),
    [
        ("task_opened", MailKind.task),
        ("reminder", MailKind.reminder),
        ("urge", MailKind.reminder),
        ("escalation", MailKind.escalation),
        ("decided", MailKind.decision),
        ("credit_granted", MailKind.decision),
        ("cc", None),
        ("report", None),
        ("step_note", None),
        ("store_failed", None),
    ],
)
def test_which_notices_become_mail(notification: str, mail: MailKind | None) -> None:
    assert mail_kind(notification) is mail


def test_a_unit_role_reaches_its_unit_a_head_office_role_everyone() -> None:
    assert role_unit(Role.depot_manager, "DEPOT-ZZ") == "DEPOT-ZZ"
    assert role_unit(Role.marketing_manager, "DEPOT-ZZ") is None


def test_links_are_absolute_and_quoted() -> None:
    assert task_link("https://a.example.cn/", "p:1/2") == "https://a.example.cn/tasks/p%3A1%2F2"
    assert case_link("https://a.example.cn", "abc") == "https://a.example.cn/apply/cases/abc"


@pytest.mark.parametrize(
    ("address", "valid"),
    [
        ("li.lei@example.cn", True),
        ("a+b@sub.example.com.cn", True),
        ("a@b", False),
        ("two words@example.cn", False),
        ("a@example.cn\r\nBcc: x@example.cn", False),
        ("a@example.cn\n", False),
        ("a@example.cn, b@example.cn", False),
        ("张三@example.cn", False),
    ],
)
def test_one_plain_address_only(address: str, valid: bool) -> None:
    assert bool(re.fullmatch(EMAIL_PATTERN, address)) is valid


def test_every_word_in_both_languages_and_english_only_when_chosen() -> None:
    assert all(chinese and english for chinese, english in MESSAGES.values())
    assert words("subject.task", "en", subject="x") == "[To do] x"
    assert words("subject.task", None, subject="x") == words("subject.task", "zh", subject="x") == "【待办】x"


def test_a_decision_says_its_outcome_and_the_subject_stays_one_line() -> None:
    subject, body = compose(MailKind.decision, "en", "Li Lei", "客户准入\r\nBcc: x", "https://a/x", "rejected")
    assert subject == "[Decision] 客户准入 Bcc: x"
    assert body.startswith("Dear Li Lei,") and "Outcome: rejected" in body and "Open: https://a/x" in body
