"""What a candidate rule change would reach, before anyone approves it (issue 21 §4).

The answer lists the open processes and the customers a change would touch if it applied to them,
and which of them would then fail a rule (`would_fail`, each reason naming the rule's id and
article). Nothing changes: running processes keep the version they pinned at their start
(新老划断); the answer is for the general manager who approves the change knowing its reach.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field


class WhatIfProcess(BaseModel):
    """An open process the change would touch, and what it would then fail (empty: passes)."""

    process_id: str
    workflow_id: str
    process_type: str
    subject: str
    customer_id: int | None = None
    status: str
    current_step: str | None = None
    would_fail: list[str] = Field(default_factory=list)


class WhatIfCustomer(BaseModel):
    """A customer the change would touch, and what they would then fail (empty: passes)."""

    customer_id: int
    name: str
    would_fail: list[str] = Field(default_factory=list)


class WhatIfAnswer(BaseModel):
    """The reach of one candidate change of one versioned rule; nothing was changed to find it."""

    rule: str  # domain.rule_change.RuleKind
    effective_from: date
    in_force_version: int | None = None  # the version the candidate would replace
    processes: list[WhatIfProcess] = Field(default_factory=list)
    customers: list[WhatIfCustomer] = Field(default_factory=list)
    summary: str = ""
