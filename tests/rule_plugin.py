"""Which rule each test proves (issue 21 §2): `@pytest.mark.rule("000-6-documents", ...)`.

A test (or a module's `pytestmark`) names the catalogue rules it proves. Collection fails when a
test names a rule `domain/rules.toml` lacks. A run asked for it (`RULE_RESULTS=<path>`, set by
`make test` and `make matrix`) writes, per marked test, the rules it names and its result there;
`scripts/traceability.py` turns that into the matrix (docs/traceability.md) and fails when an
enforced rule has no passing test. Other runs (one file, `-k`) write nothing, so they never
replace the results of the whole suite with a part of them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from domain.rulebook import catalogue

RESULTS_VARIABLE = "RULE_RESULTS"


def rules_of(item: pytest.Item) -> list[str]:
    ids: list[str] = []
    for mark in item.iter_markers("rule"):
        if not mark.args or not all(isinstance(a, str) for a in mark.args):
            raise pytest.UsageError(f"{item.nodeid}: @pytest.mark.rule needs one or more rule ids")
        ids += [a for a in mark.args if a not in ids]
    return ids


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "rule(*ids): the catalogue rules (domain/rules.toml) this test proves")
    config.pluginmanager.register(_Recorder(), "rule-results")


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


class _Recorder:
    """The results of one session (a pytester run inside the suite records its own, apart)."""

    def __init__(self) -> None:
        self.results: dict[str, dict[str, Any]] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        ids = dict(report.user_properties).get("rules")
        if not ids:
            return
        entry = self.results.setdefault(report.nodeid, {"rules": ids, "outcome": "passed"})
        if report.failed:
            entry["outcome"] = "failed"
        elif report.skipped and entry["outcome"] == "passed":
            entry["outcome"] = "skipped"

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        path = os.environ.get(RESULTS_VARIABLE)
        if not path or hasattr(session.config, "workerinput"):  # not asked for; an xdist worker: the controller writes
            return
        results = Path(path)
        results.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps({"tests": self.results}, indent=1, sort_keys=True, ensure_ascii=False)
        results.write_text(text, encoding="utf-8")
