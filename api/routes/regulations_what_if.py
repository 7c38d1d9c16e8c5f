"""What if a rule changed (issue 21 §4): the reach of a candidate change of a versioned rule — the
open processes and the customers it would touch, and what each would then fail — computed without
changing anything (api/what_if_reads.py, domain/what_if.py), so the general manager approves a
change knowing its reach. Running processes are never moved to a new version: they keep the one
they pinned at their start (新老划断)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Depends

from api.deps import SessionDep, require_any_role
from api.errors import Invalid
from api.visibility import viewer_for
from api.what_if_reads import what_if
from domain.china_time import china_day
from domain.models import Actor
from domain.roles import Role
from domain.rule_change import DRAFTERS, RuleChangeIn, draft_refusal
from domain.what_if import WhatIfAnswer

router = APIRouter(prefix="/regulations", tags=["rules"])

# Who asks: whoever drafts a change (marketing manager, admin), whoever decides it (business VP,
# general manager), and the auditor who checks that a change was approved knowing its reach. Not
# every user: the answer counts open cases and customers' credit across every unit, and lists those
# the asker may read (api/visibility/).
ASKERS = (*DRAFTERS, Role.business_vp, Role.general_manager, Role.auditor)
Asker = Depends(require_any_role(*ASKERS))


@router.post("/what-if", response_model=WhatIfAnswer)
async def regulations_what_if(body: RuleChangeIn, session: SessionDep, actor: Actor = Asker) -> WhatIfAnswer:
    """The reach of a candidate change (the body of `POST /rule-changes`) if it applied from its date:
    for `onboarding_documents` every open onboarding and the documents of the candidate list it
    lacks; for `credit_policy` the customers and open applications above its ceilings or term; for
    `grading_rule` the customers its weights and thresholds would grade otherwise; for
    `step_deadlines` the open processes of its type already past a candidate deadline. Only what the
    asker may read is listed; the rest is counted (`unreadable_processes`, `unreadable_customers`).
    Nothing is written and no process is started; a candidate that could not be drafted is refused (422)."""
    refusal = draft_refusal(body, china_day(datetime.now(UTC)))
    if refusal is not None:
        raise Invalid([refusal])
    return await what_if(session, await viewer_for(session, actor), body)
