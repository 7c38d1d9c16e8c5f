"""CONTRIBUTING.md's recipe, checked where a machine can check it (issue 22): a new process touches
its declaration, one workflow, one activity module, one route module, one model module and one
migration. The worker and the API find the new pieces themselves (discovery.py): nothing else lists
them. These tests hold the discovery to what the hand lists registered before it, and prove that a
piece written where the recipe says is found."""

from __future__ import annotations

import ast
import itertools
import re
import textwrap
import uuid
from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import async_sessionmaker
from temporalio import activity, workflow

from activities.registry import activity_classes, bound_activities, build, build_activities
from api.main import create_app, route_modules
from db.session import make_engine, make_sessionmaker
from discovery import modules_of
from domain.approvals import ChainSpec
from domain.step_deadlines import CHAIN_MODULES, DECLARED_STEPS
from settings import Settings
from workflows.registry import WORKFLOWS, discovered_workflows

ROOT = Path(__file__).resolve().parents[1]

# What workflows/registry.py and activities/registry.py listed by hand before discovery (issue 22).
LISTED_WORKFLOWS = {
    "ApprovalWorkflow", "BigCustomerMeetingRoundWorkflow", "BigCustomerMeetingWorkflow", "BorrowingWorkflow",
    "ComplaintStatsWorkflow", "ComplaintWorkflow", "CreditApplicationWorkflow", "CreditCollectionRoundWorkflow",
    "CreditCollectionWorkflow", "CreditReviewRoundWorkflow", "CreditReviewWorkflow", "CreditRiskSweepWorkflow",
    "CustomerChangeWorkflow", "DevelopmentApprovalWorkflow", "ExternalTradeWorkflow", "GradingClockSweepWorkflow",
    "GradingClockWorkflow", "GradingWorkflow", "OnboardingWorkflow", "OverLimitApprovalWorkflow",
    "PrepaidTopUpWorkflow", "RegisterReviewRoundWorkflow", "RegisterReviewWorkflow", "RuleChangeWorkflow",
    "UnitCustomerWorkflow", "VatInvoiceWorkflow", "VisitPlanWorkflow", "VisitWorkflow",
}  # fmt: skip
LISTED_ACTIVITIES = {
    "apply_approved_change", "apply_grading", "apply_record_change", "apply_review", "book_approved_delivery",
    "book_receipt", "close_tender", "collection_month_end", "collection_status", "collection_working_days",
    "collections_due", "compute_monthly_stats", "create_customer", "create_trade_customer",
    "customers_without_clock", "grading_config", "grading_problem", "grant_credit", "mark_clocks_started",
    "mark_process_failed", "notify", "open_meeting", "open_review", "periodic_customers", "plan_due_working_days",
    "prepare_form", "project_trade", "record_minutes", "record_repair", "record_report", "record_review",
    "refresh_risks", "register_invoice_certificate", "resolve_seats", "reviews_due", "rule_in_force",
    "settle_ratification", "sync_borrowing", "sync_complaint", "sync_development", "sync_meeting", "sync_process",
    "sync_vat_invoice", "sync_visit", "sync_visit_plan", "unit_path", "units_to_review", "working_day_deadline",
}  # fmt: skip


def decorated(package: str, decorator: str) -> set[str]:
    """The names of the classes or functions under `package/` written with `@<decorator>` (as source)."""
    found: set[str] = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and any(
                ast.unparse(d).split("(")[0] == decorator for d in node.decorator_list
            ):
                found.add(node.name)
    return found


@pytest.fixture
def sessions() -> async_sessionmaker:  # type: ignore[type-arg]
    return make_sessionmaker(make_engine("sqlite+aiosqlite://"))


# --- the worker -----------------------------------------------------------------------------------


def test_the_worker_registers_what_the_hand_list_did_and_only_real_workflows() -> None:
    names = [cls.__name__ for cls in WORKFLOWS]
    assert set(names) >= LISTED_WORKFLOWS, f"no longer registered: {sorted(LISTED_WORKFLOWS - set(names))}"
    assert len(names) == len(set(names))
    definitions = [workflow._Definition.from_class(cls) for cls in WORKFLOWS]
    assert all(d is not None for d in definitions)  # each decorated itself, not by inheritance
    workflow_names = [d.name for d in definitions if d is not None]
    assert len(workflow_names) == len(set(workflow_names)), "two workflows share a Temporal name"
    assert all(cls.__module__.startswith("workflows.") for cls in WORKFLOWS)


def test_every_workflow_class_written_in_workflows_is_registered() -> None:
    assert decorated("workflows", "workflow.defn") == {cls.__name__ for cls in WORKFLOWS}


def test_the_worker_registers_what_the_hand_list_did_and_every_activity_written(sessions: async_sessionmaker) -> None:  # type: ignore[type-arg]
    registered = [activity._Definition.must_from_callable(fn) for fn in build_activities(sessions, "http://hook")]
    names = [d.name for d in registered]
    assert len(names) == len(set(names)), "two activities share a name"
    assert set(names) >= LISTED_ACTIVITIES, f"no longer registered: {sorted(LISTED_ACTIVITIES - set(names))}"
    assert {d.fn.__name__ for d in registered} == decorated("activities", "activity.defn")


def test_activities_get_the_dependencies_the_hand_list_gave(sessions: async_sessionmaker) -> None:  # type: ignore[type-arg]
    """One calendar for all (it dates the steps each write opens), the webhook channel to every store
    that takes channels."""
    stores = {fn.__self__ for fn in build_activities(sessions, "http://hook")}  # type: ignore[attr-defined]
    calendars = {id(store.calendar) for store in stores if hasattr(store, "calendar")}
    assert len(calendars) == 1
    assert all(len(store.channels) == 1 for store in stores if hasattr(store, "channels"))
    assert all(store.sessions is sessions for store in stores)


def probe_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, module: str) -> str:
    """A package, importable for this test only, holding one module written as the recipe says."""
    package = f"recipe_probe_{uuid.uuid4().hex}"
    (tmp_path / package).mkdir()
    (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / package / "new_process.py").write_text(textwrap.dedent(module))
    monkeypatch.syspath_prepend(str(tmp_path))
    return package


def test_a_module_that_declares_a_workflow_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = probe_package(
        tmp_path,
        monkeypatch,
        """
        from temporalio import workflow

        @workflow.defn(name="NewProcess")
        class NewProcessWorkflow:
            @workflow.run
            async def run(self) -> None:
                return None

        class NotAWorkflow(NewProcessWorkflow):  # inherits the definition, declares none
            pass
        """,
    )
    assert [cls.__name__ for cls in discovered_workflows(package)] == ["NewProcessWorkflow"]


def test_a_module_that_declares_an_activity_is_found_and_built(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    sessions: async_sessionmaker,  # type: ignore[type-arg]
) -> None:
    package = probe_package(
        tmp_path,
        monkeypatch,
        """
        from temporalio import activity

        class NewProcessStore:
            def __init__(self, sessions, channels=None) -> None:
                self.sessions, self.channels = sessions, channels

            @activity.defn
            async def sync_new_process(self, sync: int) -> int:
                return sync

        class Wanting:
            def __init__(self, printer) -> None:
                pass

            @activity.defn
            async def print_it(self) -> None:
                return None
        """,
    )
    store_class, wanting = list(activity_classes(package))
    store = build(store_class, {"sessions": sessions, "channels": ["hook"]})
    assert [fn.__name__ for fn in bound_activities(store)] == ["sync_new_process"]
    assert (store.sessions, store.channels) == (sessions, ["hook"])  # type: ignore[attr-defined]
    with pytest.raises(TypeError, match="Wanting needs 'printer'"):
        build(wanting, {"sessions": sessions})


# --- the API --------------------------------------------------------------------------------------


def mounted_routes() -> list[tuple[str, set[str], str]]:
    """(path, methods, module of the endpoint) of every API route, in the order the app matches them."""
    app = create_app(Settings(database_url="sqlite://"))
    found = []
    for route in app.routes:
        for context in getattr(route, "effective_route_contexts", lambda: [])():
            original = context.original_route
            # the API's routes; the web pages at `/` (web/, issue 23) are mounted by web.mount, not discovered
            if isinstance(original, APIRoute) and context.path.startswith("/api/v1/"):
                found.append((context.path, set(context.methods or ()), original.endpoint.__module__))
    return found


def test_every_route_module_is_mounted() -> None:
    written = {f"api.routes.{path.stem}" for path in (ROOT / "api" / "routes").glob("*.py") if path.stem != "__init__"}
    with_router = {module.__name__ for module in route_modules()}
    assert with_router == written, f"a module of api/routes/ without `router`: {sorted(written - with_router)}"
    assert {module for _, _, module in mounted_routes()} == written


PARAMETER = re.compile(r"^\{[^}:]+\}$")


def could_match_the_same_request(a: str, b: str) -> bool:
    """Two path templates one request path could both match (a parameter matches one segment)."""
    first, second = a.strip("/").split("/"), b.strip("/").split("/")
    return len(first) == len(second) and all(
        x == y or PARAMETER.match(x) or PARAMETER.match(y) for x, y in zip(first, second, strict=True)
    )


# Modules that share a path with different methods, in the order they are mounted (the first answers
# a 405 for a method neither serves, naming its own methods in `Allow`): the former hand list's order.
SHARING_A_PATH = [
    ("api.routes.unit_customers", "api.routes.credit"),  # GET and POST /customers/{customer_id}/ledger
    ("api.routes.customers", "api.routes.customer_record"),  # GET /customers/{customer_id}, POST /customers/hand-over
]


def test_the_order_route_modules_are_mounted_in_cannot_change_which_route_answers() -> None:
    """Route modules are mounted in (reverse) name order, not in a hand-kept order: that is only safe
    while no two modules serve one method on paths a request could match both of. A new module that
    does must serve its paths under its own segment instead (the first mounted would answer)."""
    routes = mounted_routes()
    assert all(PARAMETER.match(s) or "{" not in s for path, _, _ in routes for s in path.split("/"))
    overlapping = [
        ((a_module, a, a_methods), (b_module, b, b_methods))
        for (a, a_methods, a_module), (b, b_methods, b_module) in itertools.combinations(routes, 2)
        if a_module != b_module and could_match_the_same_request(a, b)
    ]
    clashes = [(a, b) for a, b in overlapping if a[2] & b[2]]
    assert clashes == []
    assert sorted({(a[0], b[0]) for a, b in overlapping}) == sorted(SHARING_A_PATH)


# --- the declaration ------------------------------------------------------------------------------

# domain/step_deadlines.py: a deal's chains are the trade workflow's own (its start carries none, so no
# step-deadlines version could ever be pinned): the one kind of chain CHAIN_MODULES leaves out.
NEVER_TIMED = {"external_trade"}


def test_every_chain_a_declaration_module_holds_is_one_a_step_deadlines_version_can_name() -> None:
    """The step-deadline rule reads the chains of the modules `CHAIN_MODULES` names (a hand list: the
    rule cannot import every domain module without importing itself back through domain/rule_change.py).
    A new process's chain in a new declaration module is missed until its module is named there."""
    held = {
        value.process_type
        for module in modules_of("domain")
        for value in vars(module).values()
        if isinstance(value, ChainSpec)
    }
    missed = held - set(DECLARED_STEPS) - NEVER_TIMED
    assert missed == set(), f"name their modules in domain/step_deadlines.py CHAIN_MODULES: {sorted(missed)}"
    assert held >= NEVER_TIMED and not NEVER_TIMED & set(DECLARED_STEPS)
    assert len(CHAIN_MODULES) == len(set(CHAIN_MODULES))


# --- the page itself ------------------------------------------------------------------------------

CITED = re.compile(r"`([\w/]+\.(?:py|md|toml))(?:::(\w+))?`")


def test_the_recipe_names_only_files_and_tests_that_exist() -> None:
    """Every file CONTRIBUTING.md cites (and every test it names in a file) is there: a file moved or
    renamed leaves no stale step in the recipe."""
    cited = CITED.findall((ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8"))
    assert len(cited) > 20
    missing = [path for path, _ in cited if not (ROOT / path).exists()]
    assert missing == []
    for path, test in cited:
        if test:
            assert f"def {test}(" in (ROOT / path).read_text(encoding="utf-8"), f"{path}::{test}"
