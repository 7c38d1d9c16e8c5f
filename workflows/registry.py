"""Every workflow the worker runs, in one list the worker and the tests share."""

from __future__ import annotations

from workflows.borrowing import BorrowingWorkflow
from workflows.collection import CreditCollectionRoundWorkflow, CreditCollectionWorkflow
from workflows.complaint import ComplaintWorkflow
from workflows.complaint_stats import ComplaintStatsWorkflow
from workflows.credit_application import CreditApplicationWorkflow, OverLimitApprovalWorkflow
from workflows.credit_review import CreditReviewRoundWorkflow, CreditReviewWorkflow, CreditRiskSweepWorkflow
from workflows.customer_change import CustomerChangeWorkflow
from workflows.development import (
    BigCustomerMeetingRoundWorkflow,
    BigCustomerMeetingWorkflow,
    DevelopmentApprovalWorkflow,
)
from workflows.external_trade import ExternalTradeWorkflow
from workflows.external_trade.contract_child import ContractWorkflow
from workflows.external_trade.payment_child import PaymentFormWorkflow
from workflows.external_trade.tender_child import TenderWorkflow
from workflows.generic_approval import ApprovalWorkflow
from workflows.grading import GradingClockSweepWorkflow, GradingClockWorkflow, GradingWorkflow
from workflows.onboarding import OnboardingWorkflow
from workflows.register_review import RegisterReviewRoundWorkflow, RegisterReviewWorkflow
from workflows.rule_change import RuleChangeWorkflow
from workflows.unit_customers import PrepaidTopUpWorkflow, UnitCustomerWorkflow
from workflows.vat_invoice import VatInvoiceWorkflow
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
    BigCustomerMeetingRoundWorkflow,  # issue 12 §3: meetings, plans, research (000 §12, §15)
    BigCustomerMeetingWorkflow,
    DevelopmentApprovalWorkflow,
    CustomerChangeWorkflow,  # issue 11 §3: card changes and destructions (000 §10, 004 §6)
    BorrowingWorkflow,  # issue 11 §3: file borrowing (002 rule 1, 004 §3)
    RegisterReviewRoundWorkflow,  # issue 11 §3: register reviews in February and August (004 §4)
    RegisterReviewWorkflow,
    UnitCustomerWorkflow,  # issue 11 §1-§2: depot and station customers (000 §8, §9)
    PrepaidTopUpWorkflow,  # 000 §9 (一): finance confirms a top-up
    CreditCollectionRoundWorkflow,  # issue 12 §1: month-end collection (000 §13)
    CreditCollectionWorkflow,
    CreditApplicationWorkflow,  # issue 12 §1: credit application and over-limit approval (000 §13, 001 §3)
    CreditReviewWorkflow,  # issue 12 §1: credit reviews and the daily risk sweep (001 信用审核, 003 §6)
    CreditReviewRoundWorkflow,
    CreditRiskSweepWorkflow,
    OverLimitApprovalWorkflow,
    VatInvoiceWorkflow,  # issue 20 item 8: one VAT special invoice, issued and collected (000 §9 (三))
    RuleChangeWorkflow,  # issue 20 item 7: who sets the rules (001 信用管理措施 §1-§2, 001 §1)
    PaymentFormWorkflow,  # issue 22: one external-trade payment form, a child of its deal (000 §7 (八))
    ContractWorkflow,  # issue 22: an external-trade deal's contract, a child of its deal (000 §7 (六)-(七))
    TenderWorkflow,  # issue 22: an external-trade deal's tender, a child of its deal (000 §7 (四)-(五))
]
