"""Declarative approval chains: the steps a regulation prescribes and the role each step needs.

A workflow never hard-codes who approves what; it runs a `ChainSpec` through the one
approval-step mechanism in `workflows/approval.py`. New processes add a declaration here.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

from domain.roles import Role


class SignMode(StrEnum):
    """How many holders of the role must agree on a step."""

    single = "single"  # one holder decides
    all = "all"  # countersign 会签: every named signer must approve
    any = "any"  # or-sign 或签: the first approval decides


class Outcome(StrEnum):
    approve = "approve"
    reject = "reject"
    return_ = "return"


class StepSpec(BaseModel):
    """One step of a chain: who acts and within how long."""

    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str
    role: Role
    mode: SignMode = SignMode.single
    due_working_days: int | None = None  # None: no deadline declared by the regulation
    allow_return: bool = True
    citation: str = ""


class ChainSpec(BaseModel):
    process_type: str
    title: str
    steps: tuple[StepSpec, ...]
    citation: str = ""

    def step(self, key: str) -> StepSpec:
        for spec in self.steps:
            if spec.key == key:
                return spec
        raise KeyError(key)

    def index(self, key: str) -> int:
        return [s.key for s in self.steps].index(key)


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
            citation="000 §6",
        ),
        StepSpec(
            key="finance_recheck",
            title="财务资产部复核 Finance re-check",
            role=Role.finance_reviewer,
            citation="000 §6",
        ),
        StepSpec(key="vp_consent", title="业务副总同意 Business VP consent", role=Role.business_vp, citation="000 §6"),
        StepSpec(
            key="gm_approval", title="总经理审批 General manager approval", role=Role.general_manager, citation="000 §6"
        ),
    ),
)

CHAINS: dict[str, ChainSpec] = {ONBOARDING_CHAIN.process_type: ONBOARDING_CHAIN}
