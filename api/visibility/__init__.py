"""Who sees what: the one place that says which records each user may read, and who acts on a deal.

A task is mine when it names me (`assignee`), when I claimed it (`claimed_by`), or when it is an
unclaimed role task for a role I hold in my unit (000 §5 分级实施): its unit is empty, is my unit,
or — when the step lets the units above act (`unit_parents`) — is a unit below mine.

A process is readable by the oversight roles (everything, 003 §7), by its applicant, by whoever
holds or held one of its tasks (assignee, claimer, decider, the absent person a deputy stood in
for, the delegator), by whoever an open role task of it is for, by anyone copied on it (抄送/知会,
by name or by role), by the people a deal names (its handler and co-handlers, 000 §7), by the
complaint desk for complaints (000 §16: marketing owns them, serious ones go to the business VP),
and by the depot and station managers for processes of their unit or a unit below it. A role that
once had a task in a process does not make every holder of that role a reader.

The other records follow from it, one rule each:
- a task: mine (`task_is_mine`), or its process is readable;
- a complaint, a deal and its tenders: their process is readable;
- a customer file: its owning unit and the units above it, head-office marketing and finance
  (`CUSTOMER_DESK`), the clerk who looks after it (`looked_after_by`; a head-office clerk reads
  no other), and the oversight roles (003 §2, 004 §3) — not another depot or station,
  unless a loan of the file to them is approved and not yet returned (002 rule 1: read only; routes
  that change a file ask with `loans=False`); its approval trail is shown only to those who may read
  the process that created it;
- a notification: addressed to me by name, or to a role I hold about a process I may read.

Acting is narrower than reading: on a deal, the marketing work is for the people it names
(`require_deal_handler`), not for every holder of a marketing role; on a complaint, for whoever holds
its open step (`require_open_step`); a returned application is resubmitted by its applicant. The
workflow then judges the stage (409) and the finer rules.

Wrong-user answers are consistent everywhere: **404** when the user may not even read the record
(its existence is not revealed), **403** when they may read it but not do what they asked; a route
closed to the user's role answers 403 whatever the id (that says nothing about any record). One
exception keeps races honest: a role task a colleague claimed first answers 409, not 404.

Every predicate here is SQL, so the inbox, the process list and the single reads filter in the
database. `Viewer` carries the actor with the units below theirs, looked up once per request;
callers that only have an `Actor` get the same rule with the units below as a recursive query.

This package is the one public entry point: routes, services and pages import from `api.visibility`,
never from its modules, which split the rules by concern — `viewer` (who asks, the units below
theirs), `tasks` (which tasks are mine), `processes` (processes and what belongs to one: tasks,
complaints, deals, notifications), `dashboard` (who opens the managers' dashboard, whose
figures it counts), `customers` (customer files, the VAT register, filing for a unit)
and `plans` (visit plans, meetings, development plans and research notes).
"""

from __future__ import annotations

from api.visibility.customers import (
    customer_readable,
    get_customer,
    get_vat_invoice,
    looked_after_by,
    on_loan_to,
    require_acts_for_unit,
)
from api.visibility.dashboard import dashboard_scope, reads_dashboard, sees_whole_company
from api.visibility.plans import development_readable, meeting_readable, visit_plan_readable
from api.visibility.processes import (
    can_read_task,
    complaint_readable,
    copied_to,
    get_complaint,
    get_process,
    get_task,
    notification_readable,
    process_readable,
    require_deal_handler,
    require_open_step,
    task_readable,
    visible_processes,
)
from api.visibility.tasks import holds_task, mine_branches, role_task_for, task_is_mine
from api.visibility.viewer import CurrentViewer, Viewer, Who, descendants, get_viewer, unindexed, viewer_for

__all__ = [
    "CurrentViewer",
    "Viewer",
    "Who",
    "can_read_task",
    "complaint_readable",
    "copied_to",
    "customer_readable",
    "dashboard_scope",
    "descendants",
    "development_readable",
    "get_complaint",
    "get_customer",
    "get_process",
    "get_task",
    "get_vat_invoice",
    "get_viewer",
    "holds_task",
    "looked_after_by",
    "meeting_readable",
    "mine_branches",
    "notification_readable",
    "on_loan_to",
    "process_readable",
    "require_acts_for_unit",
    "require_deal_handler",
    "require_open_step",
    "reads_dashboard",
    "role_task_for",
    "sees_whole_company",
    "task_is_mine",
    "task_readable",
    "unindexed",
    "viewer_for",
    "visible_processes",
    "visit_plan_readable",
]
