"""Histories saved from earlier runs replay on the current code (sdk-python test_replayer): a change
that would break workflows already running in production fails here, before a deploy.

Refresh them on purpose only, with `RECORD_HISTORIES=1 pytest -k "ladder or replays"`, when a
change is made compatible (e.g. with `workflow.patched`) or no old run can exist any more.
"""

from __future__ import annotations

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from temporal_client import DATA_CONVERTER
from tests.support import HISTORIES
from workflows.registry import WORKFLOWS

SAVED: dict[str, str] = {path.stem: path.read_text() for path in sorted(HISTORIES.glob("*.json"))}


def test_histories_are_saved() -> None:
    assert set(SAVED) >= {
        "complaint_escalated_three_levels",
        "onboarding_returned_then_withdrawn",
        "engine_add_signer_before_after",
        "engine_step_escalated_three_levels",
        "engine_delegated_then_decided",
        "engine_step_escalated_three_levels_dated_by_write",  # the step's deadline counted by its write
        "onboarding_returned_then_withdrawn_dated_by_write",
        "onboarding_correction_task_resubmitted_then_withdrawn",  # a return opens the applicant's task
        "credit_application_returned_correction_task_resubmitted",
        "trade_step_escalated_three_levels",  # trade approval steps have deadlines (trade-step-deadlines)
        "complaint_rush_production_escalated_then_done",  # production_dept after a re-production order
        "onboarding_sign_off_refused_then_returned",  # 000 §6 checked again at the sign-off
        "onboarding_pinned_documents",  # the 000 §6 list pinned at the start, named (issue 21 §3)
        "research_note_step_deadlines_pinned",  # started under a step_deadlines version (issue 21 §3)
        "trade_payments_in_lanes_settled",  # payment forms in lanes of the deal, before the children
        "trade_payment_forms_as_children",  # payment forms as children, the contract in line (both patches met)
        "trade_payment_form_child_settled",  # the child of one form: approved, paid, settled
        "trade_contract_as_child",  # the contract a child (trade-contract-child), the tender in line
        "trade_contract_child_returned_then_signed",  # the contract's child: legal return, re-review, signed
        "trade_tender_as_child",  # the tender a child (trade-tender-child, issue 22), then the contract
        "trade_tender_child_reviewed_winner_awarded",  # the tender's child: bids, closing, winner review, award
    }


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize("name", list(SAVED))
async def test_saved_history_replays(name: str) -> None:
    history = WorkflowHistory.from_json(name, SAVED[name])
    result = await Replayer(workflows=WORKFLOWS, data_converter=DATA_CONVERTER).replay_workflow(
        history, raise_on_replay_failure=False
    )
    assert result.replay_failure is None, result.replay_failure
