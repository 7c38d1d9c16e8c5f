"""No process without a decider (issue 20 item 11): every seat of a chain has someone other than
the applicant who may decide it, or the process is not started.

Nobody approves their own application (000 §6 and every chain after it: segregation of duties),
and a depot or station acts only through its own staff (000 §5 分级实施). Together they leave a
seat empty when the applicant is the only holder of its role in its scope — a depot manager filing
a customer of their own depot, a station manager their own station's VAT customer. The reading
chosen here is the one an organisation uses on paper: the matter goes one level up the reporting
line, to the head of the nearest unit above whose head is someone else (that head's out-of-office
deputy sits in for them, as for every named seat): for a depot or station seat the line above
the process's unit, for a head-office role the line above the applicant's own unit. The seat
becomes a step of its own named for that head, decided before the rest of its step; a seat that
finds nobody even there could never be decided, and the filing is refused (422) with the step and
the reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.approvals import ChainSpec, LeaderGap, SignMode, StepSpec, UnitScope
from domain.roles import Role

ARTICLE = "000 §5, §6"  # 分级实施 and the applicant never approving their own application


class Undecidable(ValueError):
    """A seat of the chain that nobody but the applicant could ever decide."""


@dataclass(frozen=True)
class StepFacts:
    """What the organisation says about one step, looked up at filing.

    `others`: per seat role, how many active holders in the step's scope are not the applicant.
    `heads`: per seat role, the active heads of the units above that seat, nearest first (None where
    a unit has no active head): for a depot or station seat the process's unit and the units above
    it; for a head-office role the applicant's own unit and the units above it."""

    others: dict[Role, int]
    heads: dict[Role, tuple[str | None, ...]]


def lone_roles(step: StepSpec, facts: StepFacts) -> tuple[Role, ...]:
    """The seat roles of a role step that only the applicant holds in the step's scope."""
    if step.named or step.leader_level is not None:
        return ()
    return tuple(role for role in step.seat_roles if facts.others.get(role, 0) == 0)


def head_above(applicant: str, heads: tuple[str | None, ...]) -> str | None:
    """The nearest head up the line who is someone other than the applicant."""
    return next((head for head in heads if head is not None and head != applicant), None)


def seated_chain(chain: ChainSpec, applicant: str, facts: list[StepFacts]) -> ChainSpec:
    """The chain with each seat only the applicant could take moved one level up (a step of its own,
    named for that head, before what is left of its step); unchanged when every seat has another
    decider. Raises `Undecidable` naming the step when no unit above has a head to take it."""
    steps: list[StepSpec] = []
    moved = False
    for step, step_facts in zip(chain.steps, facts, strict=True):
        lone = lone_roles(step, step_facts)
        if not lone:
            steps.append(step)
            continue
        heads = [head_above(applicant, step_facts.heads.get(role, ())) for role in lone]
        if None in heads:
            roles = ", ".join(role.value for role in lone)
            raise Undecidable(
                f"step {step.key} ({step.title}) could never be decided: nobody but {applicant} holds {roles} "
                f"for this unit, and no unit above has a head to decide in their place ({ARTICLE})"
            )
        moved = True
        steps.extend(_moved_up(step, lone, tuple(dict.fromkeys(h for h in heads if h is not None))))
    if not moved:
        return chain
    # A head who is gone when the step opens sends it to the administrators, never past it.
    return chain.model_copy(update={"steps": tuple(steps), "leader_gap": LeaderGap.admin})


def _moved_up(step: StepSpec, lone: tuple[Role, ...], heads: tuple[str, ...]) -> list[StepSpec]:
    """The lone seats as a step named for the heads above; the other seats of the step stay as declared."""
    rest = tuple(role for role in step.seat_roles if role not in lone)
    above = step.model_copy(
        update={
            "key": step.key if not rest else f"{step.key}_above"[:60],
            "title": f"{step.title} — 上级 the head above, for {', '.join(r.value for r in lone)}"[:200],
            "role": None,
            "roles": (),
            "mode": SignMode.all if len(heads) > 1 else SignMode.single,
            "every_holder": False,
            "named": True,
            "signers": heads,
            "unit_scope": UnitScope.none,
        }
    )
    if not rest:
        return [above]
    mode = step.mode if len(rest) > 1 or step.every_holder else SignMode.single
    return [above, step.model_copy(update={"role": rest[0], "roles": rest[1:], "mode": mode})]
