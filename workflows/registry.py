"""Every workflow the worker runs, in one list the worker and the tests share."""

from __future__ import annotations

from workflows.complaint import ComplaintWorkflow
from workflows.complaint_stats import ComplaintStatsWorkflow
from workflows.external_trade import ExternalTradeWorkflow
from workflows.generic_approval import ApprovalWorkflow
from workflows.onboarding import OnboardingWorkflow

WORKFLOWS: list[type] = [
    OnboardingWorkflow,
    ComplaintWorkflow,
    ComplaintStatsWorkflow,
    ExternalTradeWorkflow,
    ApprovalWorkflow,
]
