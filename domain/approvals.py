"""Declarative approval chains: the steps a regulation prescribes and the role each step needs.

A workflow never hard-codes who approves what; it runs a `ChainSpec` through the one
approval-step mechanism in `workflows/approval.py`. New processes add a declaration here.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field, model_validator

from domain.roles import Role


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
    leader_level: int | None = Field(default=None, ge=1, le=5)
    unit_scope: UnitScope = UnitScope.none  # applies to the unit roles of the step (domain.roles.UNIT_SCOPED_ROLES)
    due_working_days: int | None = Field(default=None, ge=0, le=60)  # None: no deadline declared
    remind_before_hours: float = Field(default=2, ge=0)
    escalate_to: tuple[Role, ...] = ()  # the supervisor of each level once the step is overdue
    allow_return: bool = True
    cc: tuple[Role, ...] = ()  # 知会: roles copied when the step opens (notified, may read, no task)
    citation: str = ""

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


class ChainSpec(BaseModel):
    process_type: str = Field(max_length=40)
    title: str
    steps: tuple[StepSpec, ...]
    citation: str = ""
    resubmission: Resubmission = Resubmission.first_step
    leader_gap: LeaderGap = LeaderGap.skip
    urge_interval_minutes: int = Field(default=60, ge=1)  # 催办 at most once per interval

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
        ),
        StepSpec(
            key="finance_recheck",
            title="财务资产部复核 Finance re-check",
            role=Role.finance_reviewer,
            escalate_to=ONBOARDING_LADDER[1:],
            citation="000 §6",
        ),
        StepSpec(
            key="vp_consent",
            title="业务副总同意 Business VP consent",
            role=Role.business_vp,
            escalate_to=ONBOARDING_LADDER[2:],
            citation="000 §6",
        ),
        StepSpec(
            key="gm_approval", title="总经理审批 General manager approval", role=Role.general_manager, citation="000 §6"
        ),
    ),
)

CHAINS: dict[str, ChainSpec] = {ONBOARDING_CHAIN.process_type: ONBOARDING_CHAIN}
