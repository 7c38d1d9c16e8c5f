"""Which rule each test proves (issue 21 §2): `@pytest.mark.rule("000-6-documents", ...)`.

A test (or a module's `pytestmark`) names the catalogue rules it proves. Collection fails when a
test names a rule `domain/rules.toml` lacks. Each run writes, per marked test, the rules it names
and its result to `.data/rule-results.json`; `scripts/traceability.py` turns that into the
matrix (docs/traceability.md) and fails when an enforced rule has no passing test.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from domain.rulebook import catalogue

RESULTS = Path(__file__).resolve().parent.parent / ".data" / "rule-results.json"
_results: dict[str, dict[str, Any]] = {}


def rules_of(item: pytest.Item) -> list[str]:
    ids: list[str] = []
    for mark in item.iter_markers("rule"):
        if not mark.args or not all(isinstance(a, str) for a in mark.args):
            raise pytest.UsageError(f"{item.nodeid}: @pytest.mark.rule needs one or more rule ids")
        ids += [a for a in mark.args if a not in ids]
    return ids


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "rule(*ids): the catalogue rules (domain/rules.toml) this test proves")


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    rules = catalogue()
    unknown = [f"{item.nodeid}: {rule_id}" for item in items for rule_id in rules_of(item) if rule_id not in rules]
    if unknown:
        raise pytest.UsageError("tests name rules the catalogue (domain/rules.toml) lacks:\n  " + "\n  ".join(unknown))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    outcome = yield
    ids = rules_of(item)
    if ids:
        outcome.get_result().user_properties.append(("rules", ids))  # travels with the report (xdist too)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    ids = dict(report.user_properties).get("rules")
    if not ids:
        return
    entry = _results.setdefault(report.nodeid, {"rules": ids, "outcome": "passed"})
    if report.failed:
        entry["outcome"] = "failed"
    elif report.skipped and entry["outcome"] == "passed":
        entry["outcome"] = "skipped"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if hasattr(session.config, "workerinput"):  # an xdist worker: the controller writes
        return
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"tests": _results}, indent=1, sort_keys=True, ensure_ascii=False), encoding="utf-8")
