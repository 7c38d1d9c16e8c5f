"""The matrix's own checks (issue 21 §2): a gap, an unknown rule in code, in a step or in a test fails."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

from domain.approvals import ChainSpec, StepSpec
from domain.roles import Role
from domain.rulebook import Rule, RuleKind, UnknownRule, catalogue, enforces, known
from scripts import traceability
from settings import Settings
from tests.rule_plugin import RESULTS_VARIABLE

RULE = Rule(id="000-6-sample", article="000 §6", text="客户需提供资料", gloss="A sample rule.", kind=RuleKind.enforced)


def test_code_naming_a_rule_the_catalogue_lacks_fails_at_import() -> None:
    with pytest.raises(UnknownRule, match="999-0-nothing"):
        enforces("999-0-nothing")


def test_an_enforced_rule_without_a_passing_test_is_a_gap() -> None:
    results = {"tests": {"tests/api/test_a.py::test_b[sqlite]": {"rules": [RULE.id], "outcome": "failed"}}}
    found = traceability.find({RULE.id: RULE}, results)
    assert any("no passing test proves it" in p and RULE.id in p for p in found.problems)
    assert found.tests[RULE.id] == {"tests/api/test_a.py::test_b": "failed"}


def test_a_test_naming_a_rule_the_catalogue_lacks_is_reported() -> None:
    results = {"tests": {"tests/api/test_a.py::test_b": {"rules": ["999-0-nothing"], "outcome": "passed"}}}
    found = traceability.find({}, results)
    assert any("999-0-nothing" in p and "not in the catalogue" in p for p in found.problems)


def test_a_parametrised_test_passes_only_when_no_variant_failed() -> None:
    results = {
        "tests": {
            "tests/t.py::test_x[sqlite]": {"rules": [RULE.id], "outcome": "passed"},
            "tests/t.py::test_x[postgresql]": {"rules": [RULE.id], "outcome": "failed"},
        }
    }
    assert traceability.find({RULE.id: RULE}, results).tests[RULE.id] == {"tests/t.py::test_x": "failed"}


def test_a_step_naming_a_rule_the_catalogue_lacks_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    step = StepSpec(key="review", title="审核", role=Role.marketing_reviewer, rules=("999-0-nothing",))
    chain = ChainSpec(process_type="sample", title="样例", steps=(step,))
    monkeypatch.setattr(traceability, "declared_chains", lambda: [("domain.sample.CHAIN", chain)])
    found = traceability.find({}, {"tests": {}})
    assert any("domain.sample.CHAIN step review" in p and "999-0-nothing" in p for p in found.problems)


def test_the_catalogue_explains_every_rule_that_is_not_enforced() -> None:
    """A configuration rule says where it is configured, and that place exists: a setting, a versioned
    rule (`rule_change:<kind>`), a table or a module's constant (`domain.treatment.TREATMENT_BY_GRADE`);
    an out-of-scope rule gives its reason."""
    from db.models import Base
    from domain.rule_change import RuleKind as VersionedRule

    places = set(Settings.model_fields) | {f"rule_change:{k.value}" for k in VersionedRule}
    places |= set(Base.metadata.tables)
    for rule in catalogue().values():
        if rule.kind is RuleKind.configuration:
            assert rule.configured_in is not None
            where = rule.configured_in.removeprefix("settings.")
            parts = [part.strip() for part in where.split(",")]
            assert any(part in places or _constant_exists(part) for part in parts), (rule.id, rule.configured_in)
        if rule.versioned is not None:
            assert rule.versioned in {k.value for k in VersionedRule}, rule.id
    assert known(*catalogue()) == tuple(catalogue())


def _constant_exists(path: str) -> bool:
    module, _, name = path.rpartition(".")
    try:
        return hasattr(importlib.import_module(module), name)
    except (ImportError, ValueError):
        return False


def test_the_plugin_refuses_a_test_naming_an_unknown_rule(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(RESULTS_VARIABLE, raising=False)  # this inner run's results are nobody's
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.rule("999-0-nothing")
        def test_sample():
            pass
        """
    )
    result = pytester.runpytest_inprocess("-p", "tests.rule_plugin")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*999-0-nothing*"])


def test_the_plugin_writes_each_marked_tests_result_only_when_asked(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    rule_id = next(iter(catalogue()))
    pytester.makepyfile(
        f"""
        import pytest

        @pytest.mark.rule("{rule_id}")
        def test_holds():
            pass

        @pytest.mark.rule("{rule_id}")
        def test_broken():
            assert False

        def test_unmarked():
            pass
        """
    )
    written = tmp_path / "results.json"
    monkeypatch.delenv(RESULTS_VARIABLE, raising=False)
    pytester.runpytest_inprocess("-p", "tests.rule_plugin")
    assert not written.exists()  # a run nobody asked results of (one file, -k) replaces nothing
    monkeypatch.setenv(RESULTS_VARIABLE, str(written))
    pytester.runpytest_inprocess("-p", "tests.rule_plugin")
    tests = json.loads(written.read_text(encoding="utf-8"))["tests"]
    assert {nodeid.split("::")[1]: (t["rules"], t["outcome"]) for nodeid, t in tests.items()} == {
        "test_holds": ([rule_id], "passed"),
        "test_broken": ([rule_id], "failed"),
    }
