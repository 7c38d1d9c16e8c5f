"""Declarative approval chains: the steps a regulation prescribes and the role each step needs.

A workflow never hard-codes who approves what; it runs a `ChainSpec` through the one
approval-step mechanism in `workflows/engine/`. New processes add a declaration here.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import BaseModel, Field, model_validator

from domain.roles import Role
from domain.rulebook import enforces


class SignMode(StrEnum):
    """How the seats of one step agree."""

    single = "single"  # one holder decides
    all = "all"  # countersign 会签: every seat must approve; the first reject or return decides
    any = "any"  # or-sign 或签: the first decision decides; the other seats' tasks are cancelled


class Outcome(StrEnum):
    approve = "approve"
    reject = "reject"
    return_ = "return"


class UnitScope(StrEnum):
    """000 §5 分级实施: a depot or station acts only for itself."""

    none = "none"  # head-office role: any holder of the role may act
    unit = "unit"  # only holders of the role in the process's unit
    unit_and_parents = "unit_and_parents"  # ... or in a unit above it


class LeaderGap(StrEnum):
    """What a leader-chain step does when a level of the reporting line has no head."""

    skip = "skip"  # skip the step, with a note in the history
    admin = "admin"  # send the step to the administrators to route by hand


class Resubmission(StrEnum):
    """Where a chain starts again after the applicant corrects a returned application."""

    first_step = "first_step"
    returning_step = "returning_step"


class StepSpec(BaseModel):
    """One step of a chain: who acts, how their decisions combine, and within how long.

    The seats of a step: each role of `roles` (joint review across roles, e.g. station + finance,
    000 §9), or with `every_holder` each person holding one of them, or with `named` the people
    the applicant names at the start, or with `leader_level` the head of the applicant's unit
    (1) or of a unit above it (2, 3 ...). Each seat gets a task of its own.
    """

    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=60)
    title: str = Field(max_length=200)
    role: Role | None = None
    roles: tuple[Role, ...] = ()
    mode: SignMode = SignMode.single
    every_holder: bool = False
    named: bool = False
    # Named signers fixed when the process was filed (a seat moved one level up, domain/deciders.py);
    # signers named at the start (`ApprovalInput.signers`) take precedence.
    signers: tuple[str, ...] = Field(default=(), max_length=20)
    leader_level: int | None = Field(default=None, ge=1, le=5)
    unit_scope: UnitScope = UnitScope.none  # applies to the unit roles of the step (domain.roles.UNIT_SCOPED_ROLES)
    # None: no deadline declared; at most a quarter (000 §15: the big-customer meeting is due at its end)
    due_working_days: int | None = Field(default=None, ge=0, le=130)
    remind_before_hours: float = Field(default=2, ge=0)
    escalate_to: tuple[Role, ...] = ()  # the supervisor of each level once the step is overdue
    allow_return: bool = True
    cc: tuple[Role, ...] = ()  # 知会: roles copied when the step opens (notified, may read, no task)
    citation: str = ""
    # The catalogue's rules a decision of this step applies (domain/rulebook.py), named in its audit
    # rows. Not checked here (a history's chain must always load); scripts/traceability.py checks
    # every declared chain against the catalogue.
    rules: tuple[str, ...] = Field(default=(), max_length=20)

    @model_validator(mode="after")
    def _seats_declared(self) -> StepSpec:
        if not self.seat_roles and not self.named and self.leader_level is None:
            raise ValueError(f"step {self.key} names no role, no named signers and no leader level")
        if self.mode is SignMode.single and (len(self.seat_roles) > 1 or self.every_holder):
            raise ValueError(f"step {self.key}: several seats need mode all or any")
        return self

    @property
    def seat_roles(self) -> tuple[Role, ...]:
        """The roles whose holders may sit on this step, the primary role first."""
        ordered = ((self.role,) if self.role is not None else ()) + self.roles
        return tuple(dict.fromkeys(ordered))


class VersionRef(BaseModel):
    """A version of a company rule a chain was shaped by (`domain.rule_change.RuleVersionRef`
    narrows `rule` to its kinds; kept here so a chain can carry it without importing the rules)."""

    rule: str = Field(max_length=40)
    version: int
    effective_from: date | None = None  # None: named by a form that carries only the number


class ChainSpec(BaseModel):
    process_type: str = Field(max_length=40)
    title: str
    steps: tuple[StepSpec, ...]
    citation: str = ""
    resubmission: Resubmission = Resubmission.first_step
    leader_gap: LeaderGap = LeaderGap.skip
    urge_interval_minutes: int = Field(default=60, ge=1)  # 催办 at most once per interval
    # 新老划断 (issue 21 §3): the rule versions pinned into this chain at the start (api/starts.py),
    # each named in the process's history at its first moment (workflows/audit.py); () as declared.
    rule_versions: tuple[VersionRef, ...] = ()

    def step(self, key: str) -> StepSpec:
        for spec in self.steps:
            if spec.key == key:
                return spec
        raise KeyError(key)

    def index(self, key: str) -> int:
        return [s.key for s in self.steps].index(key)

    def has_step(self, key: str) -> bool:
        return any(s.key == key for s in self.steps)

    def with_step_deadlines(self, working_days: int | None) -> ChainSpec:
        """The chain with a configured deadline on every step that declares an escalation ladder."""
        steps = tuple(
            s.model_copy(update={"due_working_days": working_days or None}) if s.escalate_to else s for s in self.steps
        )
        return self.model_copy(update={"steps": steps})


# Who is told when an onboarding step is overdue, level by level (000 §16 "nobody may shirk"
# applied to approvals; the deadline itself is configuration: `onboarding_step_working_days`).
ONBOARDING_LADDER = (Role.marketing_manager, Role.business_vp, Role.general_manager)

# 000 §6: 营销业务部资质审核 → 财务资产部复核 → 业务副总同意 → 报总经理办公室 → 总经理审批.
ONBOARDING_CHAIN = ChainSpec(
    process_type="onboarding",
    title="配置客户资信审批 Allocation customer onboarding",
    citation="000 §6",
    steps=(
        StepSpec(
            key="marketing_review",
            title="营销业务部资质审核 Qualification review",
            role=Role.marketing_reviewer,
            escalate_to=ONBOARDING_LADDER,
            citation="000 §6",
            rules=(
                "000-6-qualification-review",
                "000-6-documents",
                "000-6-chain",
                "000-6-return-or-reject",
                "000-5-marketing-credit-investigation",
            ),
        ),
        StepSpec(
            key="finance_recheck",
            title="财务资产部复核 Finance re-check",
            role=Role.finance_reviewer,
            escalate_to=ONBOARDING_LADDER[1:],
            citation="000 §6",
            rules=("000-6-chain", "000-6-return-or-reject"),
        ),
        StepSpec(
            key="vp_consent",
            title="业务副总同意 Business VP consent",
            role=Role.business_vp,
            escalate_to=ONBOARDING_LADDER[2:],
            citation="000 §6",
            rules=("000-6-chain", "000-6-return-or-reject"),
        ),
        StepSpec(
            key="gm_approval",
            title="总经理审批 General manager approval",
            role=Role.general_manager,
            citation="000 §6",
            rules=("000-6-chain", "000-6-return-or-reject", "000-6-customer-after-gm-approval"),
        ),
    ),
)

CHAINS: dict[str, ChainSpec] = {ONBOARDING_CHAIN.process_type: ONBOARDING_CHAIN}

# --- issue 11 §1-§2: depot and station customers (000 §8, §9) ------------------------------------
# No return in these chains: the regulation lets the reviewer approve or refuse; a refused applicant
# files a corrected application.

# 000 §8 (一)(三): 经油库营业室经理审查完成后放可创建客户 — the manager of *that* depot (000 §5).
DEPOT_CUSTOMER_CHAIN = ChainSpec(
    process_type="depot_customer",
    title="油库营业室客户资信审批 Depot office customer",
    citation="000 §8",
    steps=(
        StepSpec(
            key="depot_manager_review",
            title="油库营业室经理审查 Depot manager review",
            role=Role.depot_manager,
            unit_scope=UnitScope.unit,
            allow_return=False,
            citation="000 §8",
            rules=("000-8-depot-manager-review", "000-4-unified-tiered"),
        ),
    ),
)

# 000 §9 (三): 资质经加油站和财务资产部共同审核 — station and finance in parallel, both must approve.
STATION_VAT_CHAIN = ChainSpec(
    process_type="station_vat_customer",
    title="加油站增值税专票客户审批 Station VAT-invoice customer",
    citation="000 §9",
    steps=(
        StepSpec(
            key="joint_review",
            title="加油站与财务资产部共同审核 Joint review by station and finance",
            roles=(Role.station_manager, Role.finance_reviewer),
            mode=SignMode.all,
            unit_scope=UnitScope.unit,
            allow_return=False,
            citation="000 §9 (三)",
            rules=("000-9-joint-review",),
        ),
    ),
)

# 000 §9 (一) names no review for an ordinary prepaid customer; the station registers it in its own
# archive (000 §5 (三) 2 建立客户档案). Assumption: its manager confirms the registration.
STATION_PREPAID_CHAIN = ChainSpec(
    process_type="station_prepaid_customer",
    title="加油站预付款客户建档 Station prepaid customer",
    citation="000 §9 (一)",
    steps=(
        StepSpec(
            key="station_review",
            title="加油站审核建档 Station registration",
            role=Role.station_manager,
            unit_scope=UnitScope.unit,
            allow_return=False,
            citation="000 §5 (三), §9 (一)",
        ),
    ),
)

# 000 §9 (一): 经财务资产部确认款项到账后 — finance confirms each top-up has arrived.
TOP_UP_CHAIN = ChainSpec(
    process_type="prepaid_top_up",
    title="预付款到账确认 Prepaid funds confirmation",
    citation="000 §9 (一)",
    steps=(
        StepSpec(
            key="funds_confirmation",
            title="财务资产部确认到账 Finance confirms the funds arrived",
            role=Role.finance_reviewer,
            allow_return=False,
            citation="000 §9 (一)",
            rules=("000-9-finance-confirms-funds",),
        ),
    ),
)

CHAINS.update(
    {
        chain.process_type: chain
        for chain in (DEPOT_CUSTOMER_CHAIN, STATION_VAT_CHAIN, STATION_PREPAID_CHAIN, TOP_UP_CHAIN)
    }
)

# --- issue 11 §3: the customer record (000 §10, 004 §4-§6) ----------------------------------------
# A major change of the card goes to the reviewer of the unit that owns the file (000 §5 分级实施:
# the depot or station keeps its own customers' files, 000 §5 (二)2, (三)2; head office marketing
# keeps the rest, 000 §5 (一)6, and its manager keeps the files, 000 §10 (二)).
CUSTOMER_CHANGE_HQ_CHAIN = ChainSpec(
    process_type="customer_change",
    title="客户档案变更 Customer card change",
    citation="000 §10 (四)",
    steps=(
        StepSpec(
            key="marketing_review",
            title="营销业务部审核 Marketing review",
            role=Role.marketing_reviewer,
            citation="000 §5 (一)6",
        ),
        StepSpec(
            key="marketing_manager_approval",
            title="营销部经理批准 Marketing manager approval",
            role=Role.marketing_manager,
            citation="000 §10 (二)",
            rules=("000-10-change-approved-by-keeper",),
        ),
    ),
)
CUSTOMER_CHANGE_DEPOT_CHAIN = ChainSpec(
    process_type="customer_change",
    title="客户档案变更 (油库) Depot customer card change",
    citation="000 §10 (四)",
    steps=(
        StepSpec(
            key="depot_review",
            title="油库营业室经理审核 Depot manager review",
            role=Role.depot_manager,
            unit_scope=UnitScope.unit,
            citation="000 §5 (二)2",
            rules=("000-10-change-approved-by-keeper",),
        ),
    ),
)
CUSTOMER_CHANGE_STATION_CHAIN = ChainSpec(
    process_type="customer_change",
    title="客户档案变更 (加油站) Station customer card change",
    citation="000 §10 (四)",
    steps=(
        StepSpec(
            key="station_review",
            title="加油站审核 Station manager review",
            role=Role.station_manager,
            unit_scope=UnitScope.unit,
            citation="000 §5 (三)2",
            rules=("000-10-change-approved-by-keeper",),
        ),
    ),
)
# 004 §6: a file of a customer who can never trade again is destroyed only with the approval of the
# competent manager — the marketing manager, who keeps the files (000 §10 (二)).
CUSTOMER_DESTRUCTION_CHAIN = ChainSpec(
    process_type="customer_destruction",
    title="客户档案销毁 Destruction of a past customer's file",
    citation="004 §6",
    steps=(
        StepSpec(
            key="manager_approval",
            title="主管经理批准销毁 Manager approves the destruction",
            role=Role.marketing_manager,
            citation="004 §6",
            rules=("004-6-destroy-only-past-with-manager",),
        ),
    ),
)


# A destruction the marketing manager asks for goes to the business VP: nobody approves their own.
CUSTOMER_DESTRUCTION_VP_CHAIN = ChainSpec(
    process_type="customer_destruction",
    title="客户档案销毁 Destruction of a past customer's file",
    citation="004 §6",
    steps=(
        StepSpec(
            key="manager_approval",
            title="主管副总批准销毁 Business VP approves the destruction",
            role=Role.business_vp,
            citation="004 §6",
            rules=("004-6-destroy-only-past-with-manager",),
        ),
    ),
)


@enforces("000-5-unit-keeps-own-customers")
def customer_change_chain(unit_kind: str | None, requester_roles: frozenset[Role] = frozenset()) -> ChainSpec:
    """The chain for a change of a file owned by a unit of this kind (org_units.kind). A unit
    manager's own request goes to head-office marketing, the competent department (000 §5 (一)):
    nobody approves their own application."""
    if unit_kind == "depot" and Role.depot_manager not in requester_roles:
        return CUSTOMER_CHANGE_DEPOT_CHAIN
    if unit_kind == "station" and Role.station_manager not in requester_roles:
        return CUSTOMER_CHANGE_STATION_CHAIN
    return CUSTOMER_CHANGE_HQ_CHAIN


def customer_destruction_chain(requester_roles: frozenset[Role] = frozenset()) -> ChainSpec:
    """004 §6: the competent manager approves; the business VP when the manager asks."""
    if Role.marketing_manager in requester_roles:
        return CUSTOMER_DESTRUCTION_VP_CHAIN
    return CUSTOMER_DESTRUCTION_CHAIN


CHAINS.update({c.process_type: c for c in (CUSTOMER_CHANGE_HQ_CHAIN, CUSTOMER_DESTRUCTION_CHAIN)})

# --- issue 11 §3: file borrowing; issue 20 item 9: the department leader and the outsider -----
# 002 rule 1 第一节: an insider borrows "经部门领导批准" — the borrower's department leader (the head of
# their unit; for a borrower who heads it, the head of the unit above: `leader_level_above`).
# 002 rule 1 第二节: an outsider (外单位人员) reads only with their unit's introduction letter, "经负责
# 人批准, 报经理批准" — the leader of the colleague who receives them, then the manager: we read 经理
# as the marketing manager, who manages the customer archive (000 §4 (一), §10 (二) 由部门经理统一管理).
# 004 §3: "各负责以外的人如要阅览时, 则必须经过总财务科的准许" — reading a file one does not keep needs
# the finance section's consent, last.
BORROWING_LEADER = StepSpec(
    key="department_leader",
    title="部门领导批准 The borrower's department leader approves",
    leader_level=1,
    citation="002 rule 1",
    rules=("002-1-insider-department-leader",),
)
BORROWING_MANAGER = StepSpec(
    key="manager_approval",
    title="经理批准 The manager approves an outsider's reading",
    role=Role.marketing_manager,
    citation="002 rule 1",
    rules=("002-1-outsider-manager-approval",),
)
BORROWING_FINANCE = StepSpec(
    key="finance_consent",
    title="财务资产部准许 Finance consent to read another unit's file",
    role=Role.finance_reviewer,
    citation="004 §3",
    rules=("004-3-other-unit-file-needs-finance",),
)
BORROWING_CHAIN = ChainSpec(
    process_type="borrowing",
    title="客户档案借阅 Customer file borrowing",
    citation="002 rule 1; 004 §3",
    steps=(BORROWING_LEADER, BORROWING_FINANCE),
)


def leader_level_above(username: str, heads: list[str | None]) -> int:
    """The first level of a reporting line (heads nearest first) whose head is not `username`: a
    unit head's own request goes to the head of the unit above (nobody approves their own). Past
    the top, a level nobody holds: the step is skipped with a note (`LeaderGap.skip`)."""
    for level, head in enumerate(heads, start=1):
        if head != username:
            return level
    return len(heads) + 1


def with_leader_level(step: StepSpec, level: int) -> StepSpec:
    return step.model_copy(update={"leader_level": min(level, 5)})


@enforces("002-1-outsider-manager-approval")
def borrowing_chain(leader_level: int = 1, outsider: bool = False) -> ChainSpec:
    """002 rule 1 and 004 §3, frozen into the loan as it is asked for: an outsider's reading adds the
    manager's step after the leader's (the step is declared apart, not in `BORROWING_CHAIN`)."""
    leader = with_leader_level(BORROWING_LEADER, leader_level)
    steps = (leader, BORROWING_MANAGER, BORROWING_FINANCE) if outsider else (leader, BORROWING_FINANCE)
    return BORROWING_CHAIN.model_copy(update={"steps": steps})


CHAINS[BORROWING_CHAIN.process_type] = BORROWING_CHAIN

# issue 20 item 9: 004 §4 (一) "取得单位主管的认可并禀报董事长" — the transaction-start survey is approved
# by the surveyor's unit head (the unit above for a head's own survey: `leader_level_above`) and,
# once approved, reported to the company's head. Assumption: no chairman holds a seat here, so the
# report goes to the general manager, who heads the company (a notification, no task).
SURVEY_CHAIN = ChainSpec(
    process_type="customer_survey",
    title="交易开始调查书 Transaction-start survey",
    citation="004 §4 (一)",
    steps=(
        StepSpec(
            key="unit_head",
            title="单位主管认可 The unit head approves the survey",
            leader_level=1,
            allow_return=False,
            citation="004 §4 (一)",
            rules=("004-4-survey-approved-by-unit-head",),
        ),
    ),
)
SURVEY_REPORTED_TO = Role.general_manager
CHAINS[SURVEY_CHAIN.process_type] = SURVEY_CHAIN


def survey_chain(leader_level: int = 1) -> ChainSpec:
    step = with_leader_level(SURVEY_CHAIN.steps[0], leader_level)
    return SURVEY_CHAIN.model_copy(update={"steps": (step,)})
