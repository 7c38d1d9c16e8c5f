"""The regulations as data: one catalogue of rules, each named where it is enforced (issue 21 §1).

Every rule of the digest (`../shared/regulations/REGULATIONS.md`) has a stable id in
`domain/rules.toml`: its article, its text in Chinese, an English gloss, and its kind —
`enforced` (code enforces it and a test proves it), `configuration` (a value lost in scraping, or
a company's own choice, with where it is configured) or `out_of_scope` (with the reason).

One way for code to name a rule: `enforces(*ids)`, a decorator on the function or class that
enforces it. A step of a declared chain names the rules its decision applies in `StepSpec.rules`,
checked by the same `known()`. An id the catalogue lacks fails at import, so neither the app nor
the suite starts with a rule nobody can look up. Tests name the rule they prove with
`@pytest.mark.rule("id")` (tests/rule_plugin.py); `make matrix` writes docs/traceability.md.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, Field, model_validator

CATALOGUE = Path(__file__).with_name("rules.toml")
RULE_ID = re.compile(r"^[0-9]{3}-[0-9a-z]+(-[0-9a-z]+)*$")  # the seed, the article, a few words

T = TypeVar("T")


class RuleKind(StrEnum):
    enforced = "enforced"
    configuration = "configuration"  # a value lost in scraping or left to the company: where it is set
    out_of_scope = "out_of_scope"  # with the reason


class Rule(BaseModel):
    """One rule of the digest, as the catalogue states it."""

    id: str = Field(pattern=RULE_ID.pattern, max_length=80)
    article: str = Field(min_length=3, max_length=80)  # e.g. "000 §6", "001 信用管理措施 §3"
    text: str = Field(min_length=2)  # the regulation's own words (Chinese)
    gloss: str = Field(min_length=2)  # a short English gloss
    kind: RuleKind
    configured_in: str | None = None  # configuration: the setting or versioned rule that holds the value
    reason: str | None = None  # out of scope: why
    versioned: str | None = None  # a rule that changes over time: its `domain.rule_change.RuleKind`

    @model_validator(mode="after")
    def _kind_explained(self) -> Rule:
        if self.kind is RuleKind.configuration and not self.configured_in:
            raise ValueError(f"rule {self.id}: a configuration rule says where it is configured (configured_in)")
        if self.kind is RuleKind.out_of_scope and not self.reason:
            raise ValueError(f"rule {self.id}: an out-of-scope rule gives its reason")
        return self


class UnknownRule(LookupError):
    """Code or a test names a rule the catalogue lacks."""


@cache
def catalogue() -> dict[str, Rule]:
    """The rules in catalogue order, by id; a duplicate id is an error."""
    with CATALOGUE.open("rb") as f:
        raw = tomllib.load(f).get("rule", [])
    rules: dict[str, Rule] = {}
    for item in raw:
        rule = Rule.model_validate(item)
        if rule.id in rules:
            raise ValueError(f"rule {rule.id} is in {CATALOGUE.name} twice")
        rules[rule.id] = rule
    return rules


def known(*ids: str) -> tuple[str, ...]:
    """The ids, each checked against the catalogue (UnknownRule naming the first it lacks)."""
    rules = catalogue()
    for rule_id in ids:
        if rule_id not in rules:
            raise UnknownRule(f"rule {rule_id!r} is not in the catalogue ({CATALOGUE.name})")
    return ids


# rule id -> where it is enforced ("module.qualname"), filled as modules are imported
ENFORCERS: dict[str, list[str]] = {}


def enforces(*ids: str) -> Callable[[T], T]:
    """Names the rules the decorated function or class enforces (once, where it is enforced)."""
    known(*ids)

    def name(target: T) -> T:
        where = f"{getattr(target, '__module__', '?')}.{getattr(target, '__qualname__', repr(target))}"
        for rule_id in ids:
            places = ENFORCERS.setdefault(rule_id, [])
            if where not in places:
                places.append(where)
        return target

    return name
