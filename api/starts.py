"""Starting a process: the start and its first answer in one call to Temporal (update-with-start).

A new process answers only once it rests with its first task in an inbox (read-your-writes), so a
start is a start plus the `current` update. Sent together they cost one round trip, not two.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client, WithStartWorkflowOperation, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from activities.process_store import step_facts, unit_path
from activities.rule_store import step_deadlines_in_force
from api.deps import release_session, request_session
from api.errors import Conflict, Invalid, from_workflow
from domain.approvals import ONBOARDING_CHAIN, ChainSpec
from domain.china_time import china_day
from domain.credit_review import CREDIT_REVIEW_CHAIN
from domain.deciders import ARTICLE, Undecidable, seated_chain
from domain.models import Actor
from domain.step_deadlines import timed
from domain.trade import PARTNER_CHAIN

T = TypeVar("T")
# Start inputs that leave their chain to the workflow (None: as declared).
DECLARED_CHAINS: dict[str, ChainSpec] = {
    "Onboarding": ONBOARDING_CHAIN,
    "ExternalTrade": PARTNER_CHAIN,
    "CreditReview": CREDIT_REVIEW_CHAIN,  # its applicant is the one who opens it by hand (`applicant=`)
}


async def with_deciders(
    workflow: str, arg: Any, session: AsyncSession | None = None, applicant: Actor | None = None
) -> Any:
    """The start input with every seat decidable by someone other than the applicant (a seat only
    the applicant holds goes one level up, domain/deciders.py); 422 naming the step when nobody
    could ever decide it, before anything is started. Every start that carries its chain and its
    applicant (`applicant`, or a plan's `author`, or one given by an input that names the applicant
    by username only, e.g. a credit review opened by hand) passes here."""
    session = session or request_session()
    chain = getattr(arg, "chain", None) or DECLARED_CHAINS.get(workflow)
    applicant = applicant or getattr(arg, "applicant", None) or getattr(arg, "author", None)
    if session is None or not isinstance(chain, ChainSpec) or not isinstance(applicant, Actor):
        return arg
    path = list(getattr(arg, "unit_path", None) or [])
    if not path:
        path = await unit_path(session, getattr(arg, "unit", None) or applicant.unit)
    facts = await step_facts(session, chain, applicant, path)
    try:
        seated = seated_chain(chain, applicant.username, facts)
    except Undecidable as exc:
        raise Invalid([str(exc)]) from exc
    if seated is chain:
        return arg
    if "chain" not in type(arg).model_fields:  # a deal's chains are the workflow's own: none moves
        moved = [step.key for step in seated.steps if step.signers]
        raise Invalid(
            [
                f"step {', '.join(moved)} of {chain.process_type} could be decided by nobody but "
                f"{applicant.username}: a colleague who holds no seat of it files it ({ARTICLE})"
            ]
        )
    return arg.model_copy(update={"chain": seated})


async def with_rule_versions(workflow: str, arg: Any) -> Any:
    """新老划断 (issue 21 §3): the start input with its chain timed by the step deadlines in force
    on the China day of the start (domain/step_deadlines.py), the version named on the chain; the
    process keeps it to its end. No version for its type, or a start that does not carry its chain
    (a deal's chains are the workflow's own): the input as it is."""
    session = request_session()
    fields = type(arg).model_fields if isinstance(arg, BaseModel) else {}
    chain = getattr(arg, "chain", None) or DECLARED_CHAINS.get(workflow)
    if session is None or "chain" not in fields or not isinstance(chain, ChainSpec):
        return arg
    version = await step_deadlines_in_force(session, chain.process_type, china_day(datetime.now(UTC)))
    if version is None:
        return arg
    return arg.model_copy(update={"chain": timed(chain, version.steps, version.ref)})


async def start_process(
    client: Client,
    workflow: str,
    arg: Any,
    *,
    workflow_id: str,
    task_queue: str,
    result_type: type[T],
    already_running: str | None = None,
    applicant: Actor | None = None,
) -> T:
    """Start `workflow` and wait until it rests, its chain timed by the step deadlines in force
    (`with_rule_versions`); 409 `already_running` if that id is open; 422 if a seat of its chain
    could never be decided (`with_deciders`)."""
    arg = await with_deciders(workflow, await with_rule_versions(workflow, arg), applicant=applicant)
    operation: WithStartWorkflowOperation[Any, Any] = WithStartWorkflowOperation(
        workflow,
        arg,
        id=workflow_id,
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
    )
    await release_session()  # no database connection is held while the worker starts the process
    try:
        result: T = await client.execute_update_with_start_workflow(
            "current", start_workflow_operation=operation, result_type=result_type
        )
    except WorkflowAlreadyStartedError as exc:
        raise Conflict(already_running or f"process {workflow_id} is already running") from exc
    except (WorkflowUpdateFailedError, RPCError) as exc:
        raise from_workflow(exc) from exc
    return result
