"""Step deadlines as a versioned rule (issue 21 §3, 新老划断): how many working days each step of a
declared chain has, and how long before its deadline its holders are reminded.

The seeds lost most of these figures (the onboarding steps' days are configuration:
`onboarding_step_working_days`), and 000 §16 (nobody may shirk) makes every step's time a company
rule. A change is drafted and approved like every other rule (domain/rule_change.py); an approved
version names one process type and the steps it times. READING: a version replaces the figures of
the steps it names only; the other steps keep the chain as declared (with its configured days). No
version for a process type: the chain as declared, as before versions existed.

A process takes the version in force on the China day of its start (api/starts.py), keeps it to its
end, and names it in its history (`rule_versions` on its chain, workflows/audit.py). Only starts that
carry their chain through `start_process` pin: a process a schedule or a parent workflow starts (the
grading clock's round, the risk sweep's credit review, the quarter's meeting, a visit's report) runs
its chain as declared and its history names no version — truthfully, since none applied. So a
version is accepted (and reported in force) only for a type every start of which pins it
(`RUN_AS_DECLARED` lists the others) and only for steps whose due the process does not set itself
(`FIRST_STEP_DUE_SET_BY_PROCESS`): 422 naming the type or the step otherwise (000 §16).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from importlib import import_module

from pydantic import BaseModel, Field, ValidationInfo, field_validator

from domain.approvals import BORROWING_CHAIN, BORROWING_MANAGER, ChainSpec, StepSpec, VersionRef
from domain.text import StoredText

RULE = "step_deadlines"
CITATION = "000 §16"
MAX_STEPS = 20  # as many as a chain declares (`StepSpec.rules`' bound)

# process type -> the step keys its declared chains name (a type may have variants, e.g. the
# customer change per unit kind or the credit review the GM signs: their steps are one set).
DECLARED_STEPS: dict[str, set[str]] = {}

# Process types a version could never reach, and why (000 §16: a version said to be in force must
# be the one that applies). A hand list: which starts pin is a fact of the starts (api/starts.py
# pins only an input that carries its chain, started through `start_process`), not of the
# declarations; tests/domain/test_step_deadline_reach.py compares it with every start in the code.
# READING of "every start pins": a type with one start that runs the chain as declared (the grading
# clock's round) is not versioned at all, so a version never holds for some processes of a type
# and silently not for others.
RUN_AS_DECLARED: dict[str, str] = {
    "credit_review": "a review's start carries no chain (CreditReviewInput): every review runs its chain as declared",
    "complaint_extension": "an extension's chain is the complaint workflow's own (workflows/complaint.py)",
    "visit_report": "a visit's report is started by its plan's workflow, not by a start that pins a version",
    "big_customer_meeting": "the quarter's meeting is started by a schedule, not by a start that pins a version",
    "grading": "the grading clock opens the yearly round without a version: only a round opened by hand could",
}

# Process types whose first step's due the workflow sets itself when it starts (`set_first_step_due`,
# workflows/approval.py), and why: a version's figures for that step could never apply (000 §16).
# tests/domain/test_step_deadline_reach.py keeps it equal to the workflows that set it.
FIRST_STEP_DUE_SET_BY_PROCESS: dict[str, str] = {
    "visit_plan": "the plan is due on the last working day before its month (000 §12)",
    "development_plan": "the plan is due on the last working day before its month (000 §12)",
    "big_customer_meeting": "the meeting is due on the last working day of its quarter (000 §15)",
}
# process type -> its steps whose due the process sets itself: the first step of each of its chains.
DUE_SET_BY_PROCESS: dict[str, set[str]] = {}


def declare(chains: Iterable[ChainSpec]) -> None:
    for chain in chains:
        DECLARED_STEPS.setdefault(chain.process_type, set()).update(step.key for step in chain.steps)
        if chain.process_type in FIRST_STEP_DUE_SET_BY_PROCESS:
            DUE_SET_BY_PROCESS.setdefault(chain.process_type, set()).add(chain.steps[0].key)


# Every chain a domain module declares, but two: a deal's chains are the trade workflow's own (its
# start carries none, so no version could ever be pinned: domain/trade.py), and the month-end
# collection's one deadline is the credit policy's `collection_working_days` (001 信用审核).
CHAIN_MODULES = (
    "approvals",
    "complaints",
    "credit_application",
    "credit_review",
    "development",
    "grading",
    "import_credit",
    "vat_invoices",
    "visits",
)
declare(
    value
    for module in CHAIN_MODULES
    for value in vars(import_module(f"domain.{module}")).values()
    if isinstance(value, ChainSpec)
)
DECLARED_STEPS[BORROWING_CHAIN.process_type].add(BORROWING_MANAGER.key)  # an outsider's loan (002 rule 1)


class StepTiming(BaseModel):
    """One step's time: at most a quarter, as `StepSpec` bounds it (000 §15); at least a working
    day (a step due the moment it opens has no time at all, and `with_step_deadlines` reads 0 as none)."""

    due_working_days: int = Field(ge=1, le=130)
    remind_before_hours: float | None = Field(default=None, ge=0, le=720)  # None: as declared


StepKey = str


class StepDeadlinesIn(BaseModel):
    """A new version of one process type's step deadlines as drafted, in force from
    `effective_from` once approved."""

    effective_from: date
    process_type: str = Field(min_length=1, max_length=40)
    steps: dict[StepKey, StepTiming] = Field(min_length=1, max_length=MAX_STEPS)
    reason: StoredText = Field(min_length=1, max_length=500)

    @field_validator("process_type")
    @classmethod
    def _declared_type(cls, process_type: str) -> str:
        problem = undeclared(process_type, ())
        if problem is not None:
            raise ValueError(problem)
        return process_type

    @field_validator("steps")
    @classmethod
    def _declared_steps(cls, steps: dict[StepKey, StepTiming], info: ValidationInfo) -> dict[StepKey, StepTiming]:
        process_type = info.data.get("process_type")
        problem = undeclared(process_type, steps) if process_type is not None else None
        if problem is not None:
            raise ValueError(problem)
        return steps


def undeclared(process_type: str, steps: Iterable[str]) -> str | None:
    """Why a version cannot time these steps: an unknown process type, or a step its chain lacks."""
    declared = DECLARED_STEPS.get(process_type)
    if declared is None:
        return f"process type {process_type!r} has no declared chain whose steps could be timed ({CITATION})"
    unknown = sorted(set(steps) - declared)
    if unknown:
        steps = ", ".join(sorted(declared))
        return f"the {process_type} chain declares no step {', '.join(unknown)} (its steps: {steps}; {CITATION})"
    return unversionable(process_type) or _set_by_process(process_type, steps)


def unversionable(process_type: str) -> str | None:
    """Why no version of this declared type could ever apply: no start of it pins one
    (`RUN_AS_DECLARED`), or every step's due is set by the process itself; None if one could."""
    why = RUN_AS_DECLARED.get(process_type)
    if why is None and DECLARED_STEPS.get(process_type) == DUE_SET_BY_PROCESS.get(process_type):
        fixed, reason = ", ".join(sorted(DUE_SET_BY_PROCESS[process_type])), FIRST_STEP_DUE_SET_BY_PROCESS[process_type]
        why = f"the process sets the due of its every step ({fixed}) itself: {reason}"
    return f"a {process_type} process never applies a step-deadlines version: {why} ({CITATION})" if why else None


def _set_by_process(process_type: str, steps: Iterable[str]) -> str | None:
    fixed = sorted(set(steps) & DUE_SET_BY_PROCESS.get(process_type, set()))
    if not fixed:
        return None
    why = FIRST_STEP_DUE_SET_BY_PROCESS[process_type]
    return f"the {process_type} process sets the due of step {', '.join(fixed)} itself: {why} ({CITATION})"


class StepDeadlinesVersion(BaseModel):
    """An approved version as a start applies it."""

    version: int
    effective_from: date
    steps: dict[StepKey, StepTiming]

    @property
    def ref(self) -> VersionRef:
        return VersionRef(rule=RULE, version=self.version, effective_from=self.effective_from)


def timed(chain: ChainSpec, steps: Mapping[StepKey, StepTiming], ref: VersionRef) -> ChainSpec:
    """The chain with the version's figures on the steps it names, and the version named on it.
    A version none of whose figures the process could apply (a type no start pins, or only steps
    whose due the process sets itself: a version approved before they were refused) leaves the
    chain as it is and is not named: its history must not say a version applied that did not."""
    steps = {key: timing for key, timing in steps.items() if key not in DUE_SET_BY_PROCESS.get(chain.process_type, ())}
    if not steps or chain.process_type in RUN_AS_DECLARED:
        return chain
    specs = tuple(
        step.model_copy(update=_figures(steps[step.key])) if step.key in steps else step for step in chain.steps
    )
    named = tuple(r for r in chain.rule_versions if r.rule != ref.rule) + (ref,)
    return chain.model_copy(update={"steps": specs, "rule_versions": named})


def _figures(timing: StepTiming) -> dict[str, object]:
    figures: dict[str, object] = {"due_working_days": timing.due_working_days}
    if timing.remind_before_hours is not None:
        figures["remind_before_hours"] = timing.remind_before_hours
    return figures


def carried(rebuilt: ChainSpec, pinned: ChainSpec) -> ChainSpec:
    """A chain a process rebuilds on its way (the GM's step added, 001 §3) keeps the figures of the
    steps it shares with the chain pinned at the start, and names the same versions (新老划断: the
    process finishes under them). A chain that pinned nothing is rebuilt as before, so histories
    saved before versions existed replay unchanged. READING: a step the start chain lacked (the
    GM's, added later) runs as declared."""
    if not pinned.rule_versions:
        return rebuilt
    started = {step.key: step for step in pinned.steps}
    steps = tuple(
        step.model_copy(update=_kept(started[step.key])) if step.key in started else step for step in rebuilt.steps
    )
    return rebuilt.model_copy(update={"steps": steps, "rule_versions": pinned.rule_versions})


def _kept(step: StepSpec) -> dict[str, object]:
    return {"due_working_days": step.due_working_days, "remind_before_hours": step.remind_before_hours}
