"""Which processes a step-deadlines version can reach (issue 21 §3, 000 §16; domain/step_deadlines.py):
the hand-kept `RUN_AS_DECLARED` and `FIRST_STEP_DUE_SET_BY_PROCESS` compared with the code's starts
and workflows, so neither drifts from what really pins a version or sets a due."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest
from temporalio import workflow

import domain.rule_change  # noqa: F401  (declares the rule change's own chain)
from domain.step_deadlines import (
    DECLARED_STEPS,
    DUE_SET_BY_PROCESS,
    FIRST_STEP_DUE_SET_BY_PROCESS,
    RUN_AS_DECLARED,
    undeclared,
)
from workflows.registry import WORKFLOWS

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [*ROOT.glob("workflows/**/*.py"), *ROOT.glob("api/**/*.py"), ROOT / "schedules.py"]
OTHER_STARTS = {"start_child_workflow", "execute_child_workflow", "start_workflow", "ScheduleActionStartWorkflow"}

# Every declared process type and the workflow that runs its chain. A new chain must be added here,
# and the test then says whether a version could reach it.
RUN_BY: dict[str, str] = {
    "big_customer_meeting": "BigCustomerMeeting",
    "borrowing": "Borrowing",
    "complaint_extension": "Complaint",
    "credit_application": "CreditApplication",
    "credit_over_limit": "OverLimitApproval",
    "credit_review": "CreditReview",
    "customer_change": "CustomerChange",
    "customer_destruction": "CustomerChange",
    "customer_survey": "CustomerChange",
    "depot_customer": "UnitCustomer",
    "development_plan": "DevelopmentApproval",
    "grading": "Grading",
    "onboarding": "Onboarding",
    "prepaid_overdrawn": "Approval",
    "prepaid_top_up": "PrepaidTopUp",
    "research_note": "DevelopmentApproval",
    "rule_change": "RuleChange",
    "station_prepaid_customer": "UnitCustomer",
    "station_vat_customer": "UnitCustomer",
    "vat_invoice": "VatInvoice",
    "visit_plan": "VisitPlan",
    "visit_report": "Visit",
}
# The workflows that set their first step's due themselves (`set_first_step_due`), and the process
# types of the chains they do it for (the development workflow only for a plan: `due_before_month`).
SETS_FIRST_DUE: dict[str, set[str]] = {
    "VisitPlan": {"visit_plan"},
    "BigCustomerMeeting": {"big_customer_meeting"},
    "DevelopmentApproval": {"development_plan"},
}

DEFINITIONS = {cls.__name__: workflow._Definition.must_from_class(cls) for cls in WORKFLOWS}


def calls() -> Iterator[ast.Call]:
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                yield node


def called(node: ast.Call) -> str:
    return node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")


def passed_along(node: ast.Call) -> bool:
    """`super().start_workflow(input)`: a client interceptor (api/actor_signing.py) passing on a start
    made elsewhere, not a start of its own."""
    receiver = node.func.value if isinstance(node.func, ast.Attribute) else None
    return isinstance(receiver, ast.Call) and getattr(receiver.func, "id", "") == "super"


def workflow_named(arg: ast.expr) -> str | None:
    """The workflow a start names: "Name", or `SomeWorkflow.run`."""
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return arg.value
    if isinstance(arg, ast.Attribute) and isinstance(arg.value, ast.Name) and arg.value.id in DEFINITIONS:
        return DEFINITIONS[arg.value.id].name
    return None


def starts() -> Iterator[tuple[str, str | None]]:
    """Every start in the code: how (`start_process` or another way) and the workflow it names."""
    for node in calls():
        how = called(node)
        if passed_along(node):
            continue
        if how in OTHER_STARTS or how == "start_process":
            position = 1 if how == "start_process" else 0
            yield how, workflow_named(node.args[position]) if len(node.args) > position else None


def started_through_start_process() -> set[str]:
    return {name for how, name in starts() if how == "start_process" and name is not None}


def started_otherwise() -> set[str]:
    return {name for how, name in starts() if how != "start_process" and name is not None}


def carries_a_chain(name: str) -> bool:
    definition = next(d for d in DEFINITIONS.values() if d.name == name)
    (start,) = definition.arg_types or [object]
    return "chain" in getattr(start, "model_fields", {})


def test_the_scan_reads_the_workflow_every_start_names() -> None:
    """A start whose workflow the scan could not read would escape the comparison below."""
    assert [how for how, name in starts() if name is None] == []


def test_every_declared_process_type_names_the_workflow_that_runs_it() -> None:
    assert set(RUN_BY) == set(DECLARED_STEPS)
    assert set(RUN_BY.values()) <= {d.name for d in DEFINITIONS.values()}


def test_a_version_is_refused_exactly_for_the_types_some_start_of_which_does_not_pin() -> None:
    """A type pins only if its workflow is started through `start_process` with an input that carries
    its chain (api/starts.py `with_rule_versions`), and never started another way (a parent
    workflow, a schedule, a plain client start), as a credit review, a grading round, a visit's
    report or the quarter's meeting are."""
    pinning, other = started_through_start_process(), started_otherwise()
    assert {"CreditReview", "Grading", "Visit", "BigCustomerMeeting"} <= other  # the scan sees them
    never_pinned = {
        process_type
        for process_type, name in RUN_BY.items()
        if name not in pinning or name in other or not carries_a_chain(name)
    }
    assert never_pinned == set(RUN_AS_DECLARED)


def test_the_types_whose_first_due_the_workflow_sets_are_those_declared() -> None:
    setters = set()
    for path in ROOT.glob("workflows/*.py"):
        for cls in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(cls, ast.ClassDef) and any(
                isinstance(n, ast.Call) and called(n) == "set_first_step_due" for n in ast.walk(cls)
            ):
                setters.add(DEFINITIONS[cls.name].name)
    assert setters == set(SETS_FIRST_DUE)
    assert set().union(*SETS_FIRST_DUE.values()) == set(FIRST_STEP_DUE_SET_BY_PROCESS)
    assert {
        "visit_plan": {"manager_approval"},
        "development_plan": {"manager_approval", "vp_approval"},
        "big_customer_meeting": {"minutes"},
    } == DUE_SET_BY_PROCESS


@pytest.mark.parametrize("process_type", sorted(RUN_AS_DECLARED))
def test_a_type_no_start_pins_is_refused_naming_why(process_type: str) -> None:
    problem = undeclared(process_type, ()) or ""
    assert process_type in problem and RUN_AS_DECLARED[process_type] in problem and "000 §16" in problem


@pytest.mark.parametrize("process_type", ["visit_plan", "development_plan"])
def test_a_type_whose_every_due_the_process_sets_is_refused_naming_its_steps(process_type: str) -> None:
    problem = undeclared(process_type, ()) or ""
    assert all(step in problem for step in DUE_SET_BY_PROCESS[process_type]) and "000 §16" in problem


def test_a_type_that_pins_is_still_accepted() -> None:
    assert undeclared("research_note", ["manager_approval"]) is None
    assert undeclared("onboarding", ["marketing_review", "gm_approval"]) is None
