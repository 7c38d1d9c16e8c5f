"""The one approval-step mechanism every workflow uses: a declared chain of steps, run seat by seat.

A workflow declares its chain in `domain/approvals.py` and runs it here; every step action a real
approver expects comes from the declaration, not from code of the workflow's own:
sign modes (single, countersign 会签, or-sign 或签, joint review across roles), delegate 委托 and
transfer 转办, add signer 加签 before or after, return to the applicant or to an earlier step
退回, CC 抄送, urge 催办, leader chains 按汇报线, step deadlines with reminder and escalation (the
one clock of `workflows/clock.py`), re-planned deadlines when the calendar changes, unit scoping
(000 §5 分级实施), and claiming a role task.

Decisions arrive as Temporal Updates: `validate_*` refuses what is not allowed before anything
reaches the history, and each handler checks again because two racing updates can both pass
their validators. Writes go to the process's outbox (`workflows/kernel.py`): a transition is
one write.

The parts, each the one owner of its state (`chain.py` lists them), from the bottom up:
`refusal`, `process_ref`, `step_run`, `context` → `board`, `seats`, `notices`, `guards`,
`sign_modes` → `deadlines`, `correction` → `walker` → `add_signer`, `hand_over`, `urging` →
`decisions`, `read_model` → `chain` (the `ApprovalChain` facade) → `host` (`ApprovalHost`, the
updates every process offers) → `process` (`SingleChainHost`, a process that is one chain).
The clock (`workflows/clock.py`) sits below all of them and imports none: the chain passes it
callbacks. Import the public names from `workflows.approval`.
"""
