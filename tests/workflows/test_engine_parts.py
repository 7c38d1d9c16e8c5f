"""The approval engine stays a package of small parts (issue 22): no part grows back into the one
class a newcomer cannot hold in their head, and `workflows/approval.py` only names the engine's
public parts. The engine's internal layering is an import-linter contract (`engine-parts`). The
same bound holds for every module of the layers a newcomer reads first: workflows, activities,
the API and the web pages."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import workflows.approval
from workflows.engine.chain import ApprovalChain

ROOT = Path(__file__).resolve().parents[2]
PARTS = sorted(p for layer in ("workflows", "activities", "api", "web") for p in (ROOT / layer).rglob("*.py"))
MAX_MODULE_LINES = 400
MAX_CLASS_LINES = 250


@pytest.mark.parametrize("path", PARTS, ids=[str(p.relative_to(ROOT)) for p in PARTS])
def test_every_part_is_small(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    assert len(source.splitlines()) <= MAX_MODULE_LINES, f"{path.name} is over {MAX_MODULE_LINES} lines"
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ClassDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            assert length <= MAX_CLASS_LINES, f"{path.name}: class {node.name} is {length} lines"


def test_the_compatibility_module_only_re_exports() -> None:
    tree = ast.parse(Path(workflows.approval.__file__).read_text(encoding="utf-8"))
    defined = [n for n in ast.walk(tree) if isinstance(n, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)]
    assert defined == []
    assert workflows.approval.ApprovalChain is ApprovalChain
    assert all(hasattr(workflows.approval, name) for name in workflows.approval.__all__)
