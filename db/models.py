"""The project's own tables. Temporal holds the truth of every process; these are projections
(processes, tasks) that inboxes and lists query fast, plus the master data (users, customers)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on SQLite (which drops the zone) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: store aware datetimes only")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime}


class OrgUnit(Base):
    """A department, depot or station: 000 §5 "分级实施" — a depot manager acts only for their depot."""

    __tablename__ = "org_units"
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))  # company | department | depot | station
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("org_units.code"))
    head: Mapped[str | None] = mapped_column(String(80))  # the unit's leader: the approver of a leader-chain step


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    unit_code: Mapped[str | None] = mapped_column(ForeignKey("org_units.code"))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # A demo user (scripts/seed_demo.py, password `demo`): refused at login outside demo mode.
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column()
    # Set when the password is reset: a token issued before it is refused (api/deps.py).
    tokens_valid_from: Mapped[datetime | None] = mapped_column()
    roles: Mapped[list[UserRole]] = relationship(cascade="all, delete-orphan", lazy="selectin")


class UserRole(Base):
    __tablename__ = "user_roles"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(40), primary_key=True)


class Process(Base):
    """Projection of one workflow run: what auditors list and filter."""

    __tablename__ = "processes"
    process_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    workflow_id: Mapped[str] = mapped_column(String(200))
    process_type: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20))
    current_step: Mapped[str | None] = mapped_column(String(60))
    subject: Mapped[str] = mapped_column(String(200))
    subject_key: Mapped[str | None] = mapped_column(String(60))
    applicant: Mapped[str] = mapped_column(String(80))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    unit_code: Mapped[str | None] = mapped_column(String(40))  # the unit the process acts for (000 §5)
    started_at: Mapped[datetime] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column()
    # A write the database refused (activities/process_failures.py): why, and since when.
    failure_reason: Mapped[str | None] = mapped_column(String(500))
    failed_at: Mapped[datetime | None] = mapped_column()

    __table_args__ = (
        Index("ix_processes_type_status", "process_type", "status"),
        Index("ix_processes_applicant", "applicant", "started_at"),
        Index("ix_processes_subject_key", "subject_key"),
        Index("ix_processes_started_at", "started_at"),
    )


_ROLE_PINS = ("status", "role", "unit_code", "assignee", "claimed_by")
_INBOX_COVERED = ("process_type", "overdue", "step", "subject")


class Task(Base):
    """Inbox projection: one row per human step, written only by activities."""

    __tablename__ = "tasks"
    task_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    process_id: Mapped[str] = mapped_column(String(64), index=True)
    workflow_id: Mapped[str] = mapped_column(String(200))
    process_type: Mapped[str] = mapped_column(String(40))
    step: Mapped[str] = mapped_column(String(60))
    step_title: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(40))
    unit_code: Mapped[str | None] = mapped_column(String(40))
    unit_parents: Mapped[bool] = mapped_column(Boolean, default=False)  # holders in the units above may act too
    assignee: Mapped[str | None] = mapped_column(String(80))
    on_behalf_of: Mapped[str | None] = mapped_column(String(80))  # the absent user a deputy stands in for
    delegated_by: Mapped[str | None] = mapped_column(String(80))  # 委托: the task comes back to this user
    claimed_by: Mapped[str | None] = mapped_column(String(80))  # a role task one holder took for themself
    subject: Mapped[str] = mapped_column(String(200))
    round: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(20))  # open | done | cancelled
    created_at: Mapped[datetime] = mapped_column()
    due_at: Mapped[datetime | None] = mapped_column()
    due_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    decided_at: Mapped[datetime | None] = mapped_column()
    decided_by: Mapped[str | None] = mapped_column(String(80))
    outcome: Mapped[str | None] = mapped_column(String(20))
    comment: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        # The inbox (migration 0005): per branch of "mine", the columns it pins, then the page order,
        # then (due order) what the counts and filters read, so neither visits the table.
        Index("ix_tasks_inbox_role", *_ROLE_PINS, "due_at", "task_id", *_INBOX_COVERED),
        Index("ix_tasks_inbox_assignee", "status", "assignee", "due_at", "task_id", *_INBOX_COVERED),
        Index("ix_tasks_inbox_claimed", "status", "claimed_by", "due_at", "task_id", "assignee", *_INBOX_COVERED),
        Index("ix_tasks_inbox_role_age", *_ROLE_PINS, "created_at", "task_id"),
        Index("ix_tasks_inbox_assignee_age", "status", "assignee", "created_at", "task_id"),
        Index("ix_tasks_provisional", "status", "due_provisional"),
    )


class ProcessWatcher(Base):
    """抄送/知会: a user or a role copied on a process: notified, may read it, holds no task."""

    __tablename__ = "process_watchers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    watcher_id: Mapped[str] = mapped_column(String(80), unique=True)  # idempotency on retries
    process_id: Mapped[str] = mapped_column(String(64), index=True)
    username: Mapped[str | None] = mapped_column(String(80), index=True)
    role: Mapped[str | None] = mapped_column(String(40), index=True)
    added_by: Mapped[str] = mapped_column(String(80))
    step: Mapped[str | None] = mapped_column(String(60))
    added_at: Mapped[datetime] = mapped_column()


class OutOfOffice(Base):
    """A user away for a date range names a deputy: new tasks for that user go to the deputy."""

    __tablename__ = "out_of_office"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), index=True)
    deputy: Mapped[str] = mapped_column(String(80))
    starts_at: Mapped[datetime] = mapped_column()
    ends_at: Mapped[datetime] = mapped_column()
    reason: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column()
    cancelled_at: Mapped[datetime | None] = mapped_column()


class Customer(Base):
    """The customer card 客户档案卡 (000 §10, 001 summary form), created once onboarding is approved."""

    __tablename__ = "customers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default="active")
    grade: Mapped[str] = mapped_column(String(2), default="C")  # 001 §1: new customers are C in year one
    address: Mapped[str] = mapped_column(String(300))
    legal_representative: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(40))
    registered_capital: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    card: Mapped[dict[str, object]] = mapped_column(JSON)  # every archive field as submitted
    onboarding_process_id: Mapped[str] = mapped_column(String(64), unique=True)
    trading_since: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column()
    created_by: Mapped[str] = mapped_column(String(80))
    # The owning unit (000 §5 分级实施; 004 §3): it and the units above it read the file, another
    # depot or station does not. The unit of the process that created it, else its applicant's.
    unit_code: Mapped[str] = mapped_column(String(40), index=True)
    # --- issue 11 §3: the customer record (000 §10 (三), 001 summary form, 004 §4-§6) ---------
    # Nullable: files created before 0011, and by processes that do not collect them, lack them.
    postcode: Mapped[str | None] = mapped_column(String(6))
    fax: Mapped[str | None] = mapped_column(String(40))
    owner: Mapped[str | None] = mapped_column(String(100))  # 所有者
    manager: Mapped[str | None] = mapped_column(String(100))  # 经营管理者
    organisation_form: Mapped[str | None] = mapped_column(String(100))
    industry: Mapped[str | None] = mapped_column(String(100))
    scale: Mapped[str | None] = mapped_column(String(100))
    business_scope: Mapped[str | None] = mapped_column(String(2000))
    registration_authority: Mapped[str | None] = mapped_column(String(200))
    registered_on: Mapped[date | None] = mapped_column(Date)
    employees: Mapped[int | None] = mapped_column(Integer)
    revenue: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    net_assets: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    bank_name: Mapped[str | None] = mapped_column(String(200))
    bank_account: Mapped[str | None] = mapped_column(String(64))
    foreign_currency_account: Mapped[str | None] = mapped_column(String(64))
    bank_rating: Mapped[str | None] = mapped_column(String(20))
    # The person responsible for the customer (000 §10 (四)): moves only by a recorded hand-over.
    owner_person: Mapped[str | None] = mapped_column(String(80), index=True)
    destroyed_at: Mapped[datetime | None] = mapped_column()  # 004 §6: the file destroyed, the log kept
    destroyed_by: Mapped[str | None] = mapped_column(String(80))
    # --- end issue 11 §3 -------------------------------------------------------------------------
    documents: Mapped[list[CustomerDocument]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="CustomerDocument.id"
    )


class CustomerDocument(Base):
    __tablename__ = "customer_documents"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(40))
    number: Mapped[str] = mapped_column(String(64))
    issuer: Mapped[str | None] = mapped_column(String(128))
    valid_until: Mapped[date | None] = mapped_column(Date)
    stamped_copy: Mapped[bool] = mapped_column(Boolean, default=True)
    original: Mapped[bool] = mapped_column(Boolean, default=False)  # 原件 handed over (000 §6 item 9)


class CalendarDay(Base):
    """An administrator's entry: a later year's official holiday or make-up day, or a company closure."""

    __tablename__ = "calendar_days"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    is_working_day: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(String(200), default="")
    updated_by: Mapped[str] = mapped_column(String(80))
    updated_at: Mapped[datetime] = mapped_column()


class CalendarYear(Base):
    """A year whose official schedule an administrator entered completely: its deadlines are final."""

    __tablename__ = "calendar_years"
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(String(300), default="")
    updated_by: Mapped[str] = mapped_column(String(80))
    updated_at: Mapped[datetime] = mapped_column()


class CalendarChange(Base):
    """Audit trail of calendar administration: who changed which day or year, when, and why."""

    __tablename__ = "calendar_changes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    changed_by: Mapped[str] = mapped_column(String(80))
    changed_at: Mapped[datetime] = mapped_column()
    action: Mapped[str] = mapped_column(String(40))
    detail: Mapped[dict[str, object]] = mapped_column(JSON)


class Notification(Base):
    """Every notification sent, whatever the channel: the embedded default is this table."""

    __tablename__ = "notifications"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notification_id: Mapped[str] = mapped_column(String(80), unique=True)  # idempotency on retries
    process_id: Mapped[str | None] = mapped_column(String(64), index=True)
    recipient_role: Mapped[str | None] = mapped_column(String(40))
    recipient: Mapped[str | None] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    channels: Mapped[str] = mapped_column(String(100), default="database")
    created_at: Mapped[datetime] = mapped_column()

    __table_args__ = (Index("ix_notifications_recipient", "recipient_role", "recipient"),)


class Complaint(Base):
    """Projection of a complaint process (002 rule 2 §15, §17) for lists, filters and statistics."""

    __tablename__ = "complaints"
    process_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    workflow_id: Mapped[str] = mapped_column(String(200))
    customer_id: Mapped[int | None] = mapped_column(Integer)
    customer_name: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(20))
    category: Mapped[str] = mapped_column(String(30))
    severity: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(Text)
    unit_code: Mapped[str | None] = mapped_column(String(40))
    registered_by: Mapped[str] = mapped_column(String(80))
    received_at: Mapped[datetime] = mapped_column()
    month: Mapped[str] = mapped_column(String(7), index=True)  # YYYY-MM of receipt, Asia/Shanghai
    due_at: Mapped[datetime] = mapped_column()
    due_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20))
    stage: Mapped[str] = mapped_column(String(30))
    handler: Mapped[str | None] = mapped_column(String(80))
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    extended: Mapped[bool] = mapped_column(Boolean, default=False)
    closed_at: Mapped[datetime | None] = mapped_column()
    closed_on_time: Mapped[bool | None] = mapped_column(Boolean)
    details: Mapped[dict[str, object]] = mapped_column(JSON)  # record, report, verdict, reply
    updated_at: Mapped[datetime] = mapped_column()

    __table_args__ = (Index("ix_complaints_status_overdue", "status", "overdue"),)


class ComplaintStats(Base):
    """Monthly complaint statistics (002 rule 2 §27: by the 10th of the following month)."""

    __tablename__ = "complaint_stats"
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    data: Mapped[dict[str, object]] = mapped_column(JSON)
    generated_at: Mapped[datetime] = mapped_column()


class TradeDeal(Base):
    """Projection of one external purchase/sale deal (000 §7): partner, stage, contract, payments."""

    __tablename__ = "trade_deals"
    process_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    workflow_id: Mapped[str] = mapped_column(String(200))
    partner_name: Mapped[str] = mapped_column(String(200))
    partner_credit_code: Mapped[str] = mapped_column(String(18), index=True)
    ownership: Mapped[str] = mapped_column(String(20))
    preferred: Mapped[bool] = mapped_column(Boolean)  # 000 §7 (二): state-owned/controlled first
    direction: Mapped[str] = mapped_column(String(10))
    products: Mapped[str] = mapped_column(String(100))
    applicant: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(20))
    stage: Mapped[str] = mapped_column(String(30))
    customer_id: Mapped[int | None] = mapped_column(Integer)
    counterpart_name: Mapped[str | None] = mapped_column(String(200))
    contract_amount: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    paid_amount: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    contract: Mapped[dict[str, object] | None] = mapped_column(JSON)
    payments: Mapped[list[dict[str, object]]] = mapped_column(JSON)
    started_at: Mapped[datetime] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column()
    version: Mapped[int] = mapped_column(Integer)

    __table_args__ = (Index("ix_trade_deals_status_preferred", "status", "preferred"),)


class TradeHandler(Base):
    """A person a deal names (000 §7): its applicant, the handler 经办人, and the co-handlers the
    application lists. Only they act on the deal as marketing; they read it too."""

    __tablename__ = "trade_handlers"
    process_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(String(80), primary_key=True, index=True)


class TradeTender(Base):
    """One tender of a deal (000 §7 (五)) with every bid and revision and the ranking, for auditors."""

    __tablename__ = "trade_tenders"
    tender_id: Mapped[str] = mapped_column(String(80), primary_key=True)  # "<process_id>:<number>"
    process_id: Mapped[str] = mapped_column(String(64), index=True)
    workflow_id: Mapped[str] = mapped_column(String(200))
    number: Mapped[int] = mapped_column(Integer)
    subject: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), index=True)
    conditions: Mapped[str] = mapped_column(Text)
    invited_range: Mapped[str] = mapped_column(Text)
    bidding_deadline: Mapped[datetime] = mapped_column()
    opened_by: Mapped[str] = mapped_column(String(80))
    opened_at: Mapped[datetime] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column()
    bidder_count: Mapped[int] = mapped_column(Integer)
    bids: Mapped[list[dict[str, object]]] = mapped_column(JSON)
    ranking: Mapped[list[dict[str, object]]] = mapped_column(JSON)
    winner_credit_code: Mapped[str | None] = mapped_column(String(18))
    winner_name: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column()
    version: Mapped[int] = mapped_column(Integer)


class IdempotencyKey(Base):
    """A create request's `Idempotency-Key` and the answer it got: a retry replays the answer
    instead of creating a second record (api/idempotency.py). `status` is None while in progress."""

    __tablename__ = "idempotency_keys"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80))
    key: Mapped[str] = mapped_column(String(200))
    request: Mapped[str] = mapped_column(String(300))  # "POST /api/v1/complaints"
    body_hash: Mapped[str] = mapped_column(String(64))  # sha256 of method, path and body
    status: Mapped[int | None] = mapped_column(Integer)
    response: Mapped[Any | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(index=True)

    __table_args__ = (UniqueConstraint("username", "key", name="uq_idempotency_keys_username_key"),)


class LoginAttempt(Base):
    """A failed login, counted per username and per client address for the rate limit."""

    __tablename__ = "login_attempts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80))
    address: Mapped[str] = mapped_column(String(64))
    attempted_at: Mapped[datetime] = mapped_column(index=True)

    __table_args__ = (
        Index("ix_login_attempts_username", "username", "attempted_at"),
        Index("ix_login_attempts_address", "address", "attempted_at"),
    )


class AdminAudit(Base):
    """Every user and role change made through the API: who, when, what, and the user before/after."""

    __tablename__ = "admin_audit"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime] = mapped_column(index=True)
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(80), index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class AuditRecord(Base):
    """Append-only: who did what to a process, when, why, with what outcome; written by the activity
    that projects the same moment, in its transaction. `position` counts the process's rows from 1;
    `hash` seals the row's content and `prev_hash` (domain/audit.py), so an edit, a deletion or a
    reordering breaks the chain. Nothing updates or deletes these rows."""

    __tablename__ = "audit_records"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    process_id: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer)
    event_key: Mapped[str] = mapped_column(String(120))  # deterministic: a retried write finds it
    process_type: Mapped[str] = mapped_column(String(40))
    occurred_at: Mapped[datetime] = mapped_column()
    actor: Mapped[str] = mapped_column(String(80))
    role: Mapped[str | None] = mapped_column(String(200))
    on_behalf_of: Mapped[str | None] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(60))
    step: Mapped[str | None] = mapped_column(String(60))
    outcome: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        UniqueConstraint("process_id", "event_key", name="uq_audit_records_event"),
        UniqueConstraint("process_id", "position", name="uq_audit_records_position"),
    )


class RuleApplication(Base):
    """An index of the audit record (issue 21 §2-§3): each row names a catalogue rule an audit row
    shows applied (a step's decision, or a pinned rule version), written with that row in the same
    transaction. The audit row, sealed in its chain, is the evidence; this finds it by rule."""

    __tablename__ = "rule_applications"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule_id: Mapped[str] = mapped_column(String(80))
    process_id: Mapped[str] = mapped_column(String(64))
    process_type: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(Integer)  # the audit row's place in its process's chain
    event_key: Mapped[str] = mapped_column(String(120))
    step: Mapped[str | None] = mapped_column(String(60))
    version: Mapped[int | None] = mapped_column(Integer)  # a pinned rule version
    applied_at: Mapped[datetime] = mapped_column()

    __table_args__ = (
        UniqueConstraint("rule_id", "process_id", "event_key", name="uq_rule_applications_row"),
        Index("ix_rule_applications_rule_applied", "rule_id", "applied_at"),
    )


class AuditHead(Base):
    """The end of each process's chain: its length and last hash. Writers of a process lock this
    row (one writer at a time per process, none across processes), and a deleted last row shows as
    a chain shorter than its head."""

    __tablename__ = "audit_heads"
    process_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    length: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str | None] = mapped_column(String(64))


# --- issue 11 §3 part 2: file borrowing (002 rule 1, 004 §3) and register reviews (004) ----------


class Borrowing(Base):
    """借阅登记: one loan of a customer file, from request to return (002 rule 1, 004 §3). While
    `status` is `lent` the borrower reads the file (api/visibility.py); never writes it."""

    __tablename__ = "borrowings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    process_id: Mapped[str] = mapped_column(String(64), unique=True)
    workflow_id: Mapped[str] = mapped_column(String(120))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    borrower: Mapped[str] = mapped_column(String(80), index=True)
    borrower_unit: Mapped[str | None] = mapped_column(String(40))
    owner_unit: Mapped[str] = mapped_column(String(40))
    purpose: Mapped[str] = mapped_column(String(500))
    return_by: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))  # requested | lent | returned | refused | withdrawn
    requested_at: Mapped[datetime] = mapped_column()
    lent_at: Mapped[datetime | None] = mapped_column()
    approved_by: Mapped[str | None] = mapped_column(String(80))
    returned_at: Mapped[datetime | None] = mapped_column()
    return_recorded_by: Mapped[str | None] = mapped_column(String(80))
    overdue_level: Mapped[int] = mapped_column(Integer, default=0)
    # issue 20 item 9 (002 rule 1 第二节): an outsider's reading, with their unit's introduction letter.
    outsider_name: Mapped[str | None] = mapped_column(String(80))
    outsider_organisation: Mapped[str | None] = mapped_column(String(200))
    introduction_letter: Mapped[str | None] = mapped_column(String(100))


class RegisterReview(Base):
    """One customer's line in a unit's February/August register review (004): confirm, suspend or
    move to past; `result` is empty until the unit's reviewer decides."""

    __tablename__ = "register_reviews"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    review_id: Mapped[str] = mapped_column(String(64), index=True)  # the review process (run id)
    unit_code: Mapped[str] = mapped_column(String(40), index=True)
    period: Mapped[str] = mapped_column(String(7))  # e.g. 2027-02
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    result: Mapped[str | None] = mapped_column(String(20))  # confirm | suspend | past
    decided_by: Mapped[str | None] = mapped_column(String(80))
    decided_at: Mapped[datetime | None] = mapped_column()

    __table_args__ = (UniqueConstraint("review_id", "customer_id", name="uq_register_reviews_customer"),)


# --- issue 12 §2-§3: grading A/B/C (001 §1, 000 §11) and visits (000 §12, §15; 002 rule 7) --------


class GradingConfig(Base):
    """A version of the grading rule (weights, thresholds), in force from `effective_from` until the
    next version's date. The seed lost the numbers (P6): an administrator sets them; every version
    is kept, so a score sheet names the version it was computed with."""

    __tablename__ = "grading_configs"
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    effective_from: Mapped[date] = mapped_column(Date, index=True)
    weights: Mapped[dict[str, str]] = mapped_column(JSON)  # indicator -> percent (decimal string)
    thresholds: Mapped[dict[str, str]] = mapped_column(JSON)  # {"A": lowest total, "B": lowest total}
    changed_by: Mapped[str] = mapped_column(String(80))
    changed_at: Mapped[datetime] = mapped_column()
    reason: Mapped[str] = mapped_column(String(500))
    # the rule-change process the general manager approved it in (domain/rule_change.py); None: seeded
    process_id: Mapped[str | None] = mapped_column(String(64), unique=True)


class GradingClock(Base):
    """A customer whose grading clock runs (workflows/grading.py): the daily sweep starts the rest."""

    __tablename__ = "grading_clocks"
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), primary_key=True, autoincrement=False)
    workflow_id: Mapped[str] = mapped_column(String(80))
    started_at: Mapped[datetime] = mapped_column()


class CustomerGrading(Base):
    """The score sheet of one grading round, written when the business VP approves (001 §1)."""

    __tablename__ = "customer_gradings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    process_id: Mapped[str] = mapped_column(String(64), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    period: Mapped[str] = mapped_column(String(20))
    scores: Mapped[dict[str, str]] = mapped_column(JSON)  # indicator -> 0-100 (decimal string)
    weighted_total: Mapped[Decimal] = mapped_column(Numeric(7, 2))
    grade: Mapped[str] = mapped_column(String(1))
    config_version: Mapped[int] = mapped_column(ForeignKey("grading_configs.version"))
    scored_by: Mapped[str] = mapped_column(String(80))
    scored_at: Mapped[datetime] = mapped_column()
    approved_by: Mapped[str] = mapped_column(String(80))
    approved_at: Mapped[datetime] = mapped_column()


class VisitPlan(Base):
    """A salesperson's monthly visit plan (000 §12, P9), approved by the marketing manager."""

    __tablename__ = "visit_plans"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[str] = mapped_column(String(7), index=True)  # YYYY-MM
    salesperson: Mapped[str] = mapped_column(String(80), index=True)
    unit_code: Mapped[str | None] = mapped_column(String(40))
    workflow_id: Mapped[str] = mapped_column(String(80), unique=True)
    status: Mapped[str] = mapped_column(String(20))  # running | approved | rejected | returned | withdrawn
    submitted_at: Mapped[datetime] = mapped_column()
    decided_by: Mapped[str | None] = mapped_column(String(80))
    decided_at: Mapped[datetime | None] = mapped_column()
    visits: Mapped[list[Visit]] = relationship(lazy="selectin", order_by="Visit.planned_on")


class Visit(Base):
    """One planned visit and its report, due 2 working days after the visit (002 rule 7)."""

    __tablename__ = "visits"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("visit_plans.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    planned_on: Mapped[date] = mapped_column(Date)
    purpose: Mapped[str] = mapped_column(String(500))
    report_due_at: Mapped[datetime | None] = mapped_column()
    visited_on: Mapped[date | None] = mapped_column(Date)
    summary: Mapped[str | None] = mapped_column(Text)
    findings: Mapped[str | None] = mapped_column(Text)
    reported_by: Mapped[str | None] = mapped_column(String(80))
    reported_at: Mapped[datetime | None] = mapped_column()


# --- issue 11 §4: one customer creation (000 §6 (五), §7 (六), §8, §9) ------------------------------


class CustomerLink(Base):
    """The customer record a process's creation step ended in: the one it created, or, its credit
    code being on file already, the existing record it was linked to (one customer per credit code)."""

    __tablename__ = "customer_links"
    process_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    credit_code: Mapped[str] = mapped_column(String(18))
    process_type: Mapped[str] = mapped_column(String(40))
    created: Mapped[bool] = mapped_column(Boolean)  # False: linked to a record that already existed
    linked_at: Mapped[datetime] = mapped_column()
    linked_by: Mapped[str] = mapped_column(String(80))


# --- issue 11 §1-§2: depot and station customers (000 §8, §9): customer ledger, invoice register --


class CustomerLedgerEntry(Base):
    """One booking of the customer ledger (000 §9 (一) 先款后货): a receipt finance confirmed, or a
    delivery drawn against it. General on purpose: the credit issue (000 §13) books here too."""

    __tablename__ = "customer_ledger"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # domain.ledger.LedgerKind: receipt | delivery
    amount: Mapped[Decimal] = mapped_column(Numeric(18, 2))  # always positive; the kind gives the sign
    reference: Mapped[str] = mapped_column(String(100))
    occurred_at: Mapped[datetime] = mapped_column()
    recorded_by: Mapped[str] = mapped_column(String(80))
    process_id: Mapped[str | None] = mapped_column(String(64))  # the top-up that confirmed a receipt
    created_at: Mapped[datetime] = mapped_column()
    # issue 12 §1 (000 §13): when a delivery falls due — the day it is made for a prepaid customer,
    # after the term for a credit customer; NULL for receipts. The import that booked the row, if any.
    due_on: Mapped[date | None] = mapped_column(Date)
    import_id: Mapped[int | None] = mapped_column(Integer)
    # issue 20: a correction is a reversing entry (the opposite kind) naming the entry it reverses; never an edit.
    reverses_id: Mapped[int | None] = mapped_column(
        ForeignKey("customer_ledger.id", name="fk_customer_ledger_reverses")
    )

    # A retried activity finds its receipt instead of booking it twice (NULLs never collide).
    __table_args__ = (
        UniqueConstraint("process_id", "kind", name="uq_customer_ledger_process_kind"),
        UniqueConstraint("reverses_id", name="uq_customer_ledger_reverses"),
        Index("ix_customer_ledger_due", "customer_id", "kind", "due_on"),
        Index("ix_customer_ledger_reference", "customer_id", "kind", "reference"),
    )


class CustomerBalance(Base):
    """The running balance of the ledger, one row per customer: a draw is one guarded UPDATE
    (`balance >= amount`), so two concurrent draws can never both spend the same money."""

    __tablename__ = "customer_balances"
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), primary_key=True)
    balance: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    updated_at: Mapped[datetime] = mapped_column()


class InvoiceRegisterEntry(Base):
    """发票登记 (000 §9 (三)): the VAT special-invoice certificate form of an approved customer; each
    invoice issued against it is registered here with its collection (领取)."""

    __tablename__ = "invoice_register"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    process_id: Mapped[str] = mapped_column(String(64))
    unit_code: Mapped[str] = mapped_column(String(40), index=True)
    entry: Mapped[str] = mapped_column(String(20))  # certificate | invoice
    certificate: Mapped[dict[str, object]] = mapped_column(JSON)  # domain.unit_customers.VatInvoiceInfo
    invoice_no: Mapped[str | None] = mapped_column(String(40))
    amount: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    collected_by: Mapped[str | None] = mapped_column(String(80))
    collected_at: Mapped[datetime | None] = mapped_column()
    registered_by: Mapped[str] = mapped_column(String(80))
    registered_at: Mapped[datetime] = mapped_column()
    # issue 20 item 8: an invoice entry is a process of its own (domain/vat_invoices.py); NULL on certificates.
    workflow_id: Mapped[str | None] = mapped_column(String(120))
    status: Mapped[str | None] = mapped_column(String(20))  # requested | issued | collected | refused | withdrawn
    issued_by: Mapped[str | None] = mapped_column(String(80))
    issued_at: Mapped[datetime | None] = mapped_column()

    __table_args__ = (UniqueConstraint("process_id", "entry", name="uq_invoice_register_process_entry"),)


# --- issue 11 §3 part 1: the customer record — change log and transaction-start survey ------------


class CustomerChange(Base):
    """The change log of a file (000 §10 (四)): every approved card change field by field, every
    status change, hand-over and destruction, with who asked, who approved, when and why. Rows are
    only ever added; a destroyed file keeps its log."""

    __tablename__ = "customer_changes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # card | status | hand_over | destruction
    field: Mapped[str] = mapped_column(String(60))
    old_value: Mapped[Any | None] = mapped_column(JSON)
    new_value: Mapped[Any | None] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(String(2000))
    evidence: Mapped[str | None] = mapped_column(String(2000))
    process_id: Mapped[str | None] = mapped_column(String(64), index=True)  # the approving process
    requested_by: Mapped[str] = mapped_column(String(80))
    approved_by: Mapped[str | None] = mapped_column(String(80))
    changed_at: Mapped[datetime] = mapped_column()

    __table_args__ = (UniqueConstraint("process_id", "field", name="uq_customer_changes_process_field"),)


class CustomerSurvey(Base):
    """交易开始调查书 (004 §4 (一)): recorded once, before the first transaction."""

    __tablename__ = "customer_surveys"
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), primary_key=True, autoincrement=False)
    direction: Mapped[str] = mapped_column(String(10))
    products: Mapped[str] = mapped_column(String(200))
    development_potential: Mapped[str | None] = mapped_column(String(2000))
    business_direction: Mapped[str | None] = mapped_column(String(2000))
    cooperation_attitude: Mapped[str | None] = mapped_column(String(2000))
    reputation: Mapped[str | None] = mapped_column(String(2000))
    credit_standing: Mapped[str] = mapped_column(String(2000))
    trade_conditions: Mapped[str] = mapped_column(String(2000))
    expected_monthly_tonnes: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    surveyed_by: Mapped[str] = mapped_column(String(80))
    surveyed_at: Mapped[datetime] = mapped_column()
    # issue 20 item 9 (004 §4 (一)): the unit head's approval; NULL on surveys recorded before it.
    process_id: Mapped[str | None] = mapped_column(String(64))
    approved_by: Mapped[str | None] = mapped_column(String(80))
    approved_at: Mapped[datetime | None] = mapped_column()


# --- issue 12 §1: credit (000 §13; 001 信用管理措施; 003 §6) --------------------------------------


class CreditPolicy(Base):
    """A version of the credit policy (limit ceilings per grade, longest term, risk thresholds,
    collection deadline), in force from `effective_from`; revised at year end (001 信用审核)."""

    __tablename__ = "credit_policies"
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    effective_from: Mapped[date] = mapped_column(Date, index=True)
    limit_by_grade: Mapped[dict[str, str]] = mapped_column(JSON)  # grade -> ceiling (decimal string)
    max_term_days: Mapped[int] = mapped_column(Integer)
    risk: Mapped[dict[str, Any]] = mapped_column(JSON)  # domain.credit.RiskRules
    collection_working_days: Mapped[int] = mapped_column(Integer)
    changed_by: Mapped[str] = mapped_column(String(80))
    changed_at: Mapped[datetime] = mapped_column()
    reason: Mapped[str] = mapped_column(String(500))
    # the rule-change process the general manager approved it in (domain/rule_change.py); None: seeded
    process_id: Mapped[str | None] = mapped_column(String(64), unique=True)


class OnboardingDocumentList(Base):
    """A version of the documents an applicant for onboarding shows (000 §6), in force from
    `effective_from`; an onboarding pins the version in force at its start (domain/rule_change.py)."""

    __tablename__ = "onboarding_document_lists"
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    effective_from: Mapped[date] = mapped_column(Date, index=True)
    documents: Mapped[list[str]] = mapped_column(JSON)  # domain.documents.DocumentType values, in order
    changed_by: Mapped[str] = mapped_column(String(80))
    changed_at: Mapped[datetime] = mapped_column()
    reason: Mapped[str] = mapped_column(String(500))
    # the rule-change process the general manager approved it in; None: seeded by migration 0027
    process_id: Mapped[str | None] = mapped_column(String(64), unique=True)


class StepDeadlineVersion(Base):
    """A version of one process type's step deadlines (issue 21 §3; domain/step_deadlines.py), in
    force from `effective_from` for processes started from that China day on. No row for a type:
    its chain as declared. Approved versions only, each naming its rule-change process."""

    __tablename__ = "step_deadline_versions"
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    process_type: Mapped[str] = mapped_column(String(40))
    effective_from: Mapped[date] = mapped_column(Date)
    steps: Mapped[dict[str, Any]] = mapped_column(JSON)  # step key -> domain.step_deadlines.StepTiming
    changed_by: Mapped[str] = mapped_column(String(80))
    changed_at: Mapped[datetime] = mapped_column()
    reason: Mapped[str] = mapped_column(String(500))
    process_id: Mapped[str | None] = mapped_column(String(64), unique=True)

    __table_args__ = (Index("ix_step_deadline_versions_in_force", "process_type", "effective_from"),)


class CreditAccount(Base):
    """A customer's credit terms and risk (000 §13, 003 §6); no row means payment before goods.
    The balance itself stays in `customer_balances`: one running figure, one guarded UPDATE."""

    __tablename__ = "credit_accounts"
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), primary_key=True, autoincrement=False)
    settlement: Mapped[str] = mapped_column(String(10), index=True)  # domain.credit.Settlement
    credit_limit: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    term_days: Mapped[int] = mapped_column(Integer)
    collateral: Mapped[str | None] = mapped_column(String(500))  # 资产抵押、担保 (000 §13)
    collector: Mapped[str | None] = mapped_column(String(80))  # 指定业务人员负责货款回收 (000 §13)
    risk_level: Mapped[str] = mapped_column(String(10), index=True)  # domain.credit.RiskLevel
    overdue_amount: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    overdue_days: Mapped[int] = mapped_column(Integer)
    review_required: Mapped[bool] = mapped_column(Boolean)  # high risk: credit sales blocked until reviewed
    risk_since: Mapped[datetime | None] = mapped_column()
    granted_process_id: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column()
    # issue 20 (001 §3): an imported delivery beyond the limit awaits the GM's ratification, or was refused it
    credit_hold: Mapped[str | None] = mapped_column(String(20))  # domain.credit.CreditHold


class CreditDecision(Base):
    """Every change of a customer's credit terms, with who decided, when and why: an application
    granted, a semiannual or risk review's outcome (keep / lower / withdraw), for the auditors."""

    __tablename__ = "credit_decisions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    process_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # application | review
    outcome: Mapped[str] = mapped_column(String(20))  # granted | keep | lower | withdraw
    old_settlement: Mapped[str | None] = mapped_column(String(10))
    new_settlement: Mapped[str] = mapped_column(String(10))
    old_limit: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    new_limit: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    term_days: Mapped[int] = mapped_column(Integer)
    form: Mapped[dict[str, Any]] = mapped_column(JSON)  # the application or the review form as decided
    reason: Mapped[str] = mapped_column(String(2000))
    decided_by: Mapped[str] = mapped_column(String(80))
    decided_at: Mapped[datetime] = mapped_column()


class CreditCollectionDue(Base):
    """A month's collection of a customer as its round opened it (000 §13; issue 20): the amount asked
    beyond older collections still open, and the last ledger entry the round saw — so receipts are
    shared out over the months once (domain.collection.allocate)."""

    __tablename__ = "credit_collection_dues"
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), primary_key=True, autoincrement=False)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # YYYY-MM
    amount: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    last_entry_id: Mapped[int] = mapped_column(Integer)
    recorded_at: Mapped[datetime] = mapped_column()


class LedgerImport(Base):
    """One file finance imported from its ERP; every row it booked names it (`customer_ledger.import_id`)."""

    __tablename__ = "ledger_imports"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    filename: Mapped[str] = mapped_column(String(200))
    format: Mapped[str] = mapped_column(String(10))  # csv | xlsx
    rows: Mapped[int] = mapped_column(Integer)
    imported_by: Mapped[str] = mapped_column(String(80))
    imported_at: Mapped[datetime] = mapped_column()


# --- issue 12 §3: big-customer meetings, development plans, research notes (000 §12, §15) ---------


class BigCustomerMeeting(Base):
    """One quarter's big-customer meeting (000 §15, §5 (一)6) and its minutes, once recorded."""

    __tablename__ = "big_customer_meetings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    quarter: Mapped[str] = mapped_column(String(6), index=True)  # YYYYQn
    workflow_id: Mapped[str] = mapped_column(String(80), unique=True)
    status: Mapped[str] = mapped_column(String(20))  # running | approved (minutes recorded) | failed
    opened_at: Mapped[datetime] = mapped_column()
    due_at: Mapped[datetime | None] = mapped_column()
    held_on: Mapped[date | None] = mapped_column(Date)
    minutes: Mapped[str | None] = mapped_column(Text)
    follow_ups: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str | None] = mapped_column(String(80))
    recorded_at: Mapped[datetime | None] = mapped_column()
    attendees: Mapped[list[MeetingAttendee]] = relationship(lazy="selectin", order_by="MeetingAttendee.id")


class MeetingAttendee(Base):
    __tablename__ = "meeting_attendees"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("big_customer_meetings.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    organisation: Mapped[str] = mapped_column(String(200))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))


class DevelopmentPlan(Base):
    """A month's market development plan (000 §12), approved before the month starts."""

    __tablename__ = "development_plans"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[str] = mapped_column(String(7), index=True)  # YYYY-MM
    author: Mapped[str] = mapped_column(String(80), index=True)
    unit_code: Mapped[str | None] = mapped_column(String(40))
    focus: Mapped[str] = mapped_column(Text)
    workflow_id: Mapped[str] = mapped_column(String(80), unique=True)
    status: Mapped[str] = mapped_column(String(20))  # running | approved | rejected | returned | withdrawn
    submitted_at: Mapped[datetime] = mapped_column()
    decided_by: Mapped[str | None] = mapped_column(String(80))
    decided_at: Mapped[datetime | None] = mapped_column()
    assessed_by: Mapped[str | None] = mapped_column(String(80))  # 月底考核兑现
    assessed_at: Mapped[datetime | None] = mapped_column()
    targets: Mapped[list[DevelopmentTarget]] = relationship(lazy="selectin", order_by="DevelopmentTarget.id")


class DevelopmentTarget(Base):
    """One indicator of a plan for one salesperson (000 §12 分解到具体销售人员), and its actual."""

    __tablename__ = "development_targets"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("development_plans.id", ondelete="CASCADE"), index=True)
    salesperson: Mapped[str] = mapped_column(String(80), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    prospect: Mapped[str | None] = mapped_column(String(200))
    indicator: Mapped[str] = mapped_column(String(200))
    target: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    actual: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))


class ResearchNote(Base):
    """A salesperson's monthly research notes (000 §15, §12), approved by the marketing manager."""

    __tablename__ = "research_notes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[str] = mapped_column(String(7), index=True)
    author: Mapped[str] = mapped_column(String(80), index=True)
    unit_code: Mapped[str | None] = mapped_column(String(40))
    area: Mapped[str] = mapped_column(String(200))
    findings: Mapped[str] = mapped_column(Text)
    customers_contacted: Mapped[int] = mapped_column(Integer)
    potential_customers: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # [{name, note}]
    workflow_id: Mapped[str] = mapped_column(String(80), unique=True)
    status: Mapped[str] = mapped_column(String(20))
    submitted_at: Mapped[datetime] = mapped_column()
    decided_by: Mapped[str | None] = mapped_column(String(80))
    decided_at: Mapped[datetime | None] = mapped_column()
