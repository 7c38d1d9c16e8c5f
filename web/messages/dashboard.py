"""The words of the managers' dashboard (web/dashboard.py): key -> (中文, English)."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    # the managers' dashboard (web/dashboard.py)
    "nav.dashboard": ("管理看板", "Dashboard"),
    "dashboard.title": ("管理看板", "Managers' dashboard"),
    "dashboard.forbidden": (
        "管理看板仅供经理、公司领导和审计人员查看 (000 §5, 003 §7)",
        "The dashboard is for managers, leaders and auditors (000 §5, 003 §7)",
    ),
    "dashboard.scope.company": ("全公司数据", "Figures of the whole company"),
    "dashboard.scope.unit": ("本单位 ({unit}) 及下级单位数据", "Figures of your unit ({unit}) and the units below it"),
    "dashboard.open_cases": ("在办流程 (按流程类型)", "Open cases by process type"),
    "dashboard.overdue": ("超期待办 (按单位和步骤)", "Overdue tasks by unit and step"),
    "dashboard.decision_times": (
        "本月各步骤平均审批用时 ({month})",
        "Average decision time per step this month ({month})",
    ),
    "dashboard.complaints": ("投诉按时办结率 ({month} 受理)", "Complaints closed on time (received {month})"),
    "dashboard.grades": ("客户分级 (在交易客户)", "Active customers by grade"),
    "dashboard.risks": ("客户信用风险 (在交易客户)", "Active customers by credit risk"),
    "dashboard.overdue_more": (
        "列出超期最多的 {shown} 组, 共 {groups} 组 {tasks} 项超期待办; 全部下载:",
        "Showing the {shown} groups with the most late tasks, of {groups} ({tasks} late tasks). Download all:",
    ),
    "dashboard.count": ("数量", "Count"),
    "dashboard.unit": ("单位", "Unit"),
    "dashboard.no_unit": ("总部岗位", "Head-office seat"),
    "dashboard.decided": ("已审批", "Decided"),
    "dashboard.average": ("平均用时", "Average time"),
    "dashboard.hours": ("{n} 小时", "{n} h"),
    "dashboard.received": ("受理", "Received"),
    "dashboard.closed": ("已办结", "Closed"),
    "dashboard.on_time": ("按时办结", "Closed on time"),
    "dashboard.late": ("超期办结", "Closed late"),
    "dashboard.rate": ("按时率", "On-time rate"),
    "dashboard.no_rate": ("尚无办结", "None closed yet"),
    "dashboard.grade": ("等级", "Grade"),
    "dashboard.risk": ("信用风险", "Credit risk"),
    "dashboard.risk.low": ("低", "Low"),
    "dashboard.risk.medium": ("中", "Medium"),
    "dashboard.risk.high": ("高", "High"),
    "dashboard.risk.none": ("无信用额度 (先款后货)", "No credit terms (paid before delivery)"),
}
