"""The versions of the company's rules a process runs under, pinned at its start (新老划断).

A process looks up the version of each rule it applies once, when it starts, decides by that
version to its end even after a newer one takes effect, and names it in its history
(`rule_applied`, written with the process's first moment: activities/audit_store.py).
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.grading_store import CHINA
    from activities.rule_store import RuleInForce, RuleStore
    from domain.audit import AuditEntry
    from domain.rule_change import DECIDED_BY, RuleKind, RuleVersionRef
    from workflows.activity_calls import look_up
    from workflows.kernel import Kernel

# `workflow.patched` id of the processes that pin their rule versions at the start (issue 20 item 7)
PINNED = "rule-versions-pinned"


def name_rule(kernel: Kernel, ref: RuleVersionRef) -> None:
    """The version goes into the history with the process's next write, right after its start,
    naming the catalogue rules this process decides by it (domain/rule_change.DECIDED_BY) — the
    evidence of those rules, not of every rule whose values the version happens to hold."""
    info = workflow.info()
    seq = kernel.outbox.audit[-1].seq if kernel.outbox.audit else 0  # sorts after the start
    entry = AuditEntry(
        seq=seq,
        process_id=info.run_id,
        workflow_type=info.workflow_type,
        at=workflow.now(),
        kind="rule",
        name=ref.rule.value,
        payload=ref.model_dump(mode="json"),
        rules=list(DECIDED_BY.get((ref.rule, info.workflow_type), ())),
    )
    kernel.outbox.audit.append(entry)


async def pin_rule(kernel: Kernel, rule: RuleKind) -> RuleVersionRef:
    """The version of `rule` in force now, named in the history."""
    today = workflow.now().astimezone(CHINA).date()
    ref = await look_up(RuleStore.rule_in_force, RuleInForce(rule=rule, on=today))
    name_rule(kernel, ref)
    return ref
