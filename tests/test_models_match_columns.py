"""The API's input models and the database columns agree by construction (issue 10 §2).

Every field of every request body the app accepts (found from the route table, nested models
included) is declared below with where it is stored. The test then tries the column's limits on
the field: a value one character longer than the VARCHAR, one digit more than the Numeric, an
integer past the column, a NUL, a lone surrogate, a moment past the end of the calendar — the
model must refuse each. A new body field without an entry fails, and so does an int parameter
of a path or query without a bound. Only SQLAlchemy metadata: no database.
"""

from __future__ import annotations

import enum
import os
import typing
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Annotated, Any

import pytest
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError
from sqlalchemy import JSON, Boolean, Column, Date, Integer, Numeric, String, Text

from db import models as db
from domain.taxpayer import TaxpayerCheck
from domain.text import INT32_MAX, INT64_MAX

os.environ.setdefault("APP_ENV", "demo")


class Nested:
    """A model of its own: its fields have their own entries."""


class InHistory:
    """Kept in the workflow's state and history (a JSON payload), not in a column of its own."""


class NotStored:
    def __init__(self, why: str) -> None:
        self.why = why


class Joined:
    """A list stored joined with commas in one VARCHAR column."""

    def __init__(self, column: Column[Any]) -> None:
        self.column = column


NESTED, IN_HISTORY = Nested(), InHistory()
c = {table.name: table.c for table in db.Base.metadata.sorted_tables}

CARD_CHANGE_FIELDS = (  # domain/customer_record.py CardChanges: each field has its column
    "name", "address", "legal_representative", "phone", "postcode", "fax", "owner", "manager",
    "organisation_form", "industry", "scale", "business_scope", "registered_capital",
    "registration_authority", "registered_on", "employees", "revenue", "net_assets", "bank_name",
    "bank_account", "foreign_currency_account", "bank_rating",
)  # fmt: skip
SURVEY_FIELDS = (
    "direction", "products", "development_potential", "business_direction", "cooperation_attitude",
    "reputation", "credit_standing", "trade_conditions", "expected_monthly_tonnes",
)  # fmt: skip

# Where each request body field is stored.
STORED_IN: dict[str, Any] = {
    # onboarding and every customer card (000 §10)
    "OnboardingApplication.customer": NESTED,
    "OnboardingApplication.documents": NESTED,
    "CustomerData.name": c["customers"].name,
    "CustomerData.credit_code": c["customers"].credit_code,
    "CustomerData.kind": c["customers"].kind,
    "CustomerData.address": c["customers"].address,
    "CustomerData.legal_representative": c["customers"].legal_representative,
    "CustomerData.phone": c["customers"].phone,
    "CustomerData.registered_capital": c["customers"].registered_capital,
    **{
        f"CustomerData.{name}": c["customers"].card
        for name in [
            "postcode",
            "fax",
            "contact_person",
            "manager",
            "organisation_form",
            "industry",
            "scale",
            "business_scope",
            "registration_authority",
            "registered_on",
            "employees",
            "bank_name",
            "bank_account",
            "delegate",
        ]
    },
    "Document.type": c["customer_documents"].type,
    "Document.number": c["customer_documents"].number,
    "Document.issuer": c["customer_documents"].issuer,
    "Document.valid_until": c["customer_documents"].valid_until,
    "Document.stamped_copy": c["customer_documents"].stamped_copy,
    "Document.original": c["customer_documents"].original,  # 000 §6 item 9 委托书原件 (issue 11 §4)
    # the customer record (issue 11 §3: 000 §10, 004 §4-§6)
    "CardChangeRequest.changes": NESTED,
    "CardChangeRequest.reason": c["customer_changes"].reason,
    "CardChangeRequest.evidence": c["customer_changes"].evidence,
    **{f"CardChanges.{name}": c["customers"][name] for name in CARD_CHANGE_FIELDS},
    "CustomerStatusChange.status": c["customers"].status,
    "CustomerStatusChange.reason": c["customer_changes"].reason,
    "CustomerHandOver.from_user": c["customers"].owner_person,
    "CustomerHandOver.to_user": c["customers"].owner_person,
    "CustomerHandOver.reason": c["customer_changes"].reason,
    "FileDestructionRequest.reason": c["customer_changes"].reason,
    **{f"SurveyForm.{name}": c["customer_surveys"][name] for name in SURVEY_FIELDS},
    # depot and station customers (issue 11 §1-§2: 000 §8, §9) and the customer ledger
    "CustomerData.general_taxpayer": c["customers"].card,
    # 000 §8 (一): the tax-bureau check, kept in the card (issue 20 item 12)
    "CustomerData.taxpayer_check": NESTED,
    **{f"TaxpayerCheck.{name}": c["customers"].card for name in TaxpayerCheck.model_fields},
    "UnitCustomerApplication.unit": c["customers"].unit_code,
    "UnitCustomerApplication.customer": NESTED,
    "UnitCustomerApplication.documents": NESTED,
    "UnitCustomerApplication.prepaid": IN_HISTORY,
    "UnitCustomerApplication.vat_invoice": NESTED,
    **{
        f"VatInvoiceInfo.{name}": c["invoice_register"].certificate
        for name in ("invoice_title", "taxpayer_id", "address_phone", "bank_account")
    },
    "LedgerMoveIn.amount": c["customer_ledger"].amount,
    "VatInvoiceRequest.amount": c["invoice_register"].amount,  # issue 20 item 8 (000 §9 (三))
    "IssueIn.invoice_no": c["invoice_register"].invoice_no,
    "LedgerMoveIn.reference": c["customer_ledger"].reference,
    # inbox actions
    "DecisionIn.outcome": c["tasks"].outcome,
    "DecisionIn.comment": c["tasks"].comment,
    "DecisionIn.return_to": NotStored("must name an earlier step of the chain, or the decision is refused"),
    "DecisionIn.cc": c["process_watchers"].username,
    "BulkDecisionIn.decisions": NESTED,
    "BulkItem.task_id": NotStored("looked up: an unknown task is a 404 for that item"),
    "BulkItem.outcome": c["tasks"].outcome,
    "BulkItem.comment": c["tasks"].comment,
    "HandOverIn.to": c["tasks"].assignee,
    "HandOverIn.comment": c["tasks"].comment,
    "AddSignerIn.signer": c["tasks"].assignee,
    "AddSignerIn.position": NotStored("decides where the added step goes"),
    "AddSignerIn.reason": c["tasks"].comment,
    # processes
    "WithdrawIn.reason": c["tasks"].comment,
    "UrgeIn.comment": c["notifications"].body,
    "RepairIn.action": NotStored("chooses the repair"),
    "RepairIn.reason": c["processes"].failure_reason,
    # complaints (002 rule 2 §15, §17)
    "ComplaintIn.customer_id": c["complaints"].customer_id,
    "ComplaintIn.customer_name": c["complaints"].customer_name,
    "ComplaintIn.channel": c["complaints"].channel,
    "ComplaintIn.category": c["complaints"].category,
    "ComplaintIn.severity": c["complaints"].severity,
    "ComplaintIn.description": c["complaints"].description,
    "ComplaintIn.customer_request": c["complaints"].details,
    "ComplaintIn.contact": c["complaints"].details,
    "ComplaintIn.received_at": c["complaints"].received_at,
    **{
        f"InvestigationReport.{name}": c["complaints"].details
        for name in [
            "cause",
            "course",
            "responsible_person",
            "conclusion",
            "countermeasure",
            "prevention",
            "product_cause",
        ]
    },
    "VerdictIn.remedy": c["complaints"].details,
    "VerdictIn.verdict": c["complaints"].details,
    "RemedyIn.note": c["complaints"].details,
    "ReplyIn.resolution": c["complaints"].details,
    "ReplyIn.method": c["complaints"].details,
    "ReplyIn.reply": c["complaints"].details,
    "ExtensionIn.reason": c["tasks"].comment,
    # calendar
    "DayEntry.is_working_day": c["calendar_days"].is_working_day,
    "DayEntry.note": c["calendar_days"].note,
    "YearSchedule.source": c["calendar_years"].source,
    "YearSchedule.holidays": c["calendar_days"].day,
    "YearSchedule.workdays": c["calendar_days"].day,
    # users
    "OutOfOfficeIn.deputy": c["out_of_office"].deputy,
    "OutOfOfficeIn.starts_at": c["out_of_office"].starts_at,
    "OutOfOfficeIn.ends_at": c["out_of_office"].ends_at,
    "OutOfOfficeIn.reason": c["out_of_office"].reason,
    "UserIn.username": c["users"].username,
    "UserIn.full_name": c["users"].full_name,
    "UserIn.password": NotStored("only its Argon2 hash is stored"),
    "UserIn.unit": c["users"].unit_code,
    "UserIn.roles": c["user_roles"].role,
    "RolesIn.roles": c["user_roles"].role,
    "UnitIn.unit": c["users"].unit_code,
    "PasswordIn.password": NotStored("only its Argon2 hash is stored"),
    # external trade (000 §7)
    "TradeApplication.partner": NESTED,
    "TradeApplication.ownership": c["trade_deals"].ownership,
    "TradeApplication.direction": c["trade_deals"].direction,
    "TradeApplication.products": Joined(c["trade_deals"].products),
    "TradeApplication.documents": NESTED,
    "TradeApplication.purpose": IN_HISTORY,
    "TradeApplication.co_handlers": c["trade_handlers"].username,
    **{
        f"LeadershipDecisionIn.{name}": IN_HISTORY
        for name in ("meeting_date", "attendees", "minutes_ref", "outcome", "comment")
    },
    "TenderIn.conditions": c["trade_tenders"].conditions,
    "TenderIn.invited_range": c["trade_tenders"].invited_range,
    "TenderIn.bidding_deadline": c["trade_tenders"].bidding_deadline,
    "BidIn.bidder": NESTED,
    "BidIn.documents": NESTED,
    **{f"BidIn.{name}": c["trade_tenders"].bids for name in ("ownership", "amount", "unit_price", "quantity", "terms")},
    "NoAwardDecisionIn.decision": IN_HISTORY,
    "NoAwardDecisionIn.reason": IN_HISTORY,
    "NoAwardDecisionIn.bidding_deadline": c["trade_tenders"].bidding_deadline,
    "NoAwardDecisionIn.conditions": c["trade_tenders"].conditions,
    "NoAwardDecisionIn.invited_range": c["trade_tenders"].invited_range,
    "EvaluationIn.ranking": c["trade_tenders"].ranking,
    "EvaluationIn.rationale": IN_HISTORY,
    "ContractIn.amount": c["trade_deals"].contract_amount,
    **{
        f"ContractIn.{name}": c["trade_deals"].contract
        for name in ("contract_no", "goods", "payment_terms", "delivery_terms", "note")
    },
    **{
        f"SigningIn.{name}": c["trade_deals"].contract
        for name in ("signed_on", "our_signatory", "counterpart_signatory")
    },
    **{f"TitleTransferIn.{name}": c["trade_deals"].contract for name in ("certificate_no", "signed_on", "note")},
    "PaymentFormIn.amount": c["trade_deals"].paid_amount,
    **{
        f"PaymentFormIn.{name}": c["trade_deals"].payments
        for name in ("due_date", "bank_name", "bank_account", "instalment_note")
    },
    "PaymentPaidIn.paid_at": c["trade_deals"].payments,
    "PaymentPaidIn.reference": c["trade_deals"].payments,
    # grading (001 §1): the rule's versions and the score sheets
    "GradingConfigIn.effective_from": c["grading_configs"].effective_from,
    "GradingConfigIn.weights": c["grading_configs"].weights,
    "GradingConfigIn.thresholds": NESTED,
    "Thresholds.A": c["grading_configs"].thresholds,
    "Thresholds.B": c["grading_configs"].thresholds,
    "GradingConfigIn.reason": c["grading_configs"].reason,
    "ScoreSheetIn.scores": c["customer_gradings"].scores,
    "ScoreSheetIn.comment": IN_HISTORY,
    # visits (000 §12, 002 rule 7)
    "VisitPlanIn.month": c["visit_plans"].month,
    "VisitPlanIn.visits": NESTED,
    "VisitIn.customer_id": c["visits"].customer_id,
    "VisitIn.planned_on": c["visits"].planned_on,
    "VisitIn.purpose": c["visits"].purpose,
    "VisitReportIn.visited_on": c["visits"].visited_on,
    "VisitReportIn.summary": c["visits"].summary,
    "VisitReportIn.findings": c["visits"].findings,
    # market development (000 §12, §15): meetings, development plans, research notes
    "MinutesIn.held_on": c["big_customer_meetings"].held_on,
    "MinutesIn.attendees": NESTED,
    "MinutesIn.minutes": c["big_customer_meetings"].minutes,
    "MinutesIn.follow_ups": c["big_customer_meetings"].follow_ups,
    "AttendeeIn.name": c["meeting_attendees"].name,
    "AttendeeIn.organisation": c["meeting_attendees"].organisation,
    "AttendeeIn.customer_id": c["meeting_attendees"].customer_id,
    "DevelopmentPlanIn.month": c["development_plans"].month,
    "DevelopmentPlanIn.focus": c["development_plans"].focus,
    "DevelopmentPlanIn.targets": NESTED,
    "TargetIn.salesperson": c["development_targets"].salesperson,
    "TargetIn.customer_id": c["development_targets"].customer_id,
    "TargetIn.prospect": c["development_targets"].prospect,
    "TargetIn.indicator": c["development_targets"].indicator,
    "TargetIn.target": c["development_targets"].target,
    "ResultsIn.results": NESTED,
    "ResultIn.target_id": c["development_targets"].id,
    "ResultIn.actual": c["development_targets"].actual,
    "ResearchNoteIn.month": c["research_notes"].month,
    "ResearchNoteIn.area": c["research_notes"].area,
    "ResearchNoteIn.findings": c["research_notes"].findings,
    "ResearchNoteIn.customers_contacted": c["research_notes"].customers_contacted,
    "ResearchNoteIn.potential_customers": NESTED,
    "PotentialCustomerIn.name": c["research_notes"].potential_customers,
    "PotentialCustomerIn.note": c["research_notes"].potential_customers,
    **{
        f"SettlementIn.{name}": c["trade_deals"].payments
        for name in ("settled_on", "receipt_no", "marketing_confirmed_by", "quantity", "note")
    },
    # file borrowing (002 rule 1, 004 §3) and register reviews (004 §4)
    "BorrowingIn.purpose": c["borrowings"].purpose,
    "BorrowingIn.return_by": c["borrowings"].return_by,
    "BorrowingIn.outsider": NESTED,  # 002 rule 1 第二节 (issue 20 item 9)
    "OutsiderReader.name": c["borrowings"].outsider_name,
    "OutsiderReader.organisation": c["borrowings"].outsider_organisation,
    "OutsiderReader.introduction_letter": c["borrowings"].introduction_letter,
    "ReturnIn.note": IN_HISTORY,
    "ReviewResultsIn.results": NESTED,
    "ReviewResultsIn.comment": c["customer_changes"].evidence,  # with each status the review changes
    "ReviewLineIn.customer_id": c["register_reviews"].customer_id,
    "ReviewLineIn.result": c["register_reviews"].result,
    # credit applications (issue 12 §1: 000 §13): the terms granted, the reason with the decision
    "CreditApplicationIn.customer_id": c["credit_accounts"].customer_id,
    "CreditApplicationIn.limit": c["credit_accounts"].credit_limit,
    "CreditApplicationIn.term_days": c["credit_accounts"].term_days,
    "CreditApplicationIn.collateral": c["credit_accounts"].collateral,
    "CreditApplicationIn.reason": c["credit_decisions"].reason,
    "CreditApplicationIn.collector": c["credit_accounts"].collector,
    # issue 20 item 10: the credit papers and the reviewers' analysis, with the decision's form (JSON)
    "CreditApplicationIn.organisation_nature": IN_HISTORY,
    "CreditApplicationIn.documents": NESTED,
    "CreditPaper.kind": IN_HISTORY,
    "CreditPaper.title": IN_HISTORY,
    "CreditPaper.number": IN_HISTORY,
    "CreditPaper.issued_on": IN_HISTORY,
    "CreditPaper.period": IN_HISTORY,
    "CreditPaper.valid_until": IN_HISTORY,
    "CreditAnalysisIn.grade": IN_HISTORY,
    "CreditAnalysisIn.limit": c["credit_accounts"].credit_limit,
    "CreditAnalysisIn.security": IN_HISTORY,
    "CreditAnalysisIn.security_description": c["credit_accounts"].collateral,
    "CreditAnalysisIn.reasoning": IN_HISTORY,
    # credit reviews (issue 12 §1: 001 信用审核, 003 §6): the outcome and new terms with the decision
    "AssessmentIn.outcome": c["credit_decisions"].outcome,
    "AssessmentIn.new_limit": c["credit_decisions"].new_limit,
    "AssessmentIn.new_term_days": c["credit_decisions"].term_days,
    "AssessmentIn.comment": c["credit_decisions"].reason,
    "ManualReviewIn.reason": IN_HISTORY,
    # the credit ledger and policy (issue 12 §1: 000 §13, 003 §6, 001 信用审核)
    "LedgerPostIn.kind": c["customer_ledger"].kind,
    "LedgerPostIn.amount": c["customer_ledger"].amount,
    "LedgerPostIn.reference": c["customer_ledger"].reference,
    "LedgerPostIn.occurred_at": c["customer_ledger"].occurred_at,
    "ReversalIn.reason": c["admin_audit"].after,  # issue 20: the reversal's reason, in its audit row
    "CreditPolicyIn.effective_from": c["credit_policies"].effective_from,
    "CreditPolicyIn.limit_by_grade": c["credit_policies"].limit_by_grade,
    "CreditPolicyIn.max_term_days": c["credit_policies"].max_term_days,
    "CreditPolicyIn.risk": NESTED,
    "RiskRules.high_overdue_days": c["credit_policies"].risk,
    "RiskRules.high_overdue_share": c["credit_policies"].risk,
    "RiskRules.medium_overdue_days": c["credit_policies"].risk,
    "CreditPolicyIn.collection_working_days": c["credit_policies"].collection_working_days,
    "CreditPolicyIn.reason": c["credit_policies"].reason,
    # rule changes (issue 20 item 7): the draft is the process's start input; approved, its version row
    "CreditPolicyChange.rule": IN_HISTORY,
    "CreditPolicyChange.payload": NESTED,
    "GradingRuleChange.rule": IN_HISTORY,
    "GradingRuleChange.payload": NESTED,
    # issue 21 §3: the onboarding document list (000 §6), one version row per approved change
    "OnboardingDocumentsChange.rule": IN_HISTORY,
    "OnboardingDocumentsChange.payload": NESTED,
    "OnboardingDocumentsIn.effective_from": c["onboarding_document_lists"].effective_from,
    "OnboardingDocumentsIn.documents": c["onboarding_document_lists"].documents,
    "OnboardingDocumentsIn.reason": c["onboarding_document_lists"].reason,
    # step deadlines as a versioned rule (issue 21 §3)
    "StepDeadlinesChange.rule": IN_HISTORY,
    "StepDeadlinesChange.payload": NESTED,
    "StepDeadlinesIn.effective_from": c["step_deadline_versions"].effective_from,
    "StepDeadlinesIn.process_type": c["step_deadline_versions"].process_type,
    "StepDeadlinesIn.steps": c["step_deadline_versions"].steps,
    "StepDeadlinesIn.reason": c["step_deadline_versions"].reason,
    "StepTiming.due_working_days": c["step_deadline_versions"].steps,
    "StepTiming.remind_before_hours": c["step_deadline_versions"].steps,
    # the web workbench's forms (web/forms.py, issue 23)
    "SignInForm.username": c["users"].username,
    "SignInForm.password": NotStored("checked against the user's Argon2 hash"),
    "SignInForm.csrf_token": NotStored("compared with the browser's CSRF nonce"),
    "DecisionForm.outcome": c["tasks"].outcome,
    "DecisionForm.comment": c["tasks"].comment,
    "DecisionForm.csrf_token": NotStored("compared with the browser's CSRF nonce"),
    "LocaleForm.locale": c["users"].locale,
    "LocaleForm.next": NotStored("a page of this site to go back to"),
    "LocaleForm.csrf_token": NotStored("compared with the browser's CSRF nonce"),
    "CsrfOnlyForm.csrf_token": NotStored("compared with the browser's CSRF nonce"),
    "CalendarDayForm.day": c["calendar_days"].day,
    "CalendarDayForm.is_working_day": c["calendar_days"].is_working_day,
    "CalendarDayForm.note": c["calendar_days"].note,
    "CalendarDayForm.csrf_token": NotStored("compared with the browser's CSRF nonce"),
    # the approver's task actions (web/task_actions.py, issue 23)
    "DecisionForm.return_to": NotStored("must name an earlier step of the chain, or the decision is refused"),
    "DecisionForm.cc": c["process_watchers"].username,
    "HandOverForm.to": c["tasks"].assignee,
    "HandOverForm.comment": c["tasks"].comment,
    "HandOverForm.csrf_token": NotStored("compared with the browser's CSRF nonce"),
    "AddSignerForm.signer": c["tasks"].assignee,
    "AddSignerForm.position": NotStored("read as AddSignerIn.position: decides where the added step goes"),
    "AddSignerForm.reason": c["tasks"].comment,
    "AddSignerForm.csrf_token": NotStored("compared with the browser's CSRF nonce"),
    "ClaimForm.csrf_token": NotStored("compared with the browser's CSRF nonce"),
    "BulkApproveForm.task_id": c["tasks"].task_id,
    "BulkApproveForm.comment": c["tasks"].comment,
    "BulkApproveForm.csrf_token": NotStored("compared with the browser's CSRF nonce"),
    "MarkReadForm.notification_id": c["notification_reads"].notification_id,
    "MarkReadForm.csrf_token": NotStored("compared with the browser's CSRF nonce"),
    # the applicant's case page (web/apply_cases.py): as WithdrawIn and UrgeIn
    "WithdrawForm.reason": c["tasks"].comment,
    "WithdrawForm.csrf_token": NotStored("compared with the browser's CSRF nonce"),
    "UrgeForm.comment": c["notifications"].body,
    "UrgeForm.csrf_token": NotStored("compared with the browser's CSRF nonce"),
    # e-mail notification settings (api/services/mail_settings.py, web/notification_settings.py)
    **{
        f"{body}.{kind}": c["mail_preferences"][kind]
        for body in ("MailSettingsIn", "MailSettingsForm")
        for kind in ("task", "reminder", "escalation", "decision")
    },
    "MailSettingsIn.email": c["mail_preferences"].email,
    "MailSettingsForm.email": c["mail_preferences"].email,
    "MailSettingsForm.username": c["users"].username,
    "MailSettingsForm.csrf_token": NotStored("compared with the browser's CSRF nonce"),
    # the administrators' user pages (web/admin_users.py): as UserIn, RolesIn, UnitIn and PasswordIn
    "NewUserForm.username": c["users"].username,
    "NewUserForm.full_name": c["users"].full_name,
    "NewUserForm.password": NotStored("only its Argon2 hash is stored"),
    "NewUserForm.unit": c["users"].unit_code,
    "NewUserForm.roles": c["user_roles"].role,
    "NewUserForm.csrf_token": NotStored("compared with the browser's CSRF nonce"),
    "RolesForm.roles": c["user_roles"].role,
    "RolesForm.csrf_token": NotStored("compared with the browser's CSRF nonce"),
    "UnitForm.unit": c["users"].unit_code,
    "UnitForm.csrf_token": NotStored("compared with the browser's CSRF nonce"),
    "ActiveForm.active": c["users"].is_active,
    "ActiveForm.csrf_token": NotStored("compared with the browser's CSRF nonce"),
    "PasswordForm.password": NotStored("only its Argon2 hash is stored"),
    "PasswordForm.csrf_token": NotStored("compared with the browser's CSRF nonce"),
}


def _routes() -> Iterator[APIRoute]:
    from api.main import create_app

    for route in create_app().routes:
        if isinstance(route, APIRoute):
            yield route
        for included in getattr(getattr(route, "original_router", None), "routes", ()):
            if isinstance(included, APIRoute):
                yield included


def _models_in(annotation: Any, found: dict[str, type[BaseModel]]) -> None:
    if typing.get_origin(annotation) is Annotated:
        _models_in(typing.get_args(annotation)[0], found)
    elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation.__name__ not in found:
            found[annotation.__name__] = annotation
            for field in annotation.model_fields.values():
                _models_in(field.annotation, found)
    else:
        for argument in typing.get_args(annotation):
            _models_in(argument, found)


ROUTES = list(_routes())
BODY_MODELS: dict[str, type[BaseModel]] = {}
for _route in ROUTES:
    for _param in _route.dependant.body_params:
        _models_in(_param.field_info.annotation, BODY_MODELS)
FIELDS = {f"{name}.{field}": info for name, model in BODY_MODELS.items() for field, info in model.model_fields.items()}


def test_every_body_field_says_where_it_is_stored() -> None:
    assert sorted(set(FIELDS) - set(STORED_IN)) == [], "add these fields to STORED_IN"
    assert sorted(set(STORED_IN) - set(FIELDS)) == [], "these fields are gone: remove them from STORED_IN"


def _without_none(annotation: Any) -> Any:
    args = typing.get_args(annotation)
    if type(None) in args and len(args) == 2:
        return next(a for a in args if a is not type(None))
    return annotation


def _is_list(annotation: Any) -> bool:
    return typing.get_origin(_without_none(annotation)) is list


def _leaf(annotation: Any) -> Any:
    """The type one stored value has: inside Optional, list and Annotated."""
    while True:
        if typing.get_origin(annotation) is Annotated:
            annotation = typing.get_args(annotation)[0]
        elif _without_none(annotation) is not annotation:
            annotation = _without_none(annotation)
        elif typing.get_origin(annotation) is list:
            annotation = typing.get_args(annotation)[0]
        else:
            return annotation


def _refuses(model: type[BaseModel], field: str, value: Any) -> bool:
    """Whether the model refuses `value` (one item, for a list field) for `field`, its own field
    validators included."""
    info = model.model_fields[field]
    try:
        model.__pydantic_validator__.validate_assignment(
            model.model_construct(), field, [value] if _is_list(info.annotation) else value
        )
    except ValidationError:
        return True
    return False


def _problems(name: str, stored_in: Column[Any] | Joined) -> list[str]:
    model_name, field = name.split(".")
    model, info = BODY_MODELS[model_name], FIELDS[name]
    joined = isinstance(stored_in, Joined)
    column = stored_in.column if isinstance(stored_in, Joined) else stored_in
    leaf, kind = _leaf(info.annotation), column.type
    problems: list[str] = []
    if isinstance(leaf, type) and issubclass(leaf, enum.Enum):
        values = [str(member.value) for member in leaf]
        stored = ",".join(values) if joined else max(values, key=len)
        length = getattr(kind, "length", None)
        if isinstance(kind, String) and length is not None and len(stored) > length:
            problems.append(f"{name}: {stored!r} does not fit {column}")
        return problems
    if leaf is str:
        length = getattr(kind, "length", None) if isinstance(kind, String) and not isinstance(kind, Text) else None
        if length is not None and not _refuses(model, field, "x" * (length + 1)):
            problems.append(f"{name}: accepts more than the {length} characters of {column}")
        for bad in ("a\x00b", "a\ud800b"):
            if not _refuses(model, field, bad):
                problems.append(f"{name}: accepts {bad!r}, which {column} cannot store")
    elif leaf is int and isinstance(kind, Integer):
        for bad in (INT32_MAX + 1, -INT32_MAX - 2):
            if not _refuses(model, field, bad):
                problems.append(f"{name}: accepts {bad}, beyond {column}")
    elif leaf is Decimal and isinstance(kind, Numeric):
        precision, scale = kind.precision or 0, kind.scale or 0
        for bad in (Decimal(10) ** (precision - scale), Decimal(1).scaleb(-(scale + 1))):
            if not _refuses(model, field, bad):
                problems.append(f"{name}: accepts {bad}, beyond {column} Numeric({precision}, {scale})")
    elif leaf is datetime and not isinstance(kind, Date | Boolean):
        end_of_time = datetime(9999, 12, 31, 23, tzinfo=timezone(-timedelta(hours=12)))
        if not _refuses(model, field, end_of_time):
            problems.append(f"{name}: accepts {end_of_time}, past the end of the calendar in UTC")
    return problems


@pytest.mark.parametrize("name", sorted(FIELDS))
def test_field_fits_its_column(name: str) -> None:
    stored_in = STORED_IN.get(name)
    if stored_in is None or isinstance(stored_in, Nested | NotStored):
        return
    if isinstance(stored_in, InHistory):  # text in a JSON payload: no NUL, no lone surrogate
        stored_in = Column("payload", JSON)
    assert _problems(name, stored_in) == []


def test_int_parameters_are_bounded() -> None:
    """A path or query integer beyond int64 (or the id column) is a 422, never a driver overflow."""
    unbounded = []
    for route in ROUTES:
        for param in route.dependant.path_params + route.dependant.query_params:
            if _leaf(param.field_info.annotation) is not int:
                continue
            upper = [m.le for m in param.field_info.metadata if getattr(m, "le", None) is not None]
            if not upper or upper[0] > INT64_MAX:
                unbounded.append(f"{route.path} {param.name}")
    assert unbounded == []
