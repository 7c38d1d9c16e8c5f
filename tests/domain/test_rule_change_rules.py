"""Rule changes as pure rules (issue 20 item 7; domain/rule_change.py)."""

from __future__ import annotations

from datetime import date, timedelta

from domain.credit import DEFAULT_POLICY
from domain.roles import Role
from domain.rule_change import (
    RULE_CHANGE_CHAIN,
    CreditPolicyChange,
    RuleKind,
    draft_refusal,
    effective_from,
)


def test_a_version_never_takes_effect_before_its_approval() -> None:
    day = date(2027, 1, 10)
    assert effective_from(day, day - timedelta(days=3)) == day  # a future date waits
    assert effective_from(day, day + timedelta(days=3)) == day + timedelta(days=3)  # late: at approval


def test_a_draft_dated_in_the_past_is_refused_naming_the_article() -> None:
    day = date(2027, 1, 10)
    late = CreditPolicyChange(payload=DEFAULT_POLICY.model_copy(update={"effective_from": day - timedelta(days=1)}))
    refusal = draft_refusal(late, day)
    assert refusal is not None and "001 信用管理措施" in refusal
    on_time = CreditPolicyChange(payload=DEFAULT_POLICY.model_copy(update={"effective_from": day}))
    assert draft_refusal(on_time, day) is None and on_time.rule is RuleKind.credit_policy


def test_the_business_vp_reviews_and_the_general_manager_approves() -> None:
    assert [(s.key, s.role) for s in RULE_CHANGE_CHAIN.steps] == [
        ("vp_review", Role.business_vp),
        ("gm_approval", Role.general_manager),
    ]
