"""The mail-only notices a process's moment gives (issue 24 §4): a task waiting for someone and a
decision on an application. They are not notification rows (the bell shows the inbox and the case
instead); they are derived while the moment is written, before its rows change, and delivered only
to channels that take them (activities/mail.py MailChannel). A retried write works them out from
what the moment writes as well (`written_notices`): its first attempt may have committed the rows.

A task is mailed when its row is new, or when it is handed to another named person (delegated,
transferred, a deputy): a re-planned deadline or an escalation level does not mail its holder again
(the escalation notice does, to the supervisors, and stands for their supervision task). A decision
is mailed to the applicant once, when the process first becomes approved or rejected.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from activities.mail import MomentNotice
from activities.process_sync import ProcessSync
from db.models import Process, Task
from domain.mail import DECIDED, DECISION_STATUSES, TASK_OPENED
from domain.models import ProcessProjection, TaskSpec

SUBJECT_MAX = 300  # notifications.subject


def _task_notice(spec: TaskSpec) -> MomentNotice:
    person = spec.assignee or spec.claimed_by
    role = None if person else (spec.role.value if spec.role else None)
    holder = person or f"{role}@{spec.unit or ''}"
    return MomentNotice(
        notification_id=f"{TASK_OPENED}:{spec.task_id}:{holder}",
        process_id=spec.process_id,
        recipient=person,
        recipient_role=role,
        kind=TASK_OPENED,
        subject=f"{spec.subject} · {spec.step_title}"[:SUBJECT_MAX],
        task_id=spec.task_id,
        unit=spec.unit,
    )


def _mailed(spec: TaskSpec, known: dict[str, str | None]) -> bool:
    """A new task, but not a supervision task (督办, workflows/clock.py: the escalation notice written
    with it mails its holders once, with the link to it); or one handed to another named person."""
    if spec.task_id not in known:
        return spec.escalation_level == 0
    return spec.assignee is not None and known[spec.task_id] != spec.assignee


def task_notices(session: Session, tasks: list[TaskSpec]) -> list[MomentNotice]:
    if not tasks:
        return []
    rows = session.execute(select(Task.task_id, Task.assignee).where(Task.task_id.in_([t.task_id for t in tasks])))
    known: dict[str, str | None] = dict(rows.tuples().all())
    return [_task_notice(spec) for spec in tasks if _mailed(spec, known)]


def _decided(sync: ProcessSync) -> ProcessProjection | None:
    """The moment's process when it is approved or rejected (a decision the applicant is mailed)."""
    process = sync.process
    return process if process is not None and process.status.value in DECISION_STATUSES else None


def decision_notice(session: Session, sync: ProcessSync) -> list[MomentNotice]:
    process = _decided(sync)
    if process is None:
        return []
    before = session.scalar(select(Process.status).where(Process.process_id == process.process_id))
    if before == process.status.value:
        return []
    return [_decision(process)]


def _decision(process: ProcessProjection) -> MomentNotice:
    return MomentNotice(
        notification_id=f"{DECIDED}:{process.process_id}:{process.status.value}",
        process_id=process.process_id,
        recipient=process.applicant,
        kind=DECIDED,
        subject=process.subject[:SUBJECT_MAX],
        body=process.status.value,
    )


def written_notices(sync: ProcessSync) -> list[MomentNotice]:
    """A retry's notices, derived from what the moment writes: the first attempt may have committed
    the rows (so they no longer tell what changed) and then failed to mail. Every task of the moment
    but a supervision task, and its decision: each MailDelivery has its id (`mail:<notice id>`, a
    duplicate start refused), so what the first attempt started, or an earlier moment did for the
    same holder, is not mailed again."""
    tasks = [_task_notice(spec) for spec in sync.tasks if spec.escalation_level == 0]
    process = _decided(sync)
    return tasks if process is None else [*tasks, _decision(process)]


def moment_notices(session: Session, sync: ProcessSync, retry: bool = False) -> list[MomentNotice]:
    """What the moment tells people by mail; read before the moment's rows are written (on an
    activity's retry also what the moment writes, `written_notices`)."""
    notices = task_notices(session, sync.tasks) + decision_notice(session, sync)
    if not retry:
        return notices
    return list({n.notification_id: n for n in [*notices, *written_notices(sync)]}.values())
