"""Every workflow the worker runs, in one list the worker and the tests share."""

from __future__ import annotations

from workflows.borrowing import BorrowingWorkflow
from workflows.complaint import ComplaintWorkflow
from workflows.complaint_stats import ComplaintStatsWorkflow
from workflows.customer_change import CustomerChangeWorkflow
from workflows.external_trade import ExternalTradeWorkflow
from workflows.generic_approval import ApprovalWorkflow
from workflows.grading import GradingClockSweepWorkflow, GradingClockWorkflow, GradingWorkflow
from workflows.onboarding import OnboardingWorkflow
from workflows.register_review import RegisterReviewRoundWorkflow, RegisterReviewWorkflow
from workflows.unit_customers import PrepaidTopUpWorkflow, UnitCustomerWorkflow
from workflows.visits import VisitPlanWorkflow, VisitWorkflow

WORKFLOWS: list[type] = [
    OnboardingWorkflow,
    ComplaintWorkflow,
    ComplaintStatsWorkflow,
    ExternalTradeWorkflow,
    ApprovalWorkflow,
    GradingWorkflow,  # issue 12 §2 (001 §1)
    GradingClockWorkflow,
    GradingClockSweepWorkflow,
    VisitPlanWorkflow,  # issue 12 §3 (000 §12, 002 rule 7)
    VisitWorkflow,
    CustomerChangeWorkflow,  # issue 11 §3: card changes and destructions (000 §10, 004 §6)
    BorrowingWorkflow,  # issue 11 §3: file borrowing (002 rule 1, 004 §3)
    RegisterReviewRoundWorkflow,  # issue 11 §3: register reviews in February and August (004 §4)
    RegisterReviewWorkflow,
    UnitCustomerWorkflow,  # issue 11 §1-§2: depot and station customers (000 §8, §9)
    PrepaidTopUpWorkflow,  # 000 §9 (一): finance confirms a top-up
]
