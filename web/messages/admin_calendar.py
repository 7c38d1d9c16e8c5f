"""The words of the working-day calendar's month grid (web/admin_calendar.py): key -> (中文, English)."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    # the working-day calendar's month grid (web/admin_calendar.py)
    "nav.calendar": ("工作日历", "Working days"),
    "calendar.title": ("工作日历 {year} 年 {month} 月", "Working-day calendar {year}-{month}"),
    "calendar.previous": ("上个月", "Previous month"),
    "calendar.next": ("下个月", "Next month"),
    "calendar.go": ("查看", "Show"),
    "calendar.year": ("年份", "Year"),
    "calendar.month": ("月份", "Month"),
    "calendar.known": (
        "{year} 年的节假日安排已知（官方数据截至 {last} 年，之后为管理员录入）",
        "The holidays of {year} are known (official data up to {last}, later years as entered by an administrator)",
    ),
    "calendar.unknown": (
        "{year} 年超出已知数据：官方节假日安排截至 {last} 年，管理员尚未录入 {year} 年。"
        "本年只按周末计算，落在本年的期限均为暂定。",
        "{year} lies beyond the known data: the official holidays end with {last} and no administrator "
        "has entered {year}. Only weekends count as days off this year, and every deadline in it is provisional.",
    ),
    "calendar.beyond": ("超出已知数据", "beyond the known data"),
    "calendar.kind.workday": ("工作日", "working day"),
    "calendar.kind.weekend": ("休息日", "weekend"),
    "calendar.kind.holiday": ("节假日", "holiday"),
    "calendar.kind.makeup": ("调休上班", "make-up working day"),
    "calendar.source.official": ("官方", "official"),
    "calendar.source.admin": ("管理员设定", "set by an administrator"),
    "calendar.source.provisional": ("暂定", "provisional"),
    "calendar.edit": ("设定某一天", "Set one day"),
    "calendar.day": ("日期", "Date"),
    "calendar.is_working_day": ("是否上班", "Working day?"),
    "calendar.working": ("上班", "working"),
    "calendar.off": ("休息", "day off"),
    "calendar.note": ("原因", "Why"),
    "calendar.submit": ("保存", "Save"),
    "calendar.forbidden": ("仅系统管理员可修改工作日历", "Only administrators change the working-day calendar"),
    "weekday.0": ("一", "Mon"),
    "weekday.1": ("二", "Tue"),
    "weekday.2": ("三", "Wed"),
    "weekday.3": ("四", "Thu"),
    "weekday.4": ("五", "Fri"),
    "weekday.5": ("六", "Sat"),
    "weekday.6": ("日", "Sun"),
    "field.day": ("日期", "the date"),
    "field.is_working_day": ("是否上班", "working day or not"),
    "field.note": ("原因（1 至 200 字）", "why (1 to 200 characters)"),
    "field.year": ("年份（2004 至 2100）", "the year (2004 to 2100)"),
    "field.month": ("月份（1 至 12）", "the month (1 to 12)"),
    "action.task_opened": ("生成待办", "task opened"),
    "action.rule_applied": ("锁定规则版本", "rule version pinned"),
    "action.returned": ("退回申请人", "returned to the applicant"),
    "action.urge": ("发送催办通知", "urge sent"),
    "action.customer_created": ("客户建档", "customer created"),
    "action.closed": ("流程结束", "process closed"),
    "action.store_failed": ("数据写入被拒", "write refused"),
}
