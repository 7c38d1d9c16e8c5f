"""The import graph has no loop and no arrow up a layer (issue 22).

The layers, from the bottom: domain (pure rules) → db → activities → workflows | api → worker,
with the wiring (settings, the Temporal client, the search attributes) just above domain and the
operator's scripts on top. The contracts live in pyproject.toml (`[tool.importlinter]`), so
`lint-imports` run by hand says the same as this test. Every import counts: one made only for a
type checker (under `TYPE_CHECKING`), one inside a function, one inside a workflow's
`imports_passed_through()` block — a type-only import up a layer is still a dependency on it.
"""

from __future__ import annotations

import ast
import logging
import tomllib
from pathlib import Path

import pytest
from grimp import ImportGraph
from importlinter.cli import lint_imports
from importlinter.contracts.layers import LayersContract

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = frozenset({"domain", "db", "activities", "workflows", "api", "web", "scripts", "migrations"})

# import-linter reads packages only; the modules at the top of the tree are checked here: what each
# may import, by the same layering (a module named nowhere below fails the last test).
MAY_IMPORT: dict[str, frozenset[str]] = {
    "settings": frozenset({"domain"}),
    "telemetry": frozenset(),  # issue 24 §3: logs, traces, the worker's metrics; wiring like temporal_client
    "temporal_client": frozenset({"sealing", "settings"}),
    "sealing": frozenset(),  # the payload codec (issue 24 §1): cryptography and temporalio only
    "discovery": frozenset(),  # imports the package it is handed (worker, API), none by name
    "search_attributes": frozenset({"domain"}),
    "schedules": frozenset({"domain", "db", "activities", "settings", "temporal_client"}),
    "worker": frozenset(
        {"domain", "db", "activities", "workflows", "schedules", "settings", "temporal_client", "search_attributes"}
        | {"telemetry"}
    ),
}
FIRST_PARTY = PACKAGES | MAY_IMPORT.keys()


def first_party_imports(source: str) -> set[str]:
    """The project's top-level modules a module imports, wherever the import stands."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names & FIRST_PARTY


def test_the_layer_and_loop_contracts_are_kept(capsys: pytest.CaptureFixture[str]) -> None:
    # import-linter's CLI configures logging with dictConfig, which disables every logger that exists:
    # the process's other tests (the worker's log lines, tests/workflows/test_worker_log_lines.py) keep theirs.
    loggers = [logger for logger in logging.Logger.manager.loggerDict.values() if isinstance(logger, logging.Logger)]
    enabled = [logger for logger in loggers if not logger.disabled]
    try:
        code = lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True, no_logo=True)
    finally:
        for logger in enabled:
            logger.disabled = False
    report = capsys.readouterr().out
    assert code == 0, report
    assert "0 broken" in report


@pytest.mark.parametrize("module", sorted(MAY_IMPORT))
def test_a_top_level_module_imports_only_what_lies_below_it(module: str) -> None:
    imported = first_party_imports((ROOT / f"{module}.py").read_text(encoding="utf-8")) - {module}
    assert imported <= MAY_IMPORT[module], f"{module} imports {sorted(imported - MAY_IMPORT[module])}"


def test_every_top_level_module_has_its_place() -> None:
    assert {path.stem for path in ROOT.glob("*.py")} == MAY_IMPORT.keys()


def test_type_checking_and_function_level_imports_count() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    import api.schemas\n"
        "def f():\n"
        "    from worker import x\n"
    )
    assert first_party_imports(source) == {"api", "worker"}


def services_contract_kept(imports: list[tuple[str, str]]) -> bool:
    """The declared `services-below-routes` contract, judged on a small graph of these imports."""
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    spec = {c["id"]: c for c in contracts["contracts"]}["services-below-routes"]
    graph = ImportGraph()
    for package in ("api.routes", "api.services", "api.visibility"):
        graph.add_module(package)
    for module in ("api.routes.credit", "api.services.credit", "api.visibility.customers"):
        graph.add_module(module)
    for importer, imported in imports:
        graph.add_import(importer=importer, imported=imported)
    contract = LayersContract(
        name=spec["name"], session_options={"root_packages": ["api"]}, contract_options={"layers": spec["layers"]}
    )
    return contract.check(graph, verbose=False).kept


def test_routes_call_services_and_services_never_import_routes() -> None:
    """Issue 23: a route and a page call the same service; a service asks api.visibility, never a route."""
    assert services_contract_kept(
        [("api.routes.credit", "api.services.credit"), ("api.services.credit", "api.visibility.customers")]
    )
    assert not services_contract_kept([("api.services.credit", "api.routes.credit")])
    assert not services_contract_kept([("api.visibility.customers", "api.services.credit")])
