"""The actor signature's rule (domain/actor_signature.py, issue 24 §2): pure, no Temporal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import BaseModel

from domain.actor_signature import LIFETIME, actor_of, refusal, sign, starter_of
from domain.borrowing import ReviewInput
from domain.credit import CreditCustomer, CreditReviewInput, ReviewOccasion
from domain.models import Actor, DecisionRequest
from domain.roles import Role

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
OLD, NEW = b"o" * 32, b"n" * 32
GM = Actor(username="general_manager", roles=[Role.general_manager])


def test_a_signature_opens_exactly_the_act_it_was_made_for() -> None:
    token = sign(NEW, "default", "onboarding-1", "decide", GM, NOW)
    assert refusal([NEW], token, "default", "onboarding-1", "decide", GM, NOW) is None
    assert refusal([NEW], token, "default", "onboarding-1", "decide", GM, NOW + LIFETIME) is None
    others = [
        ("other-namespace", "onboarding-1", "decide", GM),
        ("default", "onboarding-2", "decide", GM),
        ("default", "onboarding-1", "withdraw", GM),
        ("default", "onboarding-1", "decide", GM.model_copy(update={"username": "sales_clerk"})),
        ("default", "onboarding-1", "decide", GM.model_copy(update={"roles": [Role.general_manager, Role.admin]})),
        ("default", "onboarding-1", "decide", GM.model_copy(update={"unit": "DEPOT-ZZ"})),
    ]
    for namespace, workflow_id, name, actor in others:
        why = refusal([NEW], token, namespace, workflow_id, name, actor, NOW)
        assert why is not None and "does not match" in why and "issue 24 §2" in why


def test_a_captured_signature_does_not_open_another_update_of_the_same_act() -> None:
    """The reviewer's replay: a signature made for one `decide` reused on another `decide` by the same
    user on the same process, within its lifetime."""
    token = sign(NEW, "default", "w", "decide", GM, NOW, update_id="update-1")
    assert refusal([NEW], token, "default", "w", "decide", GM, NOW, update_id="update-1") is None
    for other in ("update-2", ""):
        why = refusal([NEW], token, "default", "w", "decide", GM, NOW, update_id=other)
        assert why is not None and "does not match" in why


def test_the_full_name_is_a_label_not_a_permission() -> None:
    token = sign(NEW, "default", "w", "decide", GM, NOW)
    renamed = GM.model_copy(update={"full_name": "张总"})
    assert refusal([NEW], token, "default", "w", "decide", renamed, NOW) is None


def test_an_expired_signature_is_refused() -> None:
    token = sign(NEW, "default", "w", "decide", GM, NOW)
    why = refusal([NEW], token, "default", "w", "decide", GM, NOW + LIFETIME + timedelta(seconds=1))
    assert why is not None and "expired" in why


@pytest.mark.parametrize("token", [None, "", "v2.1.ab", "v1..ab", "v1.12", "v1.-5.ab", "garbage"])
def test_a_missing_or_malformed_signature_is_refused(token: str | None) -> None:
    why = refusal([NEW], token, "default", "w", "decide", GM, NOW)
    assert why is not None and "issue 24 §2" in why


def test_every_key_of_the_ring_verifies_so_a_key_rotates_without_refusals() -> None:
    signed_before = sign(OLD, "default", "w", "decide", GM, NOW)
    assert refusal([NEW, OLD], signed_before, "default", "w", "decide", GM, NOW) is None
    assert refusal([NEW], signed_before, "default", "w", "decide", GM, NOW) is not None  # OLD retired


def test_the_actor_is_the_requests_actor() -> None:
    request = DecisionRequest(task_id="t", step="s", outcome="approve", actor=GM)
    assert actor_of([request]) == GM
    assert actor_of([]) is None
    assert actor_of(["not a request"]) is None


def test_a_start_is_signed_for_the_person_it_names_the_system_actor_too() -> None:
    class Start(BaseModel):  # like every start input: one field names who starts it
        subject: str
        author: Actor

    assert starter_of([Start(subject="s", author=GM)]) == GM
    system = starter_of([ReviewInput(period="2031-02", unit="DEPOT-ZZ", keeper=Role.depot_manager)])
    assert system is not None and system.username == "system"  # a client's start as `system` is signed too
    assert starter_of([]) is None and starter_of([object()]) is None
    by_hand = CreditReviewInput(
        customer=CreditCustomer(customer_id=1, credit_code="c", name="n", unit="DEPOT-ZZ"),
        occasion=ReviewOccasion.manual,
        key="k",
        requested_by="marketing_manager",
    )
    assert starter_of([by_hand]) == Actor(username="marketing_manager")  # a plain username: signed too
    assert starter_of([by_hand.model_copy(update={"requested_by": None})]) is None  # the sweep's: nobody
