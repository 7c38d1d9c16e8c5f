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

    `others`: per seat role, the active holders in the step's scope who are not the applicant.
    `heads`: per seat role, the active heads of the units above that seat, nearest first (None where
    a unit has no active head): for a depot or station seat the process's unit and the units above
    it; for a head-office role the applicant's own unit and the units above it."""

    others: dict[Role, tuple[str, ...]]
    heads: dict[Role, tuple[str | None, ...]]


def lone_roles(step: StepSpec, facts: StepFacts) -> tuple[Role, ...]:
    """The seat roles of a role step that only the applicant holds in the step's scope."""
    if step.named or step.leader_level is not None:
        return ()
    return tuple(role for role in step.seat_roles if not facts.others.get(role))


def heads_above(applicant: str, heads: tuple[str | None, ...]) -> list[str]:
    """The heads up the line who are someone other than the applicant, nearest first."""
    return list(dict.fromkeys(head for head in heads if head is not None and head != applicant))


def seated_chain(chain: ChainSpec, applicant: str, facts: list[StepFacts]) -> ChainSpec:
    """The chain with each seat only the applicant could take moved up the line (a step of its own,
    named for the nearest head above who can take it, before what is left of its step); unchanged
    when every seat has another decider. One person never decides two steps nor two seats of one
    step, so the walk gives every seat of the chain a distinct decider, or raises `Undecidable`
    naming the step that could never be decided."""
    lone = [lone_roles(step, step_facts) for step, step_facts in zip(chain.steps, facts, strict=True)]
    choices: list[list[str]] = []
    for step, step_facts, roles in zip(chain.steps, facts, lone, strict=True):
        for role in roles:
            heads = heads_above(applicant, step_facts.heads.get(role, ()))
            if not heads:
                raise Undecidable(
                    f"step {step.key} ({step.title}) could never be decided: nobody but {applicant} holds "
                    f"{role.value} for this unit, and no unit above has a head to decide in their place ({ARTICLE})"
                )
            choices.append(heads)
    for picked in _combinations(choices):
        seated = _seat(chain, lone, picked)
        stuck = _undecided_step(seated, facts, lone)
        if stuck is None:
            return seated
    assert stuck is not None
    raise Undecidable(
        f"step {stuck.key} ({stuck.title}) could never be decided: everyone who may decide it other than "
        f"{applicant} must decide another step of this process, and nobody decides two ({ARTICLE})"
    )


def _combinations(choices: list[list[str]]) -> list[list[str]]:
    """Every pick of one head per moved seat, nearest heads first (few: one or two seats, a few levels)."""
    picks: list[list[str]] = [[]]
    for heads in choices:
        picks = [pick + [head] for pick in picks for head in heads]
    return picks


def _seat(chain: ChainSpec, lone: list[tuple[Role, ...]], picked: list[str]) -> ChainSpec:
    if not picked:
        return chain
    steps: list[StepSpec] = []
    queue = iter(picked)
    for step, roles in zip(chain.steps, lone, strict=True):
        if not roles:
            steps.append(step)
            continue
        heads = tuple(dict.fromkeys(next(queue) for _ in roles))
        steps.extend(_moved_up(step, roles, heads))
    # A head who is gone when the step opens sends it to the administrators, never past it.
    return chain.model_copy(update={"steps": tuple(steps), "leader_gap": LeaderGap.admin})


def _slots(seated: ChainSpec, facts: list[StepFacts], lone: list[tuple[Role, ...]]) -> list[tuple[StepSpec, set[str]]]:
    """Each seat that needs a person of its own, with who may take it."""
    by_key = {step.key: step_facts for step, step_facts in zip(seated.steps, _spread(facts, lone), strict=True)}
    slots: list[tuple[StepSpec, set[str]]] = []
    for step in seated.steps:
        if step.named:
            slots += [(step, {signer}) for signer in step.signers]
            continue
        if step.leader_level is not None:
            continue
        people = [set(by_key[step.key].others.get(role, ())) for role in step.seat_roles]
        if step.mode is SignMode.any or step.every_holder:  # one decision is enough
            slots.append((step, set().union(*people)))
        else:
            slots += [(step, candidates) for candidates in people]
    return slots


def _spread(facts: list[StepFacts], lone: list[tuple[Role, ...]]) -> list[StepFacts]:
    """The facts aligned with the seated chain's steps: a step split in two keeps its facts for both."""
    spread: list[StepFacts] = []
    for step_facts, roles in zip(facts, lone, strict=True):
        has_rest = roles and any(role not in roles for role in step_facts.others)
        spread += [step_facts, step_facts] if has_rest else [step_facts]
    return spread


def _undecided_step(seated: ChainSpec, facts: list[StepFacts], lone: list[tuple[Role, ...]]) -> StepSpec | None:
    """The first seat left without a distinct decider (None: every seat has one), by augmenting paths."""
    taken: dict[str, int] = {}  # person -> slot
    slots = _slots(seated, facts, lone)

    def place(index: int, seen: set[str]) -> bool:
        for person in sorted(slots[index][1]):
            if person in seen:
                continue
            seen.add(person)
            if person not in taken or place(taken[person], seen):
                taken[person] = index
                return True
        return False

    for index, (step, _) in enumerate(slots):
        if not place(index, set()):
            return step
    return None


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
