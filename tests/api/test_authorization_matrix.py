"""The authorization matrix (issue 10 §1): every route of the application × every demo user, against
real records of one unit, read and acted on as the wrong user — through the real API, a real worker
and the Temporal dev server, on SQLite and PostgreSQL.

`TABLE` is the one declaration of who may do what; the route list comes from `app.routes`, so a new
route without an entry fails `test_every_route_has_an_entry`. Answers follow api/visibility.py:
404 for a record the user may not read, 403 for one they read but may not act on, 403 for a route
closed to their role. What a permitted user does is left to the feature tests (the matrix does not
perform every action as the right user), except that permitted reads must answer 200.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.actor_signing import signing_client
from api.main import create_app
from db.models import Customer, Notification
from domain.borrowing import ReviewInput
from domain.development import MeetingRound
from domain.models import ProcessView
from domain.roles import Role
from scripts.seed_demo import DEMO_USERS
from settings import Settings
from tests import trade_support as trade
from tests.api.test_development_api import months_ahead
from tests.inbox_support import add_user
from tests.support import TEST_ACTOR_SIGNING_KEY, Api, application, credit_papers, random_credit_code
from tests.workflows.test_credit_review import credit_customer
from tests.workflows.test_grading import new_customer

pytestmark = pytest.mark.asyncio(loop_scope="session")

USERS = tuple(username for username, *_ in DEMO_USERS)
OVERSIGHT = frozenset({"auditor", "admin"})
HQ_USERS = frozenset(username for username, _, _, unit in DEMO_USERS if unit == "HQ")
# Head-office marketing and finance; a head-office clerk reads only the files they look after
# (issue 20 §12: owner_person / created_by / the applicant who filed it).
CUSTOMER_DESK = frozenset({"marketing_reviewer", "marketing_manager", "finance_reviewer", "chief_accountant"})
COMPLAINT_DESK = frozenset({"marketing_reviewer", "marketing_manager", "business_vp"})
COMPLAINT_REGISTRARS = frozenset(
    {"sales_clerk", "marketing_reviewer", "marketing_manager", "depot_manager", "depot_manager_b"}
    | {"station_manager", "station_manager_b", "business_vp", "general_manager"}
)
MARKETING = frozenset({"sales_clerk", "marketing_reviewer", "marketing_manager"})
DEVELOPMENT_READERS = frozenset({"marketing_reviewer", "marketing_manager", "business_vp", "general_manager"})
CREDIT_DESK = frozenset(  # domain/roles.py CREDIT_DESK: who reads the credit lists (issue 12 §1)
    {"finance_reviewer", "chief_accountant", "marketing_reviewer", "marketing_manager"}
    | {"business_vp", "general_manager", "auditor", "admin"}
)
DASHBOARD = frozenset(  # domain/roles.py DASHBOARD_READERS: managers, leaders, auditors (issue 23)
    {"marketing_manager", "depot_manager", "depot_manager_b", "station_manager", "station_manager_b"}
    | {"business_vp", "general_manager", "chief_accountant", "auditor"}
)

# Who reads each record the matrix creates (see `records`): the relations of api/visibility.py.
READERS: dict[str, frozenset[str]] = {
    # A complaint registered at STATION-ZZ01 by its manager: the registrar's unit, the complaint
    # desk (marketing reviewer also through the open investigation task), oversight — not STATION-KF01.
    "complaint": frozenset({"station_manager"}) | COMPLAINT_DESK | OVERSIGHT,
    # An onboarding filed by the sales clerk, waiting for the marketing reviewer's role task.
    "onboarding": frozenset({"sales_clerk", "marketing_reviewer"}) | OVERSIGHT,
    "task": frozenset({"sales_clerk", "marketing_reviewer"}) | OVERSIGHT,
    # A deal filed by the sales clerk naming the marketing manager as co-handler, waiting for the
    # marketing reviewer's credit review: a sales clerk of another deal would not see it.
    "deal": frozenset({"sales_clerk", "marketing_manager", "marketing_reviewer"}) | OVERSIGHT,
    # A customer file of DEPOT-ZZ created by its manager: that depot and the head office above it,
    # head-office marketing and finance, oversight — not DEPOT-KF, not a station, not legal or
    # technical, not the head-office clerk (who does not look after it).
    "customer": frozenset({"depot_manager"}) | HQ_USERS | CUSTOMER_DESK | OVERSIGHT,
    # A notification for the station managers about the STATION-ZZ01 complaint: only that station's.
    "notification": frozenset({"station_manager"}),
    # A credit review of a DEPOT-ZZ credit customer opened by the marketing manager (its applicant),
    # waiting for the marketing reviewer's assessment: that depot's manager reads it too (000 §5).
    "credit_review": frozenset({"marketing_manager", "marketing_reviewer", "depot_manager"}) | OVERSIGHT,
    # The sales clerk's approved visit plan, its visit waiting for its day: the salesperson and the
    # supervisors (000 §12), oversight.
    "visit": frozenset({"sales_clerk", "marketing_manager", "business_vp", "general_manager"}) | OVERSIGHT,
    # The quarter's big-customer meeting (000 §15): the marketing department and the leaders above it.
    "meeting": DEVELOPMENT_READERS | OVERSIGHT,
    # A development plan by the marketing reviewer setting the sales clerk a target (000 §12), and the
    # sales clerk's research notes (000 §15): the same readers and the salesperson concerned.
    "development_plan": DEVELOPMENT_READERS | {"sales_clerk"} | OVERSIGHT,
    "research_note": DEVELOPMENT_READERS | {"sales_clerk"} | OVERSIGHT,
    # A DEPOT-ZZ file lent to a DEPOT-KF manager (not a demo user): the loan is seen by the file's
    # readers; its keeper (the depot's manager) or finance records the return (002 rule 1).
    "loan": frozenset({"depot_manager"}) | HQ_USERS | CUSTOMER_DESK | OVERSIGHT,
    # DEPOT-ZZ's register review (004 §4 (二)): its keeper's open task, that depot, oversight.
    "register_review": frozenset({"depot_manager"}) | OVERSIGHT,
}
# Who holds the complaint's open step (investigation: the marketing department); the workflow then
# judges the stage (409 for a step that is not current).
STEP_HOLDER = frozenset({"marketing_reviewer"})
# The inbox lists what is mine, not what I may read.
INBOX = frozenset({"marketing_reviewer"})
DEAL_HANDLERS = frozenset({"sales_clerk", "marketing_manager"})
GRADERS = frozenset({"marketing_manager", "business_vp", "general_manager"})  # 001 §1
GRADING_INDICATORS = ("contract_payment", "year_end_receivables", "contract_premium", "strategic_influence")
# The customer record (issue 11 §3): marketing and the unit managers keep files; of the latter,
# only the managers of the file's unit (DEPOT-ZZ) read it. Status changes and hand-overs: managers.
UNIT_MANAGERS = frozenset({"depot_manager", "depot_manager_b", "station_manager", "station_manager_b"})
RECORD_KEEPERS = MARKETING | UNIT_MANAGERS
RECORD_MANAGERS = frozenset({"marketing_manager"}) | UNIT_MANAGERS


# --- the rules ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Public:
    """No token needed."""


@dataclass(frozen=True)
class Anyone:
    """Every signed-in user, about themselves or shared reference data: the same answer for all."""

    answer: int = 200


@dataclass(frozen=True)
class Lists:
    """Every signed-in user gets 200; the record is listed exactly for its readers (`who`)."""

    record: str
    key: str
    who: frozenset[str] | None = None  # default: READERS[record]
    items: Callable[[Any], list[dict[str, Any]]] = lambda body: body


@dataclass(frozen=True)
class RolesOnly:
    """Closed to every other user whatever the record (403); `users` are not exercised here."""

    users: frozenset[str]


@dataclass(frozen=True)
class Reads:
    """A record read: its readers 200, anyone else 404."""

    record: str


@dataclass(frozen=True)
class Acts:
    """An action on a record: 403 for a role the route is closed to, 404 for a non-reader, 403 for a
    reader who may not act; `actors` may (not exercised: the feature tests do)."""

    record: str
    actors: frozenset[str] = frozenset()
    roles: frozenset[str] | None = None


@dataclass(frozen=True)
class BulkActs:
    """Bulk decisions: 200 for everyone, each item answered like `Acts` on the task."""

    actors: frozenset[str]


@dataclass(frozen=True)
class WebPage:
    """A web page (web/, issue 23): only the session cookie opens it, never a bearer token, so with
    or without one the answer is `answer` (a page: 303 to the sign-in page; a form: 403 without its
    CSRF token). The signed-in answers, the wrong user's 404 included, are tests/web's."""

    answer: int


Rule = Public | Anyone | Lists | RolesOnly | Reads | Acts | BulkActs | WebPage


@dataclass(frozen=True)
class Entry:
    rule: Rule
    body: Callable[[dict[str, Any]], Any] | None = None  # records -> JSON body
    params: dict[str, Any] = field(default_factory=dict)  # path parameters other than the record's id
    query: Callable[[dict[str, Any]], dict[str, Any]] | None = None  # records -> query string


def _later(days: int) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


def _today() -> Any:
    return trade.china_day(datetime.now(UTC))


COMPLAINT = {
    "customer_name": "矩阵测试客户",
    "channel": "phone",
    "category": "delivery",
    "severity": "ordinary",
    "description": "送货延误 (authorization matrix)",
}

REPORT = {
    "cause": "调度延误",
    "course": "车辆故障",
    "responsible_person": "调度员",
    "conclusion": "属实",
    "countermeasure": "改派车辆",
    "prevention": "加强车辆检修",
}
LEDGER_CLERKS = frozenset({"sales_clerk", "depot_manager", "depot_manager_b", "station_manager", "station_manager_b"})
LEDGER_MOVE = {"amount": "1.00", "reference": "matrix"}


def unit_customer(unit: str) -> dict[str, Any]:
    """A depot or station customer application (000 §8, §9); only its shape matters here."""
    kind = "depot_social" if unit.startswith("DEPOT") else "station_prepaid"
    customer = {**application()["customer"], "kind": kind, "general_taxpayer": True}
    return {"unit": unit, "customer": customer, "prepaid": True}


P = "/api/v1"
TABLE: dict[tuple[str, str], Entry] = {
    ("POST", f"{P}/auth/token"): Entry(Public()),
    ("GET", f"{P}/auth/me"): Entry(Anyone()),
    ("GET", f"{P}/health"): Entry(Public()),
    # Prometheus's (issue 24 §3): no user token; the test client's loopback is a scraper's address by default
    # (METRICS_NETWORKS); tests/api/test_metrics.py refuses other addresses and wrong tokens.
    ("GET", "/metrics"): Entry(Public()),
    # onboarding (000 §6): the sales clerk files; the applicant resubmits a returned application.
    ("POST", f"{P}/onboarding"): Entry(RolesOnly(frozenset({"sales_clerk"})), lambda r: application()),
    ("POST", f"{P}/onboarding/{{process_id}}/resubmit"): Entry(
        Acts("onboarding", frozenset({"sales_clerk"})), lambda r: application(r["onboarding_code"])
    ),
    # tasks: the inbox is mine; a task is read by its holders and the readers of its process.
    ("GET", f"{P}/tasks"): Entry(
        Lists("task", "task_id", INBOX, lambda body: body["items"]), query=lambda r: {"process_id": r["onboarding"]}
    ),
    ("GET", f"{P}/tasks/{{task_id}}"): Entry(Reads("task")),
    ("POST", f"{P}/tasks/{{task_id}}/decision"): Entry(
        Acts("task", frozenset({"marketing_reviewer"})), lambda r: {"outcome": "approve", "comment": "matrix"}
    ),
    ("POST", f"{P}/tasks/decisions"): Entry(
        BulkActs(frozenset({"marketing_reviewer"})),
        lambda r: {"decisions": [{"task_id": r["task"], "outcome": "approve"}]},
    ),
    ("POST", f"{P}/tasks/{{task_id}}/delegate"): Entry(
        Acts("task", frozenset({"marketing_reviewer"})), lambda r: {"to": "marketing_manager"}
    ),
    ("POST", f"{P}/tasks/{{task_id}}/transfer"): Entry(
        Acts("task", frozenset({"marketing_reviewer"})), lambda r: {"to": "marketing_manager"}
    ),
    ("POST", f"{P}/tasks/{{task_id}}/add-signer"): Entry(
        Acts("task", frozenset({"marketing_reviewer"})),
        lambda r: {"signer": "marketing_manager", "position": "after", "reason": "matrix"},
    ),
    ("POST", f"{P}/tasks/{{task_id}}/claim"): Entry(Acts("task", frozenset({"marketing_reviewer"}))),
    ("POST", f"{P}/tasks/{{task_id}}/unclaim"): Entry(Acts("task")),  # only its claimer: nobody claimed it
    # processes: the complaint (a unit's process) for reads, the onboarding for actions.
    ("GET", f"{P}/processes"): Entry(Lists("complaint", "process_id")),
    ("GET", f"{P}/processes/{{process_id}}"): Entry(Reads("complaint")),
    ("GET", f"{P}/processes/{{process_id}}/history"): Entry(Reads("onboarding")),
    ("POST", f"{P}/processes/{{process_id}}/withdraw"): Entry(
        Acts("onboarding", frozenset({"sales_clerk"})), lambda r: {"reason": "matrix"}
    ),
    ("POST", f"{P}/processes/{{process_id}}/urge"): Entry(
        Acts("onboarding", frozenset({"sales_clerk", "admin"})), lambda r: {"comment": "matrix"}
    ),
    ("POST", f"{P}/processes/{{process_id}}/repair"): Entry(RolesOnly(frozenset({"admin"}))),  # failed stores
    # customer files (003 §2, 004 §3)
    ("GET", f"{P}/customers"): Entry(Lists("customer", "id"), query=lambda r: {"q": r["customer_code"]}),
    ("GET", f"{P}/customers/{{customer_id}}"): Entry(Reads("customer")),
    # grading (001 §1): the rule for all, changed through POST /rule-changes; rounds by the marketing
    # manager or above
    ("GET", f"{P}/grading/config"): Entry(Anyone()),
    ("POST", f"{P}/customers/{{customer_id}}/grading"): Entry(
        Acts("customer", GRADERS, GRADERS)  # every grader reads the customer: none is refused with 403
    ),
    ("POST", f"{P}/customers/{{customer_id}}/grading/scores"): Entry(
        Acts("customer", frozenset({"marketing_manager"}), frozenset({"marketing_manager"})),
        lambda r: {"scores": dict.fromkeys(GRADING_INDICATORS, 50)},
    ),
    ("GET", f"{P}/customers/{{customer_id}}/gradings"): Entry(Reads("customer")),
    # visits (000 §12, 002 rule 7): salespeople plan; the view lists own plans, or all for supervisors
    ("POST", f"{P}/visit-plans"): Entry(
        RolesOnly(frozenset({"sales_clerk"})),
        lambda r: {
            "month": "2031-01",
            "visits": [{"customer_id": r["customer"], "planned_on": "2031-01-10", "purpose": "m"}],
        },
    ),
    ("GET", f"{P}/visit-plans"): Entry(Anyone()),
    ("POST", f"{P}/visits/{{visit_id}}/report"): Entry(
        Acts("visit", frozenset({"sales_clerk"})), lambda r: {"visited_on": r["visit_day"], "summary": "matrix"}
    ),  # the salesperson reports (the report's own rules: tests/api/test_visits_api.py)
    # market development (000 §5 (一)6, §12, §15): the lists show each user what they may read; the
    # minutes are the marketing manager's task, the results the marketing department's
    # (own rules: tests/api/test_development_api.py)
    ("GET", f"{P}/big-customer-meetings"): Entry(Anyone()),
    ("GET", f"{P}/big-customer-meetings/{{meeting_id}}"): Entry(Reads("meeting")),
    ("POST", f"{P}/big-customer-meetings/{{meeting_id}}/minutes"): Entry(
        Acts("meeting", frozenset({"marketing_manager"})),
        lambda r: {"held_on": "2031-06-20", "attendees": [{"name": "m", "organisation": "m"}], "minutes": "m"},
    ),
    ("POST", f"{P}/development-plans"): Entry(
        RolesOnly(frozenset({"marketing_reviewer", "marketing_manager"})),
        lambda r: {
            "month": "2031-01",
            "focus": "m",
            "targets": [{"salesperson": "sales_clerk", "prospect": "m", "indicator": "m", "target": "1"}],
        },
    ),
    ("GET", f"{P}/development-plans"): Entry(Anyone()),
    ("GET", f"{P}/development-plans/{{plan_id}}"): Entry(Reads("development_plan")),
    ("POST", f"{P}/development-plans/{{plan_id}}/results"): Entry(
        Acts("development_plan", frozenset({"marketing_reviewer", "marketing_manager"})),
        lambda r: {"results": [{"target_id": 1, "actual": "1"}]},
    ),
    ("POST", f"{P}/research-notes"): Entry(
        RolesOnly(frozenset({"sales_clerk"})),
        lambda r: {"month": "2020-01", "area": "m", "findings": "m", "customers_contacted": 1},
    ),
    ("GET", f"{P}/research-notes"): Entry(Anyone()),
    ("GET", f"{P}/research-notes/{{note_id}}"): Entry(Reads("research_note")),
    # the customer record (000 §10, 004 §4-§6): change log, status, hand-over, destruction, survey
    ("GET", f"{P}/customers/{{customer_id}}/changes"): Entry(Reads("customer")),
    ("POST", f"{P}/customers/{{customer_id}}/changes"): Entry(
        Acts("customer", MARKETING | {"depot_manager"}, RECORD_KEEPERS),
        lambda r: {"changes": {"fax": "0371-1"}, "reason": "matrix"},
    ),
    ("POST", f"{P}/customers/{{customer_id}}/status"): Entry(
        Acts("customer", frozenset({"marketing_manager", "depot_manager"}), RECORD_MANAGERS),
        lambda r: {"status": "suspended", "reason": "matrix"},
    ),
    ("POST", f"{P}/customers/hand-over"): Entry(
        RolesOnly(RECORD_MANAGERS | {"admin"}),
        lambda r: {"from_user": "nobody_x", "to_user": "sales_clerk", "reason": "matrix"},
    ),
    ("POST", f"{P}/customers/{{customer_id}}/destruction"): Entry(
        Acts("customer", MARKETING | {"depot_manager"}, RECORD_KEEPERS), lambda r: {"reason": "matrix"}
    ),
    ("GET", f"{P}/customers/{{customer_id}}/survey"): Entry(Reads("customer")),
    ("POST", f"{P}/customers/{{customer_id}}/survey"): Entry(
        Acts("customer", MARKETING | {"depot_manager"}, RECORD_KEEPERS),
        lambda r: {"direction": "sell", "products": "柴油", "credit_standing": "良", "trade_conditions": "先款后货"},
    ),
    # depot and station customers (issue 11 §1-§2: 000 §5, §8, §9): a unit files for itself, head
    # office for any; money for a customer is booked by its unit's manager or a head-office clerk.
    ("POST", f"{P}/depot-customers"): Entry(
        RolesOnly(frozenset({"sales_clerk", "depot_manager", "depot_manager_b"})), lambda r: unit_customer("DEPOT-ZZ")
    ),
    ("POST", f"{P}/station-customers"): Entry(
        RolesOnly(frozenset({"sales_clerk", "station_manager", "station_manager_b"})),
        lambda r: unit_customer("STATION-ZZ01"),
    ),
    ("POST", f"{P}/customers/{{customer_id}}/top-ups"): Entry(
        Acts("customer", frozenset({"sales_clerk", "depot_manager"}), LEDGER_CLERKS), lambda r: LEDGER_MOVE
    ),
    ("POST", f"{P}/customers/{{customer_id}}/draws"): Entry(
        Acts("customer", frozenset({"sales_clerk", "depot_manager"}), LEDGER_CLERKS), lambda r: LEDGER_MOVE
    ),
    ("GET", f"{P}/customers/{{customer_id}}/ledger"): Entry(Reads("customer")),
    # file borrowing (002 rule 1, 004 §3): anyone may ask to borrow a file (its readers get 409: they
    # need no loan; tests/api/test_borrowing_api.py), the register is read with the file, a return is
    # recorded by the file's keeper or finance; register reviews (004 §4) are read and decided through
    # their own process (its keeper's open task).
    ("POST", f"{P}/customers/{{customer_id}}/borrowings"): Entry(
        RolesOnly(frozenset(USERS)), lambda r: {"purpose": "matrix", "return_by": _today().isoformat()}
    ),
    ("GET", f"{P}/customers/{{customer_id}}/borrowings"): Entry(Reads("customer")),
    ("POST", f"{P}/borrowings/{{borrowing_id}}/return"): Entry(
        Acts("loan", frozenset({"depot_manager", "finance_reviewer"})), lambda r: {}
    ),
    ("GET", f"{P}/register-reviews/{{process_id}}"): Entry(Reads("register_review")),
    ("POST", f"{P}/register-reviews/{{process_id}}/results"): Entry(
        Acts("register_review", frozenset({"depot_manager"})), lambda r: {"results": []}
    ),
    # VAT special invoices one by one (000 §9 (三), issue 20 item 8): only a station sends the form, for
    # a customer of its own (the matrix customer is a depot's: 404 for both stations); finance issues,
    # the station or finance records the collection (no invoice here: tests/api/test_vat_invoices_api.py).
    ("POST", f"{P}/customers/{{customer_id}}/vat-invoices"): Entry(
        Acts("customer", roles=frozenset({"station_manager", "station_manager_b"})), lambda r: {"amount": "1.00"}
    ),
    ("GET", f"{P}/customers/{{customer_id}}/vat-invoices"): Entry(Reads("customer")),
    ("POST", f"{P}/vat-invoices/{{invoice_id}}/issue"): Entry(
        RolesOnly(frozenset({"finance_reviewer"})), lambda r: {"invoice_no": "1"}, {"invoice_id": 2147483647}
    ),
    ("POST", f"{P}/vat-invoices/{{invoice_id}}/collect"): Entry(
        RolesOnly(frozenset({"finance_reviewer", "station_manager", "station_manager_b"})),
        params={"invoice_id": 2147483647},
    ),
    # credit applications (000 §13, 001 §3): the sales desk files; the applicant resubmits (the matrix
    # has no credit application: the onboarding stands in, readers who are not its applicant get 403);
    # the credit decisions are read with the customer's file.
    ("POST", f"{P}/credit-applications"): Entry(
        RolesOnly(frozenset({"sales_clerk"})),
        lambda r: {"customer_id": r["customer"], "limit": "1.00", "term_days": 1, "reason": "matrix"} | credit_papers(),
    ),
    ("POST", f"{P}/credit-applications/{{process_id}}/resubmit"): Entry(
        Acts("onboarding", frozenset({"sales_clerk"})),
        lambda r: {"customer_id": r["customer"], "limit": "1.00", "term_days": 1, "reason": "matrix"} | credit_papers(),
    ),
    # the analysis is the joint reviewers' (000 §13): the onboarding stands in, a reader of it who holds
    # neither reviewer role gets 403, one who does not read it 404.
    ("POST", f"{P}/credit-applications/{{process_id}}/analysis"): Entry(
        Acts("onboarding", frozenset({"marketing_reviewer"}), frozenset({"marketing_reviewer", "finance_reviewer"})),
        lambda r: {"grade": "C", "limit": "1.00", "reasoning": "matrix"},
    ),
    ("GET", f"{P}/customers/{{customer_id}}/credit/decisions"): Entry(Reads("customer")),
    # the credit ledger (000 §13, 003 §6; issue 12 §1): the standing is read with the file; a delivery
    # is posted by finance, the clerk or the file's unit manager (receipts: finance only, feature tests);
    # the credit lists are the credit desk's; the policy is read by all and versioned by admins; the
    # ERP import is finance's.
    ("GET", f"{P}/customers/{{customer_id}}/credit"): Entry(Reads("customer")),
    ("POST", f"{P}/customers/{{customer_id}}/ledger"): Entry(
        Acts(
            "customer",
            frozenset({"finance_reviewer", "sales_clerk", "depot_manager"}),
            LEDGER_CLERKS | {"finance_reviewer"},
        ),
        lambda r: {"kind": "delivery", "amount": "1.00", "reference": "matrix", "occurred_at": _later(0)},
    ),
    ("GET", f"{P}/credit/over-limit"): Entry(RolesOnly(CREDIT_DESK)),
    ("GET", f"{P}/credit/customers"): Entry(RolesOnly(CREDIT_DESK)),
    ("GET", f"{P}/credit/policy"): Entry(Anyone()),
    ("GET", f"{P}/credit/policy/versions"): Entry(Anyone()),
    # rule changes (issue 20 item 7): drafted by the marketing manager or an admin; VP and GM decide
    # on their tasks (POST /tasks/{id}/decision)
    ("POST", f"{P}/rule-changes"): Entry(RolesOnly(frozenset({"marketing_manager", "admin"}))),
    ("GET", f"{P}/rule-changes"): Entry(Anyone()),  # how the rules everyone reads came to be
    # issue 21 §4: the reach of a candidate change, for those who draft, decide or audit changes
    ("POST", f"{P}/regulations/what-if"): Entry(
        RolesOnly(frozenset({"marketing_manager", "admin", "business_vp", "general_manager", "auditor"}))
    ),
    ("GET", f"{P}/step-deadlines/{{process_type}}"): Entry(Anyone(), params={"process_type": "onboarding"}),
    ("POST", f"{P}/ledger/imports"): Entry(RolesOnly(frozenset({"finance_reviewer"}))),
    # issue 20: a ledger entry is corrected by finance's reversing entry, never edited
    ("POST", f"{P}/customers/{{customer_id}}/ledger/{{entry_id}}/reversal"): Entry(
        Acts("customer", frozenset({"finance_reviewer"}), frozenset({"finance_reviewer"})),
        lambda r: {"reason": "matrix"},
        params={"entry_id": 1},
    ),
    # credit reviews (001 信用审核, 003 §6; issue 12 §1): the form is read with the review process; the
    # assessment is the marketing reviewer's (its open task); the marketing manager opens a review by hand.
    ("GET", f"{P}/credit-reviews/{{process_id}}/form"): Entry(Reads("credit_review")),
    ("POST", f"{P}/credit-reviews/{{process_id}}/assessment"): Entry(
        Acts("credit_review", frozenset({"marketing_reviewer"})), lambda r: {"outcome": "keep", "comment": "matrix"}
    ),
    ("POST", f"{P}/customers/{{customer_id}}/credit-reviews"): Entry(
        Acts("customer", frozenset({"marketing_manager"}), frozenset({"marketing_manager"})),
        lambda r: {"reason": "matrix"},
    ),
    # complaints (000 §16)
    ("POST", f"{P}/complaints"): Entry(RolesOnly(COMPLAINT_REGISTRARS), lambda r: COMPLAINT),
    ("GET", f"{P}/complaints"): Entry(Lists("complaint", "process_id")),
    ("GET", f"{P}/complaints/stats/{{month}}"): Entry(
        RolesOnly(COMPLAINT_DESK | OVERSIGHT | {"general_manager"}), params={"month": "1999-01"}
    ),
    ("POST", f"{P}/complaints/stats/{{month}}"): Entry(
        RolesOnly(frozenset({"marketing_manager", "admin"})), params={"month": "1999-01"}
    ),
    ("GET", f"{P}/complaints/{{process_id}}"): Entry(Reads("complaint")),
    ("POST", f"{P}/complaints/{{process_id}}/investigation"): Entry(
        Acts("complaint", frozenset({"marketing_reviewer"})), lambda r: REPORT
    ),
    ("POST", f"{P}/complaints/{{process_id}}/verdict"): Entry(
        Acts("complaint", STEP_HOLDER), lambda r: {"remedy": "none", "verdict": "matrix"}
    ),
    ("POST", f"{P}/complaints/{{process_id}}/remedy"): Entry(
        Acts("complaint", STEP_HOLDER), lambda r: {"note": "matrix"}
    ),
    ("POST", f"{P}/complaints/{{process_id}}/rush-production"): Entry(  # 001: production_dept's rush order
        Acts("complaint", STEP_HOLDER), lambda r: {"note": "matrix"}
    ),
    ("POST", f"{P}/complaints/{{process_id}}/reply"): Entry(
        Acts("complaint", STEP_HOLDER), lambda r: {"resolution": "matrix", "method": "phone", "reply": "matrix"}
    ),
    ("POST", f"{P}/complaints/{{process_id}}/extension"): Entry(
        Acts("complaint", frozenset({"marketing_reviewer"})), lambda r: {"reason": "matrix"}
    ),
    # the working-day calendar: reference data for all, administration for admins (auditors read changes)
    ("GET", f"{P}/calendar/deadline"): Entry(Public()),
    ("GET", f"{P}/calendar/days"): Entry(Public()),
    ("PUT", f"{P}/calendar/years/{{year}}"): Entry(
        RolesOnly(frozenset({"admin"})), lambda r: {"source": "matrix"}, {"year": 2031}
    ),
    ("PUT", f"{P}/calendar/days/{{day}}"): Entry(
        RolesOnly(frozenset({"admin"})), lambda r: {"is_working_day": False, "note": "matrix"}, {"day": "2031-01-02"}
    ),
    ("GET", f"{P}/calendar/changes"): Entry(RolesOnly(OVERSIGHT)),
    ("GET", f"{P}/notifications"): Entry(Lists("notification", "id"), query=lambda r: {"process_id": r["complaint"]}),
    # external trade (000 §7): marketing files; the deal's handlers act; finance pays; the meeting decides.
    ("POST", f"{P}/trade"): Entry(RolesOnly(MARKETING), lambda r: trade.trade_application()),
    ("GET", f"{P}/trade"): Entry(Lists("deal", "process_id")),
    ("GET", f"{P}/trade/{{process_id}}"): Entry(Reads("deal")),
    ("POST", f"{P}/trade/{{process_id}}/leadership-decision"): Entry(
        Acts("deal", roles=frozenset({"leadership_secretary"})), lambda r: trade.leadership(_today())
    ),
    ("POST", f"{P}/trade/{{process_id}}/tender"): Entry(
        Acts("deal", DEAL_HANDLERS, MARKETING), lambda r: trade.tender(datetime.now(UTC) + timedelta(days=3))
    ),
    ("POST", f"{P}/trade/{{process_id}}/bids"): Entry(
        Acts("deal", DEAL_HANDLERS, MARKETING), lambda r: trade.bid("矩阵石化", "1000.00")
    ),
    ("POST", f"{P}/trade/{{process_id}}/tender/no-award-decision"): Entry(
        Acts("deal", DEAL_HANDLERS, MARKETING), lambda r: {"decision": "cancel", "reason": "matrix"}
    ),
    ("POST", f"{P}/trade/{{process_id}}/evaluation"): Entry(
        Acts("deal", DEAL_HANDLERS, MARKETING), lambda r: {"rationale": "matrix"}
    ),
    ("POST", f"{P}/trade/{{process_id}}/contract"): Entry(
        Acts("deal", DEAL_HANDLERS, MARKETING), lambda r: trade.contract()
    ),
    ("POST", f"{P}/trade/{{process_id}}/contract/sign"): Entry(
        Acts("deal", DEAL_HANDLERS, MARKETING), lambda r: trade.signing(_today())
    ),
    ("POST", f"{P}/trade/{{process_id}}/title-transfer"): Entry(
        Acts("deal", DEAL_HANDLERS, MARKETING), lambda r: trade.title_transfer(_today())
    ),
    ("POST", f"{P}/trade/{{process_id}}/payments"): Entry(
        Acts("deal", DEAL_HANDLERS, MARKETING), lambda r: trade.payment_form("1.00", _today())
    ),
    ("POST", f"{P}/trade/{{process_id}}/payments/{{number}}/paid"): Entry(
        Acts("deal", roles=frozenset({"finance_reviewer"})),
        lambda r: trade.paid(datetime.now(UTC), "TX-M"),
        {"number": 1},
    ),
    ("POST", f"{P}/trade/{{process_id}}/payments/{{number}}/settlement"): Entry(
        Acts("deal", roles=frozenset({"finance_reviewer"})),
        lambda r: trade.settlement(_today(), "RK-M"),
        {"number": 1},
    ),
    ("GET", f"{P}/tenders"): Entry(Anyone()),
    # users: my own out-of-office for everyone, another user's for administrators; the rest admin only.
    ("PUT", f"{P}/users/{{username}}/out-of-office"): Entry(
        RolesOnly(frozenset({"admin", "marketing_reviewer"})),  # an administrator, or the user themself
        lambda r: {"deputy": "marketing_manager", "starts_at": _later(30), "ends_at": _later(31)},
        {"username": "marketing_reviewer"},
    ),
    ("GET", f"{P}/users/{{username}}/out-of-office"): Entry(
        RolesOnly(frozenset({"admin", "marketing_reviewer"})), params={"username": "marketing_reviewer"}
    ),
    ("DELETE", f"{P}/users/{{username}}/out-of-office/{{entry_id}}"): Entry(
        RolesOnly(frozenset({"admin", "marketing_reviewer"})), params={"username": "marketing_reviewer", "entry_id": 1}
    ),
    # e-mail notification settings (issue 24 §4): my own for everyone, another user's for administrators.
    ("GET", f"{P}/users/{{username}}/mail"): Entry(
        RolesOnly(frozenset({"admin", "marketing_reviewer"})), params={"username": "marketing_reviewer"}
    ),
    ("PUT", f"{P}/users/{{username}}/mail"): Entry(
        RolesOnly(frozenset({"admin", "marketing_reviewer"})),
        lambda r: {"email": None},
        {"username": "marketing_reviewer"},
    ),
    # the audit record (issue 10 §5): oversight only.
    ("GET", f"{P}/audit/verify"): Entry(RolesOnly(OVERSIGHT)),
    ("GET", f"{P}/audit/processes/{{process_id}}"): Entry(Reads("onboarding")),
    # the rule catalogue (issue 21 §2): everyone reads it; its evidence is narrowed per reader (the feature tests).
    ("GET", f"{P}/regulations/rules"): Entry(Anyone()),
    ("GET", f"{P}/regulations/rules/{{rule_id}}"): Entry(Anyone(), params={"rule_id": "000-6-documents"}),
    ("GET", f"{P}/users"): Entry(RolesOnly(frozenset({"admin"}))),
    ("POST", f"{P}/users"): Entry(RolesOnly(frozenset({"admin"})), lambda r: {"username": "x_matrix", "password": "x"}),
    ("GET", f"{P}/users/audit"): Entry(RolesOnly(OVERSIGHT)),
    ("POST", f"{P}/users/{{username}}/disable"): Entry(RolesOnly(frozenset({"admin"})), params={"username": "x"}),
    ("POST", f"{P}/users/{{username}}/enable"): Entry(RolesOnly(frozenset({"admin"})), params={"username": "x"}),
    ("PUT", f"{P}/users/{{username}}/roles"): Entry(
        RolesOnly(frozenset({"admin"})), lambda r: {"roles": []}, {"username": "x"}
    ),
    ("PUT", f"{P}/users/{{username}}/unit"): Entry(
        RolesOnly(frozenset({"admin"})), lambda r: {"unit": None}, {"username": "x"}
    ),
    ("POST", f"{P}/users/{{username}}/password"): Entry(
        RolesOnly(frozenset({"admin"})), lambda r: {"password": "x"}, {"username": "x"}
    ),
    ("GET", f"{P}/users/{{username}}/identities"): Entry(RolesOnly(frozenset({"admin"})), params={"username": "x"}),
    ("DELETE", f"{P}/users/{{username}}/identities"): Entry(RolesOnly(frozenset({"admin"})), params={"username": "x"}),
    # the managers' dashboard (issue 23): managers, leaders, auditors (domain/roles.py DASHBOARD_READERS)
    ("GET", f"{P}/dashboard"): Entry(RolesOnly(DASHBOARD)),
    # the web workbench (issue 23): cookie sessions, not bearer tokens
    ("GET", "/login"): Entry(Public()),
    ("POST", "/login"): Entry(WebPage(403)),
    ("POST", "/logout"): Entry(WebPage(403)),
    ("POST", "/locale"): Entry(WebPage(403)),
    ("GET", "/"): Entry(WebPage(303)),
    ("GET", "/tasks/{task_id}"): Entry(WebPage(303)),
    ("POST", "/tasks/{task_id}/decision"): Entry(WebPage(403)),
    ("GET", "/dashboard"): Entry(WebPage(303)),
    ("GET", "/dashboard/overdue.{fmt}"): Entry(WebPage(303), params={"fmt": "csv"}),
    ("GET", "/audit"): Entry(WebPage(303)),
    ("GET", "/audit/export.{fmt}"): Entry(WebPage(303), params={"fmt": "csv"}),
    ("GET", "/audit/processes/{process_id}"): Entry(WebPage(303)),
    ("GET", "/audit/processes/{process_id}/timeline.{fmt}"): Entry(WebPage(303), params={"fmt": "xlsx"}),
    ("GET", "/audit/processes/{process_id}/form.pdf"): Entry(WebPage(303)),
    ("GET", "/admin/calendar"): Entry(WebPage(303)),
    ("POST", "/admin/calendar/days"): Entry(WebPage(403)),
    ("GET", "/admin/users"): Entry(WebPage(303)),
    ("POST", "/admin/users"): Entry(WebPage(403)),
    ("GET", "/admin/users/{username}"): Entry(WebPage(303), params={"username": "admin"}),
    ("POST", "/admin/users/{username}/roles"): Entry(WebPage(403), params={"username": "admin"}),
    ("POST", "/admin/users/{username}/unit"): Entry(WebPage(403), params={"username": "admin"}),
    ("POST", "/admin/users/{username}/active"): Entry(WebPage(403), params={"username": "admin"}),
    ("POST", "/admin/users/{username}/password"): Entry(WebPage(403), params={"username": "admin"}),
    ("GET", "/admin/units"): Entry(WebPage(303)),
    # the approver's task actions (web/task_actions.py)
    ("POST", "/tasks/{task_id}/delegate"): Entry(WebPage(403)),
    ("POST", "/tasks/{task_id}/transfer"): Entry(WebPage(403)),
    ("POST", "/tasks/{task_id}/add-signer"): Entry(WebPage(403)),
    ("POST", "/tasks/{task_id}/claim"): Entry(WebPage(403)),
    ("POST", "/tasks/{task_id}/unclaim"): Entry(WebPage(403)),
    ("POST", "/tasks/approve-selected"): Entry(WebPage(403)),
    ("GET", "/notifications"): Entry(WebPage(303)),
    ("GET", "/notifications/bell"): Entry(WebPage(303)),
    ("POST", "/notifications/read"): Entry(WebPage(403)),
    ("GET", "/search"): Entry(WebPage(303)),
    ("GET", "/apply/onboarding"): Entry(WebPage(303)),
    ("POST", "/apply/onboarding"): Entry(WebPage(403)),
    ("GET", "/apply/credit-code"): Entry(WebPage(303)),
    ("GET", "/apply/onboarding/{process_id}/resubmit"): Entry(WebPage(303)),
    ("POST", "/apply/onboarding/{process_id}/resubmit"): Entry(WebPage(403)),
    ("GET", "/apply/cases/{process_id}"): Entry(WebPage(303)),
    ("POST", "/apply/cases/{process_id}/withdraw"): Entry(WebPage(403)),
    ("POST", "/apply/cases/{process_id}/urge"): Entry(WebPage(403)),
    ("GET", "/apply/complaint"): Entry(WebPage(303)),
    ("POST", "/apply/complaint"): Entry(WebPage(403)),
    ("GET", "/apply/credit"): Entry(WebPage(303)),
    ("POST", "/apply/credit"): Entry(WebPage(403)),
    # the codec server (issue 24 §1, web/codec.py): bearer token or session cookie; auditors and
    # admins open sealed payloads, admins alone seal (tests/web/test_codec_server.py)
    ("POST", "/codec/decode"): Entry(RolesOnly(OVERSIGHT), lambda r: {"payloads": []}),
    ("POST", "/codec/encode"): Entry(RolesOnly(frozenset({"admin"})), lambda r: {"payloads": []}),
    # single sign-on (web/sso.py): open to anyone, like /login; 404 while OIDC_ISSUER is unset
    ("GET", "/login/oidc"): Entry(Public()),
    ("GET", "/login/oidc/callback"): Entry(Public()),
    # notification settings (issue 23, issue 24 §4): one's own, administrators anyone's (tests/web)
    ("GET", "/settings/notifications"): Entry(WebPage(303)),
    ("POST", "/settings/notifications"): Entry(WebPage(403)),
    ("GET", "/apply/unit-customer"): Entry(WebPage(303)),
    ("POST", "/apply/unit-customer"): Entry(WebPage(403)),
    ("GET", "/apply/borrowing"): Entry(WebPage(303)),
    ("POST", "/apply/borrowing"): Entry(WebPage(403)),
    ("GET", "/apply/visit-plan"): Entry(WebPage(303)),
    ("POST", "/apply/visit-plan"): Entry(WebPage(403)),
    ("GET", "/apply/visits/{visit_id}/report"): Entry(WebPage(303)),
    ("POST", "/apply/visits/{visit_id}/report"): Entry(WebPage(403)),
    ("GET", "/apply/trade"): Entry(WebPage(303)),
    ("POST", "/apply/trade"): Entry(WebPage(403)),
    ("GET", "/apply/credit/{process_id}/resubmit"): Entry(WebPage(303)),
    ("POST", "/apply/credit/{process_id}/resubmit"): Entry(WebPage(403)),
    ("GET", "/apply/trade/{process_id}/payment"): Entry(WebPage(303)),
    ("POST", "/apply/trade/{process_id}/payment"): Entry(WebPage(403)),
}


# --- the route table ------------------------------------------------------------------------------


def app_routes() -> set[tuple[str, str]]:
    """(method, path) of every API route the application serves, read from `app.routes` (FastAPI
    0.16x wraps included routers: their routes are read through `effective_route_contexts`)."""
    app = create_app(Settings(database_url="sqlite://"))
    found: set[tuple[str, str]] = set()

    def add(methods: Iterable[str], path: str) -> None:
        found.update((m, path) for m in methods if m not in {"HEAD", "OPTIONS"})

    for route in app.routes:
        contexts = getattr(route, "effective_route_contexts", None)
        if contexts is not None:
            for context in contexts():
                if isinstance(context.original_route, APIRoute):
                    add(context.methods or (), context.path)
        elif isinstance(route, APIRoute):
            add(route.methods or (), route.path)
    return found


def answers(rule: Rule) -> set[int | None]:
    """What the users get from a route under `rule`, every demo user taken."""
    return {expected(rule, user) for user in USERS}


async def test_no_route_is_404_for_everyone() -> None:
    """Issue 20 §13: a route every user gets 404 from tests nobody's access — the matrix needs a real
    record of it, with its real readers and actors."""
    nobody_reads = sorted(route for route, entry in TABLE.items() if answers(entry.rule) == {404})
    assert nobody_reads == [], f"routes 404 for every user: give the matrix a real record of {nobody_reads}"


async def test_every_route_has_an_entry() -> None:
    routes = app_routes()
    missing = sorted(routes - TABLE.keys())
    stale = sorted(TABLE.keys() - routes)
    assert not missing, f"routes without an authorization rule in TABLE: {missing}"
    assert not stale, f"TABLE entries for routes that no longer exist: {stale}"


# --- the records ----------------------------------------------------------------------------------


async def ok(response: Any, code: int = 200) -> Any:
    assert response.status_code == code, response.text
    return response.json()


def customer_file(name: str, unit: str = "DEPOT-ZZ", **responsible: str) -> Customer:
    """A file of `unit`, by default created by DEPOT-ZZ's manager (no head-office clerk looks after
    it); `responsible` names others (created_by, owner_person)."""
    return Customer(
        credit_code=random_credit_code(),
        name=name,
        kind="allocation_self_sale",
        address="郑州",
        legal_representative="王",
        phone="0371-1",
        registered_capital=Decimal("1000000"),
        card={"bank_account": "1702020109024567890"},
        onboarding_process_id=f"matrix-{uuid.uuid4()}",
        trading_since=_today(),
        created_at=datetime.now(UTC),
        unit_code=unit,
        **({"created_by": "depot_manager"} | responsible),
    )


async def archive_records(api: Api, sessions: async_sessionmaker[AsyncSession]) -> dict[str, Any]:
    """002 rule 1, 004 §3-§4: another DEPOT-ZZ file lent to a DEPOT-KF manager, approved by their
    leader and finance (a fresh manager: a loan's workflow id names customer and borrower, and both
    databases' ids agree), and DEPOT-ZZ's register review waiting for its keeper."""
    async with sessions() as session, session.begin():
        lent = customer_file("开封矩阵石化 (lent file)")
        session.add(lent)
    body = {"purpose": "matrix", "return_by": _today().isoformat()}
    borrower = await add_user(sessions, "depot_manager", unit="DEPOT-KF")
    loan = await ok(await api.post(f"{P}/customers/{lent.id}/borrowings", borrower, json=body), 201)
    pid = loan["process_id"]
    while loan["current_step"] != "lent":  # the department leader, then finance (002 rule 1, 004 §3)
        loan = await ok(await api.decide(loan["holders"][0], pid, "approve", "matrix"))
    [line] = await ok(await api.get(f"{P}/customers/{lent.id}/borrowings", "depot_manager"))
    start = ReviewInput(period="2031-02", unit="DEPOT-ZZ", keeper=Role.depot_manager)
    signed = signing_client(api.worker.client, TEST_ACTOR_SIGNING_KEY.encode())  # a start as `system` is signed
    review = await signed.start_workflow(
        "RegisterReview", start, id=f"matrix-register-review-{uuid.uuid4()}", task_queue=api.worker.task_queue
    )
    await review.execute_update("current")
    return {"loan": line["id"], "register_review": review.result_run_id}


async def records(api: Api, sessions: async_sessionmaker[AsyncSession]) -> dict[str, Any]:
    """One record of each kind, of one unit, created once for the whole matrix."""
    complaint = await ok(await api.post(f"{P}/complaints", "station_manager", json=COMPLAINT), 201)
    code = random_credit_code()
    onboarding = await ok(await api.post(f"{P}/onboarding", "sales_clerk", json=application(code)), 201)
    deal_body = {**trade.trade_application(), "co_handlers": ["marketing_manager"]}
    deal = await ok(await api.post(f"{P}/trade", "sales_clerk", json=deal_body), 201)
    task = await api.task_for("marketing_reviewer", onboarding["process_id"])
    credit = await credit_customer(sessions, unit="DEPOT-ZZ")
    review = await ok(
        await api.post(
            f"{P}/customers/{credit.customer_id}/credit-reviews", "marketing_manager", json={"reason": "matrix"}
        ),
        201,
    )
    async with sessions() as session, session.begin():
        customer = customer_file("开封矩阵石化 (depot customer)")
        note = Notification(
            notification_id=f"matrix-{uuid.uuid4()}",
            process_id=complaint["process_id"],
            recipient_role="station_manager",
            kind="reminder",
            subject="矩阵: 投诉处理提醒",
            created_at=datetime.now(UTC),
        )
        session.add_all([customer, note])
        await session.flush()
        ids = {"customer": customer.id, "customer_code": customer.credit_code, "notification": note.id}
    return {
        "complaint": complaint["process_id"],
        "onboarding": onboarding["process_id"],
        "onboarding_code": code,
        "deal": deal["process_id"],
        "task": task["task_id"],
        "credit_review": review["process_id"],
        **await development_records(api, sessions),
        **await archive_records(api, sessions),
        **ids,
    }


async def development_records(api: Api, sessions: async_sessionmaker[AsyncSession]) -> dict[str, Any]:
    """P9 (000 §12, §15): the sales clerk's visit plan, approved, with one visit waiting for its day;
    the quarter's big-customer meeting; a development plan and the clerk's research notes."""
    month = months_ahead(2)
    visit_day = f"{month}-20"
    mine = await new_customer(sessions, datetime.now(UTC))  # created by the sales clerk: theirs
    visit = {"customer_id": mine.id, "planned_on": visit_day, "purpose": "matrix"}
    plan = await ok(await api.post(f"{P}/visit-plans", "sales_clerk", json={"month": month, "visits": [visit]}), 201)
    await ok(await api.decide("marketing_manager", plan["process_id"], "approve"))
    plans = await ok(await api.get(f"{P}/visit-plans", "sales_clerk", params={"month": month}))
    [visit_id] = [v["visit_id"] for p in plans if p["plan_id"] == plan["plan_id"] for v in p["visits"]]
    meeting_wf = await api.worker.client.execute_workflow(
        "BigCustomerMeetingRound",
        MeetingRound(quarter="2031Q2", namespace_token=f"-{uuid.uuid4().hex[:8]}"),
        id=f"matrix-round-{uuid.uuid4()}",
        task_queue=api.worker.task_queue,
    )
    await api.worker.client.get_workflow_handle(meeting_wf).execute_update("current", result_type=ProcessView)
    meetings = await ok(await api.get(f"{P}/big-customer-meetings", "marketing_manager"))
    [meeting_id] = [m["meeting_id"] for m in meetings if m["workflow_id"] == meeting_wf]
    target = {"salesperson": "sales_clerk", "prospect": "m", "indicator": "m", "target": "1"}
    body = {"month": month, "focus": "matrix", "targets": [target]}
    development = await ok(await api.post(f"{P}/development-plans", "marketing_reviewer", json=body), 201)
    notes = {"month": months_ahead(0), "area": "m", "findings": "m", "customers_contacted": 1}
    note = await ok(await api.post(f"{P}/research-notes", "sales_clerk", json=notes), 201)
    return {
        "visit": visit_id,
        "visit_day": visit_day,
        "meeting": meeting_id,
        "development_plan": development["record_id"],
        "research_note": note["record_id"],
    }


# --- the matrix -----------------------------------------------------------------------------------

SKIP = None  # a permitted action: not performed here


def expected(rule: Rule, user: str) -> int | None:
    if isinstance(rule, Anyone | WebPage):
        return rule.answer
    if isinstance(rule, Public | Lists | BulkActs):
        return 200
    if isinstance(rule, RolesOnly):
        return SKIP if user in rule.users else 403
    if isinstance(rule, Reads):
        return 200 if user in READERS[rule.record] else 404
    if rule.roles is not None and user not in rule.roles:
        return 403
    if user not in READERS[rule.record]:
        return 404
    return SKIP if user in rule.actors else 403


def url(path: str, entry: Entry, recs: dict[str, Any]) -> str:
    rule = entry.rule
    record = getattr(rule, "record", None)
    ids = {"task_id": recs["task"], "customer_id": recs["customer"], "process_id": recs["onboarding"]}
    ids |= {"visit_id": recs["visit"], "meeting_id": recs["meeting"]}
    ids |= {"plan_id": recs["development_plan"], "note_id": recs["research_note"], "borrowing_id": recs["loan"]}
    if record in {"complaint", "onboarding", "deal", "credit_review", "register_review"}:
        ids["process_id"] = recs[record]
    return path.format(**ids, **entry.params)


async def call(api: Api, method: str, path: str, entry: Entry, recs: dict[str, Any], user: str | None) -> Any:
    headers = await api.headers(user) if user else {}
    body = entry.body(recs) if entry.body else None
    return await api.client.request(
        method, url(path, entry, recs), headers=headers, json=body, params=entry.query(recs) if entry.query else None
    )


async def check(api: Api, route: tuple[str, str], recs: dict[str, Any], user: str) -> str | None:
    """None when `user` gets what TABLE says, else a line for the report."""
    method, path = route
    entry = TABLE[route]
    want = expected(entry.rule, user)
    if want is SKIP:
        return None
    response = await call(api, method, path, entry, recs, user)
    got = response.status_code
    if got != want:
        return f"{method} {path} as {user}: {got} (expected {want}) {response.text[:200]}"
    rule = entry.rule
    if isinstance(rule, Lists):
        listed = {str(item[rule.key]) for item in rule.items(response.json())}
        should = user in (rule.who if rule.who is not None else READERS[rule.record])
        if (str(recs[rule.record]) in listed) != should:
            return f"{method} {path} as {user}: the {rule.record} is {'missing' if should else 'listed'}"
    if isinstance(rule, BulkActs):
        item = response.json()["results"][0]["status"]
        item_want = expected(Acts("task", rule.actors), user)
        if item_want is not SKIP and item != item_want:
            return f"{method} {path} as {user}: item answered {item} (expected {item_want})"
    return None


@pytest.mark.rule("003-7-supervision-reads-everything", "000-4-unified-tiered")
async def test_authorization_matrix(api: Api, sessions: async_sessionmaker[AsyncSession]) -> None:
    recs = await records(api, sessions)
    failures: list[str] = []
    for route in sorted(TABLE):
        entry = TABLE[route]
        if isinstance(entry.rule, Public):
            continue
        unauthenticated = await call(api, *route, entry, recs, None)
        if unauthenticated.status_code != (entry.rule.answer if isinstance(entry.rule, WebPage) else 401):
            failures.append(f"{route[0]} {route[1]} without a token: {unauthenticated.status_code}")
        for user in USERS:
            if isinstance(entry.rule, BulkActs) and user in entry.rule.actors:
                continue  # would decide the task for real
            problem = await check(api, route, recs, user)
            if problem:
                failures.append(problem)
    assert not failures, "\n".join(failures)


async def test_a_deal_is_not_every_sales_clerks(api: Api, sessions: async_sessionmaker[AsyncSession]) -> None:
    """Issue 10: "my role ever had a task in this process" let every sales clerk read every deal and
    any marketing user act on it. A colleague of the applicant who is not named reads nothing; once
    named as a co-handler they read it and may act on it."""
    colleague = await add_user(sessions, "sales_clerk", unit="MKT")
    named = await add_user(sessions, "sales_clerk", unit="MKT")
    body = {**trade.trade_application(), "co_handlers": [named]}
    pid = (await ok(await api.post(f"{P}/trade", "sales_clerk", json=body), 201))["process_id"]
    for user, status in ((colleague, 404), (named, 200), ("sales_clerk", 200)):
        assert (await api.get(f"{P}/trade/{pid}", user)).status_code == status, user
        assert (await api.get(f"{P}/processes/{pid}", user)).status_code == status, user
        listed = await ok(await api.get(f"{P}/trade", user))
        assert any(d["process_id"] == pid for d in listed) == (status == 200), user
    bid = trade.bid("越权石化", "1000.00")
    assert (await api.post(f"{P}/trade/{pid}/bids", colleague, json=bid)).status_code == 404
    # The named co-handler passes authorization; the workflow then says bidding has not opened (409).
    assert (await api.post(f"{P}/trade/{pid}/bids", named, json=bid)).status_code == 409


async def test_a_head_office_clerk_reads_the_files_they_look_after(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """Issue 20 §12: a head-office clerk read every file. Now a clerk reads the files they look after
    (filed by them, or handed over to them), and a colleague of the same unit gets 404 for it; a
    hand-over moves the reading with the file."""
    clerk = await add_user(sessions, "sales_clerk", unit="MKT")
    colleague = await add_user(sessions, "sales_clerk", unit="MKT")
    async with sessions() as session, session.begin():
        customer = customer_file("郑州经办石化 (a clerk's customer)", "MKT", created_by=clerk)
        session.add(customer)
    path = f"{P}/customers/{customer.id}"
    for user, status in ((clerk, 200), (colleague, 404), ("marketing_reviewer", 200)):
        assert (await api.get(path, user)).status_code == status, user
        listed = await ok(await api.get(f"{P}/customers", user, params={"q": customer.credit_code}))
        assert any(c["id"] == customer.id for c in listed) == (status == 200), user
    top_up = await api.post(f"{path}/top-ups", colleague, json=LEDGER_MOVE)
    assert top_up.status_code == 404  # the wrong clerk cannot act on it either
    hand_over = {"from_user": clerk, "to_user": colleague, "reason": "调岗"}
    assert (await api.post(f"{P}/customers/hand-over", "marketing_manager", json=hand_over)).status_code == 200
    assert (await api.get(path, colleague)).status_code == 200
    assert (await api.get(path, clerk)).status_code == 404
