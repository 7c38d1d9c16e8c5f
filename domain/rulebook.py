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

import json
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, Field, model_validator

CATALOGUE = Path(__file__).with_name("rules.toml")
MATRIX = Path(__file__).resolve().parent.parent / "docs" / "traceability.json"  # scripts/traceability.py
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


# --- the matrix and the live evidence (issue 21 §2-§3) ------------------------------------------------


class RuleTest(BaseModel):
    """A test that names the rule, with its result in the run that generated the matrix."""

    test: str
    result: str


class Trace(BaseModel):
    """Where a rule is enforced and which tests prove it, as `make matrix` last generated them."""

    enforced_in: list[str] = Field(default_factory=list)
    tests: list[RuleTest] = Field(default_factory=list)


def matrix(path: Path = MATRIX) -> Mapping[str, Trace]:
    """The generated matrix (docs/traceability.json) by rule id; a missing file: no test known yet.
    Read once per version of the file (130 KB), not once per request."""
    try:
        stamp = path.stat().st_mtime_ns
    except FileNotFoundError:
        return {}
    return _read_matrix(path, stamp)


@cache
def _read_matrix(path: Path, stamp: int) -> Mapping[str, Trace]:
    raw = json.loads(path.read_text(encoding="utf-8"))
    return {row["id"]: Trace.model_validate(row) for row in raw.get("rules", [])}


def trace_of(rule_id: str, traces: Mapping[str, Trace]) -> Trace:
    """The matrix's trace of a rule; a rule the matrix does not know yet shows where the code running
    now enforces it (ENFORCERS) and no test."""
    return traces.get(rule_id) or Trace(enforced_in=list(ENFORCERS.get(rule_id, [])))


def select_rules(
    rules: Iterable[Rule], kind: RuleKind | None = None, article: str | None = None, q: str | None = None
) -> list[Rule]:
    """The catalogue narrowed: by kind, by article prefix ("000 §6" finds "000 §6 (一)"), and by a
    text that the id, the Chinese text or the English gloss contains (case-insensitive)."""
    needle = (q or "").strip().casefold()
    return [
        rule
        for rule in rules
        if (kind is None or rule.kind is kind)
        and (not article or rule.article.startswith(article))
        and (not needle or any(needle in field.casefold() for field in (rule.id, rule.text, rule.gloss)))
    ]


class Application(BaseModel):
    """A rule applied by one audit row: named by a step's decision, or a pinned version of a rule."""

    rule_id: str
    version: int | None = None


def applications(details: Mapping[str, Any]) -> list[Application]:
    """The rules an audit row's details show applied: the rules a step's decision names (`rules`),
    and a pinned version (`rule`, written by a `rule` audit entry) under the rules the process named
    as deciding by it (`rules` of that row, with the version) — or, for a row that names none (a pin
    written before processes named them), under every catalogue rule whose `versioned` is that kind."""
    named = [rule_id for rule_id in details.get("rules") or [] if isinstance(rule_id, str)]
    pinned = details.get("rule")
    if not (isinstance(pinned, Mapping) and pinned.get("rule")):
        found = [Application(rule_id=rule_id) for rule_id in named]
    else:
        number = pinned.get("version")
        version = number if isinstance(number, int) else None
        versioned = [rule.id for rule in catalogue().values() if rule.versioned == pinned["rule"]]
        found = [Application(rule_id=rule_id, version=version) for rule_id in named or versioned]
    once: dict[str, Application] = {}
    for applied in found:  # a rule both named and pinned in one row is indexed once, named first
        once.setdefault(applied.rule_id, applied)
    return list(once.values())
