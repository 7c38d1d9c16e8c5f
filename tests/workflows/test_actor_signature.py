"""The worker's actor check (workflows/actor_check.py, issue 24 §2) covers every update that names an
actor, and changes no command: saved histories replay with it registered."""

from __future__ import annotations

import pytest
from temporalio.client import WorkflowHistory
from temporalio.workflow import _Definition

from domain.actor_signature import starter_of
from domain.models import Actor
from schedules import product_schedules
from tests.support import production_replayer
from tests.workflows.test_saved_histories import SAVED
from workflows.actor_check import INTERNAL_SIGNALS
from workflows.registry import WORKFLOWS


def _names_an_actor(arg_type: object) -> bool:
    fields = getattr(arg_type, "model_fields", {})
    return "actor" in fields and fields["actor"].annotation is Actor


def test_every_update_that_names_an_actor_has_a_validator_where_the_check_runs() -> None:
    """The check runs in the validator (never on replay, no event when refused); an update without
    one would reach its handler unchecked."""
    checked: list[str] = []
    unchecked: list[str] = []
    for workflow_class in WORKFLOWS:
        definition = _Definition.must_from_class(workflow_class)
        for name, update in definition.updates.items():
            if any(_names_an_actor(arg) for arg in update.arg_types or []):
                (checked if update.validator is not None else unchecked).append(f"{definition.name}.{name}")
    assert checked and not unchecked, unchecked


# Histories full of decisions, returns, hand-overs and added signers (all the rest replay the same way).
WITH_UPDATES = [
    "engine_delegated_then_decided",
    "engine_add_signer_before_after",
    "onboarding_correction_task_resubmitted_then_withdrawn",
    "complaint_escalated_three_levels",
    "trade_tender_child_reviewed_winner_awarded",
]


def test_schedules_start_only_inputs_that_name_nobody() -> None:
    """A schedule fires long after anyone could sign: what it starts must name no person, or the
    worker would refuse it (starts are checked when they name one)."""
    for schedule_id, schedule in product_schedules("tq").items():
        action = schedule.action
        assert starter_of(getattr(action, "args", ())) is None, schedule_id


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize("name", WITH_UPDATES)
async def test_saved_histories_without_signatures_replay_with_the_check_registered(name: str) -> None:
    """The saved histories were recorded before any signature: the production worker's interceptors
    (the check first) replay them unchanged."""
    replayer = production_replayer()
    result = await replayer.replay_workflow(WorkflowHistory.from_json(name, SAVED[name]), raise_on_replay_failure=False)
    assert result.replay_failure is None, result.replay_failure


def test_the_sealed_signals_are_signals_of_those_workflows() -> None:
    """The signals a deal and its children send each other are checked by name: a renamed handler
    would slip past the check."""
    definitions = {d.name: d for d in map(_Definition.must_from_class, WORKFLOWS)}
    for workflow_type, signals in INTERNAL_SIGNALS.items():
        assert signals <= set(definitions[workflow_type].signals), (workflow_type, signals)


# Every saved trade history — deals and children — took unsealed signals from each other; they
# replay with the check registered (their runs started before the seal existed).
TRADE = [name for name in SAVED if name.startswith("trade_")]


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize("name", TRADE)
async def test_saved_trade_histories_with_unsealed_signals_replay_with_the_check_registered(name: str) -> None:
    replayer = production_replayer()
    result = await replayer.replay_workflow(WorkflowHistory.from_json(name, SAVED[name]), raise_on_replay_failure=False)
    assert result.replay_failure is None, result.replay_failure
