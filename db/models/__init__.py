"""The project's own tables. Temporal holds the truth of every process; these are projections
(processes, tasks) that inboxes and lists query fast, plus the master data (users, customers).

One module per area, all mapped on the one `Base` (db/models/base.py); importing this package maps
every table, so `Base.metadata` is complete (Alembic's env.py reads it). Import models from here:
`from db.models import Customer` — the area modules are where they are defined, not an interface."""

from __future__ import annotations

from db.models.audit import AuditHead, AuditRecord, RuleApplication
from db.models.base import Base, UTCDateTime
from db.models.borrowing import Borrowing, RegisterReview
from db.models.complaints import Complaint, ComplaintStats
from db.models.credit import CreditAccount, CreditCollectionDue, CreditDecision, LedgerImport
from db.models.customers import Customer, CustomerChange, CustomerDocument, CustomerLink, CustomerSurvey
from db.models.development import BigCustomerMeeting, DevelopmentPlan, DevelopmentTarget, MeetingAttendee, ResearchNote
from db.models.grading import CustomerGrading, GradingClock
from db.models.mail import MailPreference
from db.models.notification_reads import NotificationRead
from db.models.processes import Notification, Process, ProcessWatcher, Task
from db.models.rules import CreditPolicy, GradingConfig, OnboardingDocumentList, StepDeadlineVersion
from db.models.trade import TradeDeal, TradeHandler, TradeTender
from db.models.unit_customers import CustomerBalance, CustomerLedgerEntry, InvoiceRegisterEntry
from db.models.user_identities import UserIdentity
from db.models.users import AdminAudit, IdempotencyKey, LoginAttempt, OrgUnit, OutOfOffice, User, UserRole
from db.models.visits import Visit, VisitPlan
from db.models.web_sessions import WebSession
from db.models.working_calendar import CalendarChange, CalendarDay, CalendarYear

__all__ = [
    "AdminAudit",
    "AuditHead",
    "AuditRecord",
    "Base",
    "BigCustomerMeeting",
    "Borrowing",
    "CalendarChange",
    "CalendarDay",
    "CalendarYear",
    "Complaint",
    "ComplaintStats",
    "CreditAccount",
    "CreditCollectionDue",
    "CreditDecision",
    "CreditPolicy",
    "Customer",
    "CustomerBalance",
    "CustomerChange",
    "CustomerDocument",
    "CustomerGrading",
    "CustomerLedgerEntry",
    "CustomerLink",
    "CustomerSurvey",
    "DevelopmentPlan",
    "DevelopmentTarget",
    "GradingClock",
    "GradingConfig",
    "IdempotencyKey",
    "InvoiceRegisterEntry",
    "LedgerImport",
    "LoginAttempt",
    "MailPreference",
    "MeetingAttendee",
    "Notification",
    "NotificationRead",
    "OnboardingDocumentList",
    "OrgUnit",
    "OutOfOffice",
    "Process",
    "ProcessWatcher",
    "RegisterReview",
    "ResearchNote",
    "RuleApplication",
    "StepDeadlineVersion",
    "Task",
    "TradeDeal",
    "TradeHandler",
    "TradeTender",
    "UTCDateTime",
    "User",
    "UserIdentity",
    "UserRole",
    "Visit",
    "VisitPlan",
    "WebSession",
]
