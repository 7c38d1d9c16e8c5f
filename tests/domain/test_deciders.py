"""The decider walk (domain/deciders.py, issue 20 item 11) on facts written out by hand."""

from __future__ import annotations

import pytest

from domain.approvals import CHAINS, CUSTOMER_CHANGE_HQ_CHAIN, STATION_VAT_CHAIN, LeaderGap, SignMode
from domain.deciders import StepFacts, Undecidable, seated_chain
from domain.roles import Role

DEPOT_HEADS = ("depot_manager", "general_manager")  # DEPOT-ZZ, then HQ
MKT_HEADS = ("marketing_manager", "general_manager")  # MKT, then HQ


def test_a_chain_with_other_deciders_is_left_as_declared() -> None:
    chain = CHAINS["depot_customer"]
    facts = [StepFacts(others={Role.depot_manager: ("depot_manager",)}, heads={Role.depot_manager: DEPOT_HEADS})]
    assert seated_chain(chain, "sales_clerk", facts) is chain


def test_a_lone_unit_seat_goes_to_the_nearest_head_who_is_not_the_applicant() -> None:
    facts = [StepFacts(others={Role.depot_manager: ()}, heads={Role.depot_manager: DEPOT_HEADS})]
    seated = seated_chain(CHAINS["depot_customer"], "depot_manager", facts)
    [step] = seated.steps
    assert (step.key, step.named, step.signers, step.seat_roles) == (
        "depot_manager_review",
        True,
        ("general_manager",),
        (),
    )
    assert seated.leader_gap is LeaderGap.admin  # never skipped if that head is gone when it opens


def test_a_joint_review_keeps_its_other_seat_after_the_head_above() -> None:
    facts = [
        StepFacts(
            others={Role.station_manager: (), Role.finance_reviewer: ("finance_reviewer",)},
            heads={Role.station_manager: ("station_manager", "general_manager"), Role.finance_reviewer: ()},
        )
    ]
    above, joint = seated_chain(STATION_VAT_CHAIN, "station_manager", facts).steps
    assert (above.key, above.signers) == ("joint_review_above", ("general_manager",))
    assert (joint.key, joint.seat_roles, joint.mode) == ("joint_review", (Role.finance_reviewer,), SignMode.single)


def test_a_head_needed_by_a_later_step_is_passed_over_for_the_next_one_up() -> None:
    """A marketing reviewer's own card change: their manager must approve the second step, and
    nobody decides two steps, so the review goes one level further up."""
    facts = [
        StepFacts(others={Role.marketing_reviewer: ()}, heads={Role.marketing_reviewer: MKT_HEADS}),
        StepFacts(others={Role.marketing_manager: ("marketing_manager",)}, heads={Role.marketing_manager: MKT_HEADS}),
    ]
    review, approval = seated_chain(CUSTOMER_CHANGE_HQ_CHAIN, "marketing_reviewer", facts).steps
    assert (review.key, review.signers) == ("marketing_review", ("general_manager",))
    assert approval.seat_roles == (Role.marketing_manager,)


def test_no_head_above_is_refused_naming_the_step_and_the_article() -> None:
    facts = [StepFacts(others={Role.depot_manager: ()}, heads={Role.depot_manager: ("lone_manager", None)})]
    with pytest.raises(Undecidable, match=r"depot_manager_review .*could never be decided.*000 §5"):
        seated_chain(CHAINS["depot_customer"], "lone_manager", facts)


def test_two_steps_only_one_person_could_decide_are_refused() -> None:
    facts = [
        StepFacts(others={Role.marketing_reviewer: ("both",)}, heads={}),
        StepFacts(others={Role.marketing_manager: ("both",)}, heads={}),
    ]
    with pytest.raises(Undecidable, match="nobody decides two"):
        seated_chain(CUSTOMER_CHANGE_HQ_CHAIN, "sales_clerk", facts)
