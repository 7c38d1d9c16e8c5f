"""The catalogue's pure reading for the API and the evidence index (issue 21 §2-§3): the generated
matrix, the filters, and which rules an audit row shows applied."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from domain.rulebook import ENFORCERS, RuleKind, applications, catalogue, matrix, select_rules, trace_of
from tests.rulebook_support import NAMED, VERSIONED, catalogue_with_versioned_rule, sample_matrix


@pytest.fixture
def versioned_catalogue(tmp_path: Path) -> Iterator[None]:
    with catalogue_with_versioned_rule(tmp_path):
        yield


def test_a_missing_matrix_knows_no_test_yet_and_a_generated_one_is_read(tmp_path: Path) -> None:
    assert matrix(tmp_path / "absent.json") == {}
    test = {"test": "tests/api/test_x.py::test_y", "result": "passed"}
    path = sample_matrix(tmp_path, **{NAMED: {"enforced_in": ["domain.documents.check"], "tests": [test]}})
    trace = matrix(path)[NAMED]
    assert trace.enforced_in == ["domain.documents.check"]
    assert [t.model_dump() for t in trace.tests] == [test]


def test_a_rule_the_matrix_lacks_shows_where_the_running_code_enforces_it(tmp_path: Path) -> None:
    ENFORCERS.setdefault(NAMED, [])
    places = ENFORCERS[NAMED]
    places.append("tests.domain.somewhere")
    try:
        assert trace_of(NAMED, {}).enforced_in[-1] == "tests.domain.somewhere"
        assert trace_of(NAMED, {}).tests == []
    finally:
        places.remove("tests.domain.somewhere")


def test_the_catalogue_is_filtered_by_kind_article_prefix_and_text() -> None:
    rules = list(catalogue().values())
    assert NAMED in [r.id for r in select_rules(rules, RuleKind.enforced, "000 §6", "NINE DOCUMENTS")]
    assert NAMED in [r.id for r in select_rules(rules, q="成品油批发证书")]
    assert NAMED not in [r.id for r in select_rules(rules, RuleKind.out_of_scope)]
    assert NAMED not in [r.id for r in select_rules(rules, article="001")]
    assert select_rules(rules, q="no rule says this") == []


@pytest.mark.usefixtures("versioned_catalogue")
def test_an_audit_row_is_evidence_of_the_rules_it_names_and_of_those_its_pinned_version_versions() -> None:
    assert [(a.rule_id, a.version) for a in applications({"rules": [NAMED, NAMED]})] == [(NAMED, None)]
    pinned = {"rule": {"rule": "grading_rule", "version": 3, "effective_from": "2026-01-01"}}
    versioned = [r.id for r in catalogue().values() if r.versioned == "grading_rule"]  # VERSIONED among them
    assert VERSIONED in versioned
    assert [(a.rule_id, a.version) for a in applications(pinned)] == [(rule_id, 3) for rule_id in versioned]
    assert applications({"update": "urge", "request": {}}) == []
