"""000 §7 (四) item 8: a naphtha partner's business licence scope must explicitly allow naphtha."""

from __future__ import annotations

import pytest

from domain.trade import scope_allows_naphtha

pytestmark = pytest.mark.rule("000-7-naphtha-scope")


@pytest.mark.parametrize(
    "scope",
    ["成品油、石脑油批发", "危险化学品经营: 石脑油; 汽油", "Wholesale of naphtha", "汽油(不含剧毒品), 石脑油批发"],
)
def test_a_scope_naming_naphtha_allows_it(scope: str) -> None:
    assert scope_allows_naphtha(scope)


@pytest.mark.parametrize(
    "scope",
    [
        None,
        "",
        "成品油批发",
        "危险化学品经营(不含石脑油)",
        "危险化学品经营（不含汽油、石脑油）",
        "成品油批发，石脑油除外",
        "除石脑油外的危险化学品",
        "禁止经营石脑油",
        "hazardous chemicals excluding naphtha",
    ],
)
def test_a_scope_that_does_not_name_or_excludes_naphtha_does_not(scope: str | None) -> None:
    assert not scope_allows_naphtha(scope)
