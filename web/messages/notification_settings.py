"""The words of the notification settings page (web/notification_settings.py): key -> (中文, English)."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "nav.mail": ("通知设置", "Notification settings"),
    "mail.title": ("通知设置", "Notification settings"),
    "mail.title_for": ("{user} 的通知设置", "Notification settings of {user}"),
    "mail.intro": (
        "站内通知始终保留；填写邮箱后，以下勾选的事项也会发邮件（语言随本人的界面语言）。",
        "Notifications always stay in the bell; with an address, the kinds ticked below are mailed too "
        "(in the user's own language).",
    ),
    "mail.email": ("电子邮箱", "E-mail address"),
    "mail.email_hint": ("留空则不发邮件", "Leave empty for no mail"),
    "mail.kinds": ("发邮件的事项", "Mail me about"),
    "mail.kind.task": ("新的待办", "a new task for me"),
    "mail.kind.reminder": ("催办与到期提醒", "reminders and urging"),
    "mail.kind.escalation": ("超期督办", "overdue steps escalated to me"),
    "mail.kind.decision": ("我发起的流程的审批结果", "decisions on my applications"),
    "mail.save": ("保存", "Save"),
    "mail.saved": ("已保存", "Saved"),
    "mail.invalid_email": ("邮箱地址格式不正确", "That is not an e-mail address"),
    "mail.updated": ("最近由 {by} 于 {at} 修改", "Last changed by {by} at {at}"),
    "mail.others": ("其他用户", "Other users"),
    "mail.open_user": ("用户名", "Username"),
    "mail.open": ("打开", "Open"),
    "mail.user": ("用户", "User"),
    "mail.none": ("（未填写）", "(none)"),
    "mail.yes": ("是", "yes"),
    "mail.no": ("否", "no"),
}
