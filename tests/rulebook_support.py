"""A catalogue and a matrix of the test's own, so the tests of the catalogue's API and evidence do
not depend on which rules domain/rules.toml holds today (issue 21)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from domain import rulebook

NAMED = "000-6-documents"  # the onboarding's marketing review applies it (domain/approvals.py)
VERSIONED = "001-1-test-grading-weights"  # a rule of this test's catalogue, versioned by the grading rule
VERSIONED_RULE = f'''
[[rule]]
id = "{VERSIONED}"
kind = "configuration"
article = "001 §1"
text = "客户分级评分权重"
gloss = "The grading weights and thresholds, as a test's catalogue versions them."
configured_in = "rule_change: grading_rule"
versioned = "grading_rule"
'''


@contextmanager
def catalogue_with_versioned_rule(folder: Path) -> Iterator[None]:
    """The real catalogue plus one rule versioned by the grading rule, for as long as the block runs."""
    path = folder / "rules.toml"
    path.write_text(rulebook.CATALOGUE.read_text(encoding="utf-8") + VERSIONED_RULE, encoding="utf-8")
    real = rulebook.CATALOGUE
    rulebook.CATALOGUE = path
    rulebook.catalogue.cache_clear()
    try:
        yield
    finally:
        rulebook.CATALOGUE = real
        rulebook.catalogue.cache_clear()


def sample_matrix(folder: Path, **traces: Any) -> Path:
    """A docs/traceability.json as scripts/traceability.py writes it, for the rules named."""
    rules = [{**rulebook.catalogue()[rule_id].model_dump(mode="json"), **trace} for rule_id, trace in traces.items()]
    path = folder / "traceability.json"
    path.write_text(json.dumps({"rules": rules}, ensure_ascii=False), encoding="utf-8")
    return path
