"""What a deal and the child workflow of one of its sub-processes (a payment form, the contract) say
to each other, and what the deal keeps of each child.

The deal stays the one door and the one book of the process: the API's Updates and the inbox's task
rows address the deal (a task row names the deal's run), and the deal writes every moment of the
process in one transaction, with the audit entry of the act that caused it. So a child hands each
of its writes to the deal (a `ChildSync`), which writes it and answers with the deadlines the write
counted (`ChildWritten`); and the deal hands a child each act on it (a `ChildAct`), which the child
answers once it rests again, or with its refusal (`ChildReply`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.calendar import StepDeadline
    from activities.notifications import NotificationSpec
    from domain.models import (
        AddSignerRequest,
        ClaimRequest,
        DecisionRecord,
        DecisionRequest,
        HandOverRequest,
        TaskClosure,
        TaskSpec,
        UrgeRequest,
        WatcherSpec,
    )
    from domain.roles import Role
    from workflows.kernel import Lane


def child_id(deal_workflow_id: str, name: str) -> str:
    """A child's workflow id: derived from the deal's, so a retried start finds it again."""
    return f"{deal_workflow_id}/{name}"


def started_id(name: str) -> str:
    """The request id of a child's first rest, answered like an act's."""
    return f"started-{name}"


class NamedRules(BaseModel):
    """The rules a decision applied (issue 21 §3), for the audit entry the deal holds."""

    task_id: str
    step: str
    rules: list[str]


class OpenWork(BaseModel):
    key: str
    spec: TaskSpec
    roles: list[Role]


class ChildStart(BaseModel):
    name: str  # the child's name within the deal ("payment-2", "contract")
    process_id: str  # the deal's run: the process the child belongs to
    workflow_id: str  # the deal's: the child's tasks are acted on through the deal
    subject: str
    applicant: str  # the deal's marketing handler


class ChildSync(BaseModel):
    """One write of a child, for the deal to make: what the deal mirrors, and the child's outbox."""

    name: str
    seq: int
    decisions: list[DecisionRecord]  # of the child's approval chain
    chain_tasks: list[TaskSpec]
    owned: list[str]  # the chain's open tasks: a decision on one, even once closed, belongs to the child
    waiting: bool  # an approval step waits for a decision (what 催办 nudges)
    current_step: str | None
    ended: bool  # the child's last write: its sub-process is over
    work: list[OpenWork]
    named: list[NamedRules]
    tasks: list[TaskSpec]
    closed: list[TaskClosure]
    notifications: list[NotificationSpec]
    watchers: list[WatcherSpec]
    deadlines: list[StepDeadline]


class ChildWritten(BaseModel):
    seq: int
    deadlines: list[StepDeadline] = Field(default_factory=list)  # as the write counted them


class ChildAct(BaseModel):
    """One act on a child, accepted by the deal's Update: one field set (a child adds its own)."""

    request_id: str
    decide: DecisionRequest | None = None
    hand_over: HandOverRequest | None = None
    add_signer: AddSignerRequest | None = None
    claim: ClaimRequest | None = None
    urge: UrgeRequest | None = None


class ChildReply(BaseModel):
    """The child rests again after an act, or refused it (its chain's own checks) and changed nothing."""

    request_id: str
    error: str | None = None
    error_type: str | None = None
    details: list[Any] = Field(default_factory=list)


@dataclass
class ChildMirror:
    """What a deal keeps of one child: what it shows, and whether an act awaits the child's answer."""

    name: str
    moves_main: bool = False  # the child is the deal's main line for now (the contract)
    handle: workflow.ChildWorkflowHandle[Any, Any] | None = None
    lane: Lane = field(default_factory=Lane)  # settled while no act waits for the child's answer
    decisions: list[DecisionRecord] = field(default_factory=list)
    chain_tasks: list[TaskSpec] = field(default_factory=list)
    owned: set[str] = field(default_factory=set)
    work_keys: set[str] = field(default_factory=set)
    waiting: bool = False
    current_step: str | None = None
    ended: bool = False
    pending: int = 0
