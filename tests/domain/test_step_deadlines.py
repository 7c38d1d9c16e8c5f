"""Step deadlines as a versioned rule (issue 21 §3; domain/step_deadlines.py): a version times the
steps it names and is named on the chain; a chain rebuilt on the way keeps what the start pinned."""

from __future__ import annotations

from datetime import date

from domain.approvals import VersionRef
from domain.credit_application import CREDIT_APPLICATION_CHAIN, CREDIT_APPLICATION_GM_CHAIN
from domain.development import DEVELOPMENT_PLAN_CHAIN
from domain.grading import GRADING_CHAIN
from domain.step_deadlines import DECLARED_STEPS, StepTiming, carried, timed, undeclared
from domain.visits import VISIT_PLAN_CHAIN

REF = VersionRef(rule="step_deadlines", version=4, effective_from=date(2027, 1, 1))


def test_a_version_times_only_the_steps_it_names_and_is_named_on_the_chain() -> None:
    first, *others = CREDIT_APPLICATION_CHAIN.steps
    chain = timed(CREDIT_APPLICATION_CHAIN, {first.key: StepTiming(due_working_days=9)}, REF)
    assert (chain.steps[0].due_working_days, chain.steps[0].remind_before_hours) == (9, first.remind_before_hours)
    assert list(chain.steps[1:]) == others
    assert chain.rule_versions == (REF,)
    again = timed(chain, {first.key: StepTiming(due_working_days=2, remind_before_hours=1)}, REF)
    assert again.rule_versions == (REF,) and again.steps[0].remind_before_hours == 1  # one ref per rule


def test_a_rebuilt_chain_keeps_the_pinned_deadlines_and_a_chain_that_pinned_nothing_is_as_declared() -> None:
    first = CREDIT_APPLICATION_CHAIN.steps[0]
    pinned = timed(CREDIT_APPLICATION_CHAIN, {first.key: StepTiming(due_working_days=11)}, REF)
    rebuilt = carried(CREDIT_APPLICATION_GM_CHAIN, pinned)
    assert rebuilt.steps[0].due_working_days == 11 and rebuilt.rule_versions == (REF,)
    assert rebuilt.steps[-1] == CREDIT_APPLICATION_GM_CHAIN.steps[-1]  # the GM's step, added later: as declared
    assert carried(CREDIT_APPLICATION_GM_CHAIN, CREDIT_APPLICATION_CHAIN) is CREDIT_APPLICATION_GM_CHAIN


def test_a_version_names_a_declared_process_type_and_its_steps() -> None:
    assert undeclared("onboarding", ["marketing_review", "gm_approval"]) is None
    assert "000 §16" in (undeclared("no_such_type", []) or "")
    assert "ghost" in (undeclared("onboarding", ["ghost"]) or "")
    assert "manager_approval" in DECLARED_STEPS["borrowing"]  # an outsider's loan, built per request
    assert "external_trade" not in DECLARED_STEPS  # a deal's start carries no chain to pin


def test_a_version_whose_figures_the_process_could_not_apply_is_neither_applied_nor_named() -> None:
    """A version approved before such versions were refused (000 §16): the plan's month-bound due
    and a grading round's declared chain stay as they are, and no history names the version."""
    timing = StepTiming(due_working_days=40)
    assert timed(VISIT_PLAN_CHAIN, {"manager_approval": timing}, REF) is VISIT_PLAN_CHAIN
    assert timed(DEVELOPMENT_PLAN_CHAIN, {"manager_approval": timing}, REF) is DEVELOPMENT_PLAN_CHAIN
    assert timed(GRADING_CHAIN, {"vp_approval": timing}, REF) is GRADING_CHAIN
