"""E-mail notifications (issue 24 §4): which notices become mail, whom they reach, and their words.

Pure rules, read by the worker's mail channel (activities/mail.py), the user-admin API and the
notification settings page (api/services/mail_settings.py, web/notification_settings.py).

Readings chosen:
- Four kinds of mail, each a user may opt out of: a task waiting for them (a new task, or one
  delegated / transferred to them), a reminder (the step clock's reminder and an applicant's
  urging, 催办), an escalation (督办: the step is overdue), and a decision on the user's own
  application (approved or rejected; a return opens a correction task, mailed as a task). Copies
  (知会/抄送), step notes and repair notices stay in the bell only: nobody must act on them.
- A notice addressed to a role mails every active holder of that role; for the unit-scoped roles
  (depot and station managers, 000 §5 "分级实施") only the holders in the notice's unit — the
  same people who may take the task.
- A mail is in the RECIPIENT's language (users.locale), Chinese unless they chose English.
"""

from __future__ import annotations

from enum import StrEnum
from urllib.parse import quote

from domain.roles import UNIT_SCOPED_ROLES, Role


class MailKind(StrEnum):
    task = "task"
    reminder = "reminder"
    escalation = "escalation"
    decision = "decision"


# Notices that are not notification rows: derived from a moment's writes, delivered only to the
# channels that ask for them (activities/mail_notices.py).
TASK_OPENED = "task_opened"
DECIDED = "decided"
MOMENT_KINDS = frozenset({TASK_OPENED, DECIDED})

MAIL_KIND_OF: dict[str, MailKind] = {
    TASK_OPENED: MailKind.task,
    "reminder": MailKind.reminder,
    "urge": MailKind.reminder,
    "escalation": MailKind.escalation,
    DECIDED: MailKind.decision,
    "credit_review_result": MailKind.decision,
    "credit_granted": MailKind.decision,
}

# The process statuses that are a decision the applicant hears of by mail.
DECISION_STATUSES = frozenset({"approved", "rejected"})

EMAIL_MAX = 254  # RFC 5321's longest path; mail_preferences.email
# One address, nothing a header could be split with (no spaces, CR/LF, commas or angle brackets).
LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
EMAIL_PATTERN = rf"^[A-Za-z0-9.!#$%&'*+/=?^_`{{|}}~-]+@{LABEL}(?:\.{LABEL})+$"


def mail_kind(notification_kind: str) -> MailKind | None:
    """The mail a notice of this kind becomes; None: the bell only."""
    return MAIL_KIND_OF.get(notification_kind)


def role_unit(role: Role, unit: str | None) -> str | None:
    """The unit whose holders of `role` are mailed; None: every holder (a head-office role)."""
    return unit if role in UNIT_SCOPED_ROLES else None


def task_link(base_url: str, task_id: str) -> str:
    """The task page (web/pages.py `/tasks/{task_id}`) under the address people open the pages at."""
    return f"{base_url.rstrip('/')}/tasks/{quote(task_id, safe='')}"


def case_link(base_url: str, process_id: str) -> str:
    """The applicant's own case page (web/apply_cases.py `/apply/cases/{process_id}`)."""
    return f"{base_url.rstrip('/')}/apply/cases/{quote(process_id, safe='')}"


def workbench_link(base_url: str) -> str:
    return f"{base_url.rstrip('/')}/"


ENGLISH = "en"

# key -> (中文, English); `{name}` placeholders are filled by `words`.
MESSAGES: dict[str, tuple[str, str]] = {
    "subject.task": ("【待办】{subject}", "[To do] {subject}"),
    "subject.reminder": ("【催办】{subject}", "[Reminder] {subject}"),
    "subject.escalation": ("【督办】{subject}", "[Escalation] {subject}"),
    "subject.decision": ("【审批结果】{subject}", "[Decision] {subject}"),
    "lead.task": ("您有一项新的待办：", "A task is waiting for you:"),
    "lead.reminder": ("提醒您尽快处理：", "A reminder to act on:"),
    "lead.escalation": ("以下事项已超期，已升级督办：", "This is overdue and has been escalated:"),
    "lead.decision": ("您发起的流程有了审批结果：", "Your application has a decision:"),
    "outcome.approved": ("结果：已通过", "Outcome: approved"),
    "outcome.rejected": ("结果：未通过", "Outcome: rejected"),
    "greeting": ("{name}，您好：", "Dear {name},"),
    "open": ("打开：{link}", "Open: {link}"),
    "footer": (
        "本邮件由客户管理审批系统自动发送。不想再收到此类邮件，可在“通知设置”中关闭。",
        "This mail was sent by the customer approvals system. Turn such mails off under Notification settings.",
    ),
}


def words(key: str, locale: str | None, **values: object) -> str:
    chinese, english = MESSAGES[key]
    return (english if locale == ENGLISH else chinese).format(**values)


def compose(
    kind: MailKind, locale: str | None, name: str, subject: str, link: str, outcome: str | None = None
) -> tuple[str, str]:
    """The subject line and plain-text body of one mail, in the recipient's language. The subject is
    one line whatever the process subject holds (a line break would end the header)."""
    subject = " ".join(subject.split())
    lines = [words("greeting", locale, name=name), words(f"lead.{kind.value}", locale), subject]
    if outcome in DECISION_STATUSES:
        lines.append(words(f"outcome.{outcome}", locale))
    lines += [words("open", locale, link=link), words("footer", locale)]
    body = "\n\n".join(lines)
    return words(f"subject.{kind.value}", locale, subject=subject), body + "\n"
