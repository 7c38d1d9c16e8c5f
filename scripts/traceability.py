"""The traceability matrix (issue 21 §2): every rule of the catalogue, where the code enforces it,
the tests that prove it and their result in the last run.

    python -m scripts.traceability --write   # `make matrix`: docs/traceability.md and .json
    python -m scripts.traceability --check   # `make test`, after the suite: fails on any gap

Sources, never copied by hand: `domain/rules.toml` (the catalogue), the code's `enforces(...)` and
`StepSpec.rules` (found by importing every module of the layers), and `.data/rule-results.json`
(written by tests/rule_plugin.py during the run). The check fails when an enforced rule has no
code naming it or no passing test, when a test or a step names a rule the catalogue lacks, or when
the committed matrix differs from the one this run produces.
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from domain.approvals import ChainSpec
from domain.rulebook import ENFORCERS, Rule, RuleKind, catalogue

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("domain", "db", "activities", "workflows", "api")  # domain first: a chain is found where it is declared
SKIPPED = {"api.main"}  # builds the app at import (settings); its routes are imported through api.routes
RESULTS = ROOT / ".data" / "rule-results.json"
MARKDOWN = ROOT / "docs" / "traceability.md"
JSON_MATRIX = ROOT / "docs" / "traceability.json"
PARAMS = re.compile(r"\[.*\]$")


@dataclass
class Found:
    """What the code and the tests say about the rules."""

    enforced_in: dict[str, list[str]] = field(default_factory=dict)
    tests: dict[str, dict[str, str]] = field(default_factory=dict)  # rule -> test -> result
    problems: list[str] = field(default_factory=list)


def import_layers() -> None:
    """Import every module of the layers, so every `enforces(...)` has run."""
    for package in LAYERS:
        module = importlib.import_module(package)
        for info in pkgutil.walk_packages(module.__path__, prefix=f"{package}."):
            if info.name not in SKIPPED:
                importlib.import_module(info.name)


def declared_chains() -> list[tuple[str, ChainSpec]]:
    """Every chain declared as a module constant, named where it first appears."""
    seen: set[int] = set()
    chains: list[tuple[str, ChainSpec]] = []
    ours = [n for n in sys.modules if n.split(".")[0] in LAYERS]
    for name in sorted(ours, key=lambda n: (LAYERS.index(n.split(".")[0]), n)):
        for attr, value in sorted(vars(sys.modules[name]).items()):
            if isinstance(value, ChainSpec) and id(value) not in seen:
                seen.add(id(value))
                chains.append((f"{name}.{attr}", value))
    return chains


def _combined(results: list[str]) -> str:
    if "failed" in results:
        return "failed"
    return "passed" if "passed" in results else "skipped"


def find(rules: dict[str, Rule], results: dict[str, Any]) -> Found:
    found = Found()
    import_layers()
    for rule_id, places in ENFORCERS.items():
        found.enforced_in.setdefault(rule_id, []).extend(places)
    for where, chain in declared_chains():
        for step in chain.steps:
            for rule_id in step.rules:
                if rule_id not in rules:
                    found.problems.append(f"{where} step {step.key} names rule {rule_id!r}, not in the catalogue")
                found.enforced_in.setdefault(rule_id, []).append(f"{where} step {step.key}")
    by_test: dict[str, dict[str, list[str]]] = {}
    for nodeid, entry in results.get("tests", {}).items():
        test = PARAMS.sub("", nodeid)
        for rule_id in entry["rules"]:
            if rule_id not in rules:
                found.problems.append(f"{nodeid} names rule {rule_id!r}, not in the catalogue")
            by_test.setdefault(rule_id, {}).setdefault(test, []).append(entry["outcome"])
    for rule_id, tests in by_test.items():
        found.tests[rule_id] = {test: _combined(outcomes) for test, outcomes in sorted(tests.items())}
    for rule in rules.values():
        if rule.kind is not RuleKind.enforced:
            continue
        if not found.enforced_in.get(rule.id):
            found.problems.append(
                f"rule {rule.id} ({rule.article}) is enforced, but no code names it (enforces / StepSpec.rules)"
            )
        if "passed" not in found.tests.get(rule.id, {}).values():
            found.problems.append(
                f"rule {rule.id} ({rule.article}) is enforced, but no passing test proves it (@pytest.mark.rule)"
            )
    return found


def as_json(rules: dict[str, Rule], found: Found) -> dict[str, Any]:
    return {
        "rules": [
            {
                **rule.model_dump(mode="json"),
                "enforced_in": sorted(set(found.enforced_in.get(rule.id, []))),
                "tests": [{"test": t, "result": r} for t, r in found.tests.get(rule.id, {}).items()],
            }
            for rule in rules.values()
        ]
    }


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def as_markdown(matrix: dict[str, Any]) -> str:
    rows = matrix["rules"]
    counts = {kind.value: sum(1 for r in rows if r["kind"] == kind.value) for kind in RuleKind}
    lines = [
        "# Traceability: every rule, where it is enforced, the tests that prove it",
        "",
        "Generated by `make matrix` (scripts/traceability.py) from the catalogue (`domain/rules.toml`), the",
        "code's `enforces(...)` and `StepSpec.rules`, and the tests' `@pytest.mark.rule` with their result in",
        "that run. Do not edit by hand: `make test` regenerates it after the suite and fails when it differs,",
        "when an enforced rule lacks a passing test, or when code or a test names a rule the catalogue lacks.",
        "The API serves the same matrix: `GET /api/v1/regulations/rules`.",
        "",
        f"{len(rows)} rules: {counts['enforced']} enforced, {counts['configuration']} configuration, "
        f"{counts['out_of_scope']} out of scope.",
        "",
        "| rule | article | kind | rule text | enforced in | proven by |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        kind = r["kind"]
        if kind == RuleKind.configuration.value:
            kind += f": `{r['configured_in']}`"
        elif kind == RuleKind.out_of_scope.value:
            kind += f": {r['reason']}"
        if r.get("versioned"):
            kind += f" (versioned: `{r['versioned']}`)"
        text = f"{r['text']}<br>*{r['gloss']}*"
        enforced = "<br>".join(f"`{p}`" for p in r["enforced_in"]) or "—"
        tests = "<br>".join(f"`{t['test']}` {t['result']}" for t in r["tests"]) or "—"
        lines.append(f"| `{r['id']}` | {_cell(r['article'])} | {_cell(kind)} | {_cell(text)} | {enforced} | {tests} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="write docs/traceability.md and .json")
    mode.add_argument("--check", action="store_true", help="fail on a gap or a stale committed matrix")
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if not args.results.exists():
        print(f"no test results at {args.results}: run the suite (make test) or make matrix first", file=sys.stderr)
        return 2
    rules = catalogue()
    found = find(rules, json.loads(args.results.read_text(encoding="utf-8")))
    matrix = as_json(rules, found)
    markdown = as_markdown(matrix)
    text = json.dumps(matrix, indent=1, ensure_ascii=False) + "\n"
    if args.write:
        MARKDOWN.parent.mkdir(exist_ok=True)
        MARKDOWN.write_text(markdown, encoding="utf-8")
        JSON_MATRIX.write_text(text, encoding="utf-8")
        print(f"wrote {MARKDOWN.relative_to(ROOT)} and {JSON_MATRIX.relative_to(ROOT)}: {len(rules)} rules")
    problems = list(found.problems)
    if args.check:
        for path, fresh in ((MARKDOWN, markdown), (JSON_MATRIX, text)):
            if not path.exists() or path.read_text(encoding="utf-8") != fresh:
                problems.append(
                    f"{path.relative_to(ROOT)} is not what this run produces: run `make matrix` and commit it"
                )
    for problem in problems:
        print(f"traceability: {problem}", file=sys.stderr)
    if not problems:
        enforced = sum(1 for r in rules.values() if r.kind is RuleKind.enforced)
        print(f"traceability: {len(rules)} rules, {enforced} enforced, each with code and a passing test")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
