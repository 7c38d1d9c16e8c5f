"""The web's words (web/i18n.py): each in both languages with the same placeholders; the domain's
declared titles split into their Chinese and English halves."""

from __future__ import annotations

import string
from datetime import UTC, datetime

import pytest

from web.i18n import MESSAGES, STEP_TITLES, TYPE_TITLES, Messages, bilingual


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_message_is_in_both_languages_with_the_same_placeholders() -> None:
    for key, (zh, en) in MESSAGES.items():
        assert zh and en, key
        assert placeholders(zh) == placeholders(en), key


def test_a_declared_title_splits_into_its_halves() -> None:
    """A "中文 English" title splits at the English; a title the domain declares in Chinese alone shows in both."""
    depot = "客户档案变更 (油库) Depot customer card change"
    assert bilingual(depot) == ("客户档案变更 (油库)", "Depot customer card change")
    assert bilingual("营销业务部经理审批延期") == ("营销业务部经理审批延期", "营销业务部经理审批延期")
    for title in [*TYPE_TITLES.values(), *STEP_TITLES.values()]:
        zh, en = bilingual(title)
        assert not zh.isascii() and (en == zh or en.isascii()), title


def test_the_words_of_a_page() -> None:
    zh, en = Messages(None), Messages("en")
    assert (zh.locale, zh.t("tab.todo"), en.t("tab.todo")) == ("zh", "待办", "To do")
    assert (zh.step("onboarding", "finance_recheck"), en.step("onboarding", "finance_recheck")) == (
        "财务资产部复核",
        "Finance re-check",
    )
    assert zh.process_type("complaint") == "客户投诉处理" and en.status("approved") == "Approved"
    assert zh.role("marketing_reviewer") == "营销业务部 (资质审核)" and en.holder("depot_manager@DEPOT-ZZ") == (
        "depot manager (DEPOT-ZZ)"
    )
    assert zh.t("due.left", n=2) == "还剩 2 个工作日" and en.t("due.left", n=2) == "2 working days left"
    assert Messages.when(datetime(2026, 12, 7, 1, 30, tzinfo=UTC)) == "2026-12-07 09:30"  # China time
    assert Messages("fr").locale == "zh"


def test_a_key_two_areas_both_define_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """The table is one module per area (web/messages/): a word written twice fails at import."""
    import web.messages as messages
    from web.messages import common

    assert messages.table().items() <= MESSAGES.items()
    monkeypatch.setattr(messages, "AREAS", (common, common))
    with pytest.raises(messages.RepeatedKey, match="repeats"):
        messages.table()
