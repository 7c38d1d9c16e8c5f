"""Every word the web pages show, in Chinese (the default) and English: one message table, and
the domain's own declarations for what the domain already names (step and process titles are
declared bilingual in domain/approvals.py, role titles in domain/roles.py).

Dates are China time, `YYYY-MM-DD HH:mm` (domain/china_time.py)."""

from __future__ import annotations

import re
from datetime import datetime
from importlib import import_module

from domain.approvals import ChainSpec
from domain.china_time import in_china
from domain.documents import DOCUMENT_TITLES, DocumentType
from domain.roles import ROLE_TITLES, Role
from domain.step_deadlines import CHAIN_MODULES

LOCALES = ("zh", "en")
DEFAULT = "zh"

# key: (中文, English). `{name}` placeholders are filled by `Messages.t`.
MESSAGES: dict[str, tuple[str, str]] = {
    "app.title": ("客户管理审批工作台", "Customer approvals workbench"),
    "nav.workbench": ("工作台", "Workbench"),
    "nav.sign_out": ("退出", "Sign out"),
    "nav.language": ("English", "中文"),
    "sign_in.title": ("登录", "Sign in"),
    "sign_in.username": ("用户名", "Username"),
    "sign_in.password": ("密码", "Password"),
    "sign_in.submit": ("登录", "Sign in"),
    "sign_in.wrong": ("用户名或密码错误", "Wrong username or password"),
    "sign_in.throttled": ("登录失败次数过多，请 {wait} 秒后再试", "Too many failed sign-ins: try again in {wait} s"),
    "tab.todo": ("待办", "To do"),
    "tab.done": ("已办", "Done"),
    "tab.mine": ("我发起的", "My applications"),
    "tab.cc": ("抄送我的", "Copied to me"),
    "list.empty": ("没有记录", "Nothing here"),
    "list.more": ("下一页", "Next page"),
    "col.type": ("流程类型", "Process type"),
    "col.subject": ("客户 / 事项", "Customer / subject"),
    "col.step": ("步骤", "Step"),
    "col.status": ("状态", "Status"),
    "col.due": ("截止时间", "Due"),
    "col.waiting": ("已等待", "Waiting"),
    "col.since": ("时间", "When"),
    "due.overdue": ("已超期", "Overdue"),
    "due.left": ("还剩 {n} 个工作日", "{n} working days left"),
    "due.today": ("今日到期", "Due today"),
    "waiting.days": ("{n} 天", "{n} d"),
    "waiting.hours": ("{n} 小时", "{n} h"),
    "waiting.minutes": ("{n} 分钟", "{n} min"),
    "task.case": ("案件", "Case"),
    "task.applicant": ("申请人", "Applicant"),
    "task.started": ("发起时间", "Started"),
    "task.current": ("当前步骤", "Current step"),
    "task.holders": ("办理人", "Held by"),
    "task.timeline": ("审批记录", "Decisions so far"),
    "task.ahead": ("后续步骤", "Steps ahead"),
    "task.decide": ("审批", "Decide"),
    "task.outcome": ("审批意见", "Decision"),
    "task.comment": ("意见说明", "Comment"),
    "task.comment_hint": ("驳回或退回时必填", "Required to reject or return"),
    "task.submit": ("提交", "Submit"),
    "task.closed": ("此任务已办结", "This task is closed"),
    "task.open_link": ("办理", "Open"),
    "outcome.approve": ("同意", "Approve"),
    "outcome.reject": ("驳回", "Reject"),
    "outcome.return": ("退回", "Return"),
    "status.running": ("审批中", "Running"),
    "status.approved": ("已通过", "Approved"),
    "status.rejected": ("已驳回", "Rejected"),
    "status.withdrawn": ("已撤回", "Withdrawn"),
    "status.returned": ("已退回", "Returned"),
    "status.closed": ("已办结", "Closed"),
    "status.failed": ("已停止 (待修复)", "Stopped (awaiting repair)"),
    "status.open": ("待办", "Open"),
    "status.done": ("已办", "Done"),
    "status.cancelled": ("已取消", "Cancelled"),
    "action.submitted": ("提交申请", "submitted"),
    "action.resubmitted": ("重新提交", "resubmitted"),
    "action.decision": ("审批", "decided"),
    "action.withdrawn": ("撤回", "withdrew"),
    "action.urged": ("催办", "urged"),
    "action.claimed": ("认领", "claimed"),
    "action.released": ("释放认领", "released"),
    "type.complaint": ("客户投诉处理", "Customer complaint"),
    "type.credit_collection": ("月末应收账款清收", "Month-end collection"),
    "type.external_trade": ("对外贸易业务", "External trade"),
    "type.register_review": ("客户档案登记簿审查", "Register review"),
    "type.rule_change": ("制度规则变更", "Rule change"),
    "after.decision": (
        "已提交。流程 {subject} 现在：{status}{step}",
        "Submitted. Process {subject} is now: {status}{step}",
    ),
    "after.none": ("没有其他待办", "No other task is waiting"),
    "error.title": ("出错了", "Something went wrong"),
    "error.403": ("无权执行此操作", "You may not do this"),
    "error.404": ("找不到该记录，或您无权查看", "Not found, or not yours to see"),
    "error.409": ("当前状态不允许此操作", "Not possible in the current state"),
    "error.422": ("请检查填写内容", "Please check what you entered"),
    "error.400": ("请求无效", "The request is not valid"),
    "error.401": ("请先登录", "Please sign in first"),
    "error.413": ("提交的内容过大", "What you sent is too large"),
    "error.429": ("操作过于频繁，请稍后再试", "Too many attempts: try again later"),
    "error.500": ("系统出错，请稍后再试", "Something failed on our side: try again later"),
    "error.503": ("审批引擎暂时不可用，请稍后再试", "The approval engine is unavailable, try again"),
    "error.fields": ("请检查填写内容：{fields}", "Please check what you entered: {fields}"),
    "field.outcome": ("审批意见", "the decision"),
    "field.comment": ("意见说明（最多 2000 字）", "the comment (at most 2000 characters)"),
    "field.username": ("用户名（最多 80 字）", "the username (at most 80 characters)"),
    "field.password": ("密码", "the password"),
    "field.locale": ("语言", "the language"),
    "field.next": ("返回页面", "the page to return to"),
    "field.tab": ("标签页", "the tab"),
    "field.cursor": ("翻页位置", "the page position"),
    "field.after": ("流程编号", "the process id"),
    "field.task_id": ("任务编号", "the task id"),
    "field.lang": ("语言", "the language"),
    "error.csrf": ("表单已失效，请刷新页面后重试", "The form has expired: reload the page and try again"),
    "error.back": ("返回工作台", "Back to the workbench"),
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
    # the auditors' pages (web/audit.py)
    "audit.title": ("流程审计", "Process audit"),
    "audit.search": ("查询", "Search"),
    "audit.filter.type": ("流程类型", "Process type"),
    "audit.filter.status": ("状态", "Status"),
    "audit.filter.any": ("全部", "Any"),
    "audit.filter.customer": ("客户名称或统一社会信用代码", "Customer name or credit code"),
    "audit.filter.unit": ("单位代码", "Unit code"),
    "audit.filter.from": ("发起日期自", "Started from"),
    "audit.filter.to": ("发起日期至", "Started to"),
    "audit.filter.overdue": ("仅显示超期", "Overdue only"),
    "audit.export": ("导出 CSV", "Export CSV"),
    "audit.previous": ("上一页", "Previous page"),
    "audit.error.date": ("日期格式应为 YYYY-MM-DD", "A date is written YYYY-MM-DD"),
    "audit.error.status": ("没有这种状态", "No such status"),
    "audit.col.id": ("流程编号", "Process id"),
    "audit.col.type": ("流程类型", "Process type"),
    "audit.col.subject": ("客户 / 事项", "Customer / subject"),
    "audit.col.credit_code": ("统一社会信用代码", "Credit code"),
    "audit.col.status": ("状态", "Status"),
    "audit.col.step": ("当前步骤", "Current step"),
    "audit.col.applicant": ("申请人", "Applicant"),
    "audit.col.unit": ("单位", "Unit"),
    "audit.col.holders": ("办理人", "Held by"),
    "audit.col.started": ("发起时间", "Started"),
    "audit.col.due": ("截止时间", "Due"),
    "audit.col.position": ("序号", "No."),
    "audit.col.at": ("时间", "When"),
    "audit.col.actor": ("办理人", "Who"),
    "audit.col.role": ("角色", "Role"),
    "audit.col.on_behalf_of": ("代理 / 受托于", "On behalf of"),
    "audit.col.action": ("操作", "What"),
    "audit.col.at_step": ("步骤", "Step"),
    "audit.col.outcome": ("结果", "Outcome"),
    "audit.col.reason": ("意见 / 理由", "Why"),
    "audit.col.rules": ("适用规则", "Rules applied"),
    "audit.yes": ("是", "yes"),
    "audit.case": ("审计案卷", "Audit case"),
    "audit.timeline": ("审批与操作记录", "Every decision and action"),
    "audit.rules": ("适用的制度条款", "The regulation articles applied"),
    "audit.no_rules": ("记录中没有列明适用规则", "The record names no rule"),
    "audit.chain": ("审计链校验", "Audit-chain verification"),
    "audit.chain.ok": (
        "校验通过：{rows} 条记录未被修改、删除或调序",
        "Verified: {rows} rows unchanged, none missing or reordered",
    ),
    "audit.chain.broken": ("校验失败", "Verification failed"),
    "audit.chain.auditors": ("仅审计员与管理员可执行校验", "Auditors and administrators run the check"),
    "audit.temporal": ("Temporal 执行历史", "Temporal history"),
    "audit.temporal.kept": ("Temporal 仍保存此流程的执行历史", "Temporal still holds this run's history"),
    "audit.temporal.gone": (
        "Temporal 已删除执行历史（保留期已过）；以上为数据库审计记录",
        "Temporal no longer holds the history (retention); the record above is the database's",
    ),
    "audit.temporal.open": ("在 Temporal UI 中查看", "Open in the Temporal UI"),
    "audit.export_timeline": ("导出记录 CSV", "Export the record as CSV"),
    "audit.export_xlsx": ("导出 Excel", "Export Excel"),
    "audit.export_timeline_xlsx": ("导出记录 Excel", "Export the record as Excel"),
    # the printable approval form (web/approval_form.py)
    "form.title": ("审批单", "Approval form"),
    "form.download": ("打印审批单 (PDF)", "Print the approval form (PDF)"),
    "form.signatures": ("签批记录", "Signatures"),
    "form.no_signatures": ("尚无签批", "Nobody has signed yet"),
    "form.customer": ("客户名称", "Customer"),
    "form.customer_id": ("客户档案号", "Customer file"),
    "form.qr": ("扫码打开本案审计链校验", "Scan to open this case's audit-chain verification"),
    "form.printed": ("打印时间", "Printed"),
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
    # the approver's task page: the case, every task action, bulk approve, bell, search (web/task_actions.py)
    "case.customer": ("客户档案", "Customer"),
    "case.application": ("客户档案（申请中，尚未建档）", "Customer (applied for, no file yet)"),
    "case.name": ("客户名称", "Name"),
    "case.credit_code": ("统一社会信用代码", "Credit code"),
    "case.kind": ("客户类别", "Kind"),
    "case.unit": ("所属单位", "Unit"),
    "case.grade": ("客户等级", "Grade"),
    "case.ungraded": ("尚未评级", "Not graded yet"),
    "case.standing": ("信用状况", "Credit standing"),
    "case.standing_line": (
        "额度 {limit}，可用 {available}，逾期 {overdue} 元 / {days} 天，风险 {risk}",
        "limit {limit}, available {available}, overdue {overdue} / {days} days, risk {risk}",
    ),
    "case.blocked": ("停止赊销 (003 §6)", "credit sales stopped (003 §6)"),
    "case.documents": ("证照资料", "Documents"),
    "case.doc_number": ("编号", "Number"),
    "case.valid_until": ("有效期至", "Valid until"),
    "case.no_expiry": ("长期", "No expiry"),
    "case.expired": ("已过期 ({date})", "Expired ({date})"),
    "case.in_force": ("有效", "In force"),
    "case.no_holder": ("到达时确定", "Decided when the step opens"),
    "action.title": ("其他操作", "Other actions"),
    "action.claim": ("认领", "Claim"),
    "action.claim_hint": (
        "此任务属于 {role} 岗位的所有人，认领后只由您办理",
        "This task is for every {role}: claim it to hold it alone",
    ),
    "action.claimed_by_me": ("您已认领此任务", "You claimed this task"),
    "action.unclaim": ("释放认领", "Release"),
    "action.hand_over": ("委托 / 转办", "Delegate / transfer"),
    "action.to": ("交给 (用户名)", "To (username)"),
    "action.delegate": ("委托 (办后交回我)", "Delegate (comes back to me)"),
    "action.transfer": ("转办", "Transfer"),
    "action.add_signer": ("加签", "Add a signer"),
    "action.signer": ("加签人 (用户名)", "Signer (username)"),
    "action.position": ("加签位置", "Where"),
    "action.position.before": ("前加签 (先由其审批)", "Before me (they decide first)"),
    "action.position.after": ("后加签 (本步骤之后)", "After this step"),
    "action.reason": ("理由", "Reason"),
    "action.note": ("委托 / 转办说明", "Note for the colleague"),
    "action.required": ("必填", "required"),
    "decision.return_to": ("发回步骤（默认发回申请人）", "Send back to (default: the applicant)"),
    "decision.to_applicant": ("申请人", "The applicant"),
    "decision.cc": ("抄送", "Copy to"),
    "decision.cc_hint": ("用户名，以逗号或空格分隔", "usernames, separated by commas or spaces"),
    "field.return_to": ("发回步骤", "send back to"),
    "field.q": ("搜索内容（最多 200 字）", "the search (at most 200 characters)"),
    "field.notification_id": ("通知编号", "the notification"),
    "field.to": ("交给 (用户名，最多 80 字)", "to (a username, at most 80 characters)"),
    "field.signer": ("加签人 (用户名，最多 80 字)", "signer (a username, at most 80 characters)"),
    "field.reason": ("理由（最多 2000 字）", "the reason (at most 2000 characters)"),
    "field.cc": ("抄送 (最多 20 个用户名)", "copy to (at most 20 usernames)"),
    "bulk.select": ("选择", "Select"),
    "bulk.comment": ("批量意见", "Comment for all"),
    "bulk.approve": ("批量同意所选", "Approve the selected"),
    "bulk.title": ("批量审批结果", "Bulk approval results"),
    "bulk.approved": ("已同意", "approved"),
    "bulk.refused": ("未通过：{why}", "refused: {why}"),
    "bulk.none": ("请先勾选要同意的任务", "Tick the tasks to approve first"),
    "bell.title": ("通知", "Notifications"),
    "bell.unread": ("{n} 条未读", "{n} unread"),
    "bell.mark_all": ("全部标为已读", "Mark all as read"),
    "bell.mark_one": ("标为已读", "Mark as read"),
    "search.label": ("客户名称或统一社会信用代码", "Customer name or credit code"),
    "search.submit": ("搜索", "Search"),
    "search.header": ("查找客户或流程", "Find a customer or process"),
    "search.processes": ("流程", "Processes"),
    "search.customers": ("客户", "Customers"),
    "kind.allocation_self_sale": ("配置自销", "Allocation self-sale"),
    "kind.allocation_settlement": ("配置结算", "Allocation settlement"),
    "kind.external_trade": ("外采外销", "External trade"),
    "kind.depot_social": ("油库社会客户", "Depot social customer"),
    "kind.depot_station": ("油库供应加油站", "Station supplied by a depot"),
    "kind.station_prepaid": ("加油站预付款客户", "Station prepaid customer"),
    # the applicant's pages (web/apply.py)
    "nav.apply": ("客户开户申请", "File an onboarding"),
    "apply.onboarding.title": ("配置客户开户申请 (000 §6)", "Onboarding application (000 §6)"),
    "apply.onboarding.checklist": (
        "须提交以下证照（开户证照清单第 {version} 版，今日有效）",
        "The documents below are required (onboarding document list, version {version}, in force today)",
    ),
    "apply.customer": ("客户档案", "Customer card"),
    "apply.field.name": ("客户名称", "Customer name"),
    "apply.field.credit_code": ("统一社会信用代码", "Unified social credit code"),
    "apply.field.kind": ("客户类别", "Customer kind"),
    "apply.field.address": ("地址", "Address"),
    "apply.field.legal_representative": ("法定代表人", "Legal representative"),
    "apply.field.phone": ("电话", "Phone"),
    "apply.field.postcode": ("邮政编码", "Postcode"),
    "apply.field.delegate": ("委托代理人（如有）", "Delegate (if any)"),
    "apply.kind.allocation_self_sale": ("配置自销客户", "Allocation self-sale customer"),
    "apply.kind.allocation_settlement": ("配置结算客户", "Allocation settlement customer"),
    "apply.documents": ("证照", "Documents"),
    "apply.delegate_only": ("仅委托代理人办理时提交", "only when a delegate acts"),
    "apply.doc.number": ("证照编号", "Number"),
    "apply.doc.issuer": ("发证机关", "Issuer"),
    "apply.doc.valid_until": ("有效期至", "Valid until"),
    "apply.doc.stamped": ("复印件加盖公章", "Copy bears the company seal"),
    "apply.doc.original": ("提交原件", "Original handed over"),
    "apply.submit": ("提交申请", "Submit the application"),
    "apply.credit_code.ok": ("统一社会信用代码校验通过", "The credit code is valid"),
    "apply.credit_code.bad": ("统一社会信用代码有误", "The credit code is not valid"),
    "field.credit_code": ("统一社会信用代码（18 位）", "the credit code (18 characters)"),
    "apply.onboarding.declared": ("须提交以下证照（000 §6 所列）", "These documents are required (000 §6)"),
    "apply.correction.title": ("修改并重新提交开户申请 (000 §6)", "Correct and resubmit the onboarding (000 §6)"),
    "apply.correction.comment": ("修改说明", "What was corrected"),
    "apply.comment.too_long": ("修改说明最多 {n} 字", "At most {n} characters"),
    "apply.case.correct": ("修改并重新提交", "Correct and resubmit"),
    "apply.case.actions": ("申请人操作", "The applicant's actions"),
    "apply.case.urge": ("催办", "Urge"),
    "apply.case.urge_comment": ("催办说明（可选）", "Note to the holders (optional)"),
    "apply.case.withdraw": ("撤回申请", "Withdraw the application"),
    "apply.case.withdraw_reason": ("撤回原因", "Why it is withdrawn"),
    "nav.complaint": ("登记客户投诉", "Register a complaint"),
    "apply.complaint.title": ("登记客户投诉 (000 §16)", "Register a customer complaint (000 §16)"),
    "complaint.field.channel": ("投诉渠道", "Channel"),
    "complaint.field.category": ("投诉类别", "Category"),
    "complaint.field.severity": ("严重程度", "Severity"),
    "complaint.field.customer_name": ("客户名称", "Customer name"),
    "complaint.field.description": ("投诉内容", "What the customer complains of"),
    "complaint.field.customer_request": ("客户诉求", "What the customer asks for"),
    "complaint.field.contact": ("联系人及电话", "Contact"),
    "complaint.channel.phone": ("电话", "Phone"),
    "complaint.channel.email": ("电子邮件", "Email"),
    "complaint.channel.online": ("网上", "Online"),
    "complaint.channel.visit": ("来访", "Visit"),
    "complaint.channel.letter": ("来信", "Letter"),
    "complaint.category.product_quality": ("产品质量", "Product quality"),
    "complaint.category.delivery": ("配送", "Delivery"),
    "complaint.category.service_attitude": ("服务态度", "Service attitude"),
    "complaint.category.billing": ("结算开票", "Billing"),
    "complaint.category.other": ("其他", "Other"),
    "complaint.severity.ordinary": ("一般投诉", "Ordinary"),
    "complaint.severity.major": ("较大事件", "Major"),
    "complaint.severity.special": ("特殊情况", "Special"),
    "nav.credit": ("申请信用额度", "Apply for credit"),
    "apply.credit.title": ("客户信用额度申请 (000 §13)", "Credit application (000 §13)"),
    "credit.field.customer_id": ("客户编号", "Customer number"),
    "credit.field.limit": ("申请额度（元）", "Credit limit asked for (yuan)"),
    "credit.field.term_days": ("结算期限（天）", "Payment term (days)"),
    "credit.field.collateral": ("资产抵押或担保", "Collateral or guarantee"),
    "credit.field.reason": ("申请理由", "Why"),
    "credit.field.collector": ("负责回款的业务人员（默认本人）", "Sales clerk who collects (default: you)"),
    "credit.field.organisation_nature": ("企业性质", "Nature of the organisation"),
    "credit.nature.state_owned": ("国有及国有控股", "State-owned"),
    "credit.nature.collective": ("集体", "Collective"),
    "credit.nature.private": ("民营", "Private"),
    "credit.nature.foreign_invested": ("外资、合资", "Foreign-invested"),
    "credit.nature.individual": ("个体工商户", "Individual business"),
    "credit.nature.public_institution": ("机关、事业单位", "Public institution"),
    "credit.paper.registration": ("注册登记", "Registration"),
    "credit.paper.financial_statement": ("财务报表", "Financial statement"),
    "credit.paper_field.title": ("名称", "Title"),
    "credit.paper_field.number": ("编号", "Number"),
    "credit.paper_field.issued_on": ("发证日期", "Issued on"),
    "credit.paper_field.valid_until": ("有效期至", "Valid until"),
    "credit.paper_field.period": ("报表期间", "Period"),
}
# Each document's name: the domain's Chinese title (domain/documents.py), in English here.
MESSAGES.update(
    {
        f"doc.{doc_type.value}": (DOCUMENT_TITLES[doc_type], english)
        for doc_type, english in {
            DocumentType.business_license: "Business licence",
            DocumentType.tax_registration: "Tax registration certificate",
            DocumentType.oil_wholesale_certificate: "Oil wholesale certificate",
            DocumentType.hazardous_chemicals_certificate: "Hazardous chemicals certificate",
            DocumentType.organization_code: "Organisation code certificate",
            DocumentType.bank_account_permit: "Bank account permit",
            DocumentType.general_taxpayer: "VAT general taxpayer status",
            DocumentType.invoicing_info: "Invoicing information",
            DocumentType.legal_rep_id: "Copy of the legal representative's ID",
            DocumentType.power_of_attorney: "Original power of attorney",
            DocumentType.hazardous_chemicals_trading_license: "Hazardous chemicals trading licence",
            DocumentType.fuel_oil_approval: "Fuel oil trading approval (provincial commerce department)",
            DocumentType.invoicing_certificate: "Invoicing certificate",
            DocumentType.invoicing_power_of_attorney: "Invoicing power of attorney",
            DocumentType.oil_business_license: "Oil products business licence",
        }.items()
    }
)

# Every chain the domain declares (the modules the step-deadline rule reads), for its titles: a
# process type's (its first chain's) and each step's. A type no chain declares is in MESSAGES.
_CHAINS = [
    value
    for module in CHAIN_MODULES
    for value in vars(import_module(f"domain.{module}")).values()
    if isinstance(value, ChainSpec)
]
TYPE_TITLES: dict[str, str] = {}
STEP_TITLES: dict[tuple[str, str], str] = {}
for _chain in _CHAINS:
    TYPE_TITLES.setdefault(_chain.process_type, _chain.title)
    for _step in _chain.steps:
        STEP_TITLES.setdefault((_chain.process_type, _step.key), _step.title)

_BILINGUAL = re.compile(r"\s+(?=[A-Za-z][\x00-\x7f]*$)")  # "营销业务部资质审核 Qualification review"


def bilingual(title: str) -> tuple[str, str]:
    """A domain title declared as "中文 English" split in two (either half the whole when undeclared)."""
    parts = _BILINGUAL.split(title, maxsplit=1)
    return (parts[0], parts[1]) if len(parts) == 2 else (title, title)


class Messages:
    """The words of one page in one language."""

    def __init__(self, locale: str | None) -> None:
        self.locale = locale if locale in LOCALES else DEFAULT
        self._index = LOCALES.index(self.locale)

    def t(self, key: str, **values: object) -> str:
        text = MESSAGES[key][self._index]
        return text.format(**values) if values else text

    def pick(self, title: str) -> str:
        return bilingual(title)[self._index]

    def error(self, status: int) -> str:
        """What a refusal of this HTTP status means; a status without words of its own as a failure (500)."""
        key = f"error.{status}"
        return self.t(key if key in MESSAGES else ("error.500" if status >= 500 else "error.400"))

    def fields(self, names: list[str]) -> str:
        """The fields a form or an address got wrong, named in words ("请检查填写内容：意见说明…")."""
        named = [self.t(f"field.{name}") if f"field.{name}" in MESSAGES else name for name in names]
        return self.t("error.fields", fields=", ".join(dict.fromkeys(named)))

    def status(self, status: str) -> str:
        key = f"status.{status}"
        return self.t(key) if key in MESSAGES else status

    def action(self, action: str) -> str:
        """A history line's action (domain/history.py); one not in the table by its own word."""
        key = f"action.{action}"
        return self.t(key) if key in MESSAGES else action

    def outcome(self, outcome: str | None) -> str:
        key = f"outcome.{outcome}"
        return self.t(key) if key in MESSAGES else (outcome or "")

    def process_type(self, process_type: str) -> str:
        if process_type in TYPE_TITLES:
            return self.pick(TYPE_TITLES[process_type])
        key = f"type.{process_type}"
        return self.t(key) if key in MESSAGES else process_type

    def step(self, process_type: str, step: str | None) -> str:
        """A step's declared title; a step of no declared chain (e.g. a complaint stage) by its key."""
        if step is None:
            return ""
        title = STEP_TITLES.get((process_type, step))
        return self.pick(title) if title else step

    def role(self, role: str) -> str:
        if role not in Role.__members__:
            return role
        return ROLE_TITLES[Role(role)] if self.locale == "zh" else role.replace("_", " ")

    def holder(self, holder: str) -> str:
        """`role@unit`, a role, or a username (domain.models.holder_of)."""
        role, _, unit = holder.partition("@")
        return f"{self.role(role)} ({unit})" if unit else self.role(role)

    @staticmethod
    def when(moment: datetime | None) -> str:
        return in_china(moment).strftime("%Y-%m-%d %H:%M") if moment is not None else ""

    def waited(self, since: datetime, now: datetime) -> str:
        minutes = max(0, int((now - in_china(since)).total_seconds() // 60))
        if minutes >= 24 * 60:
            return self.t("waiting.days", n=minutes // (24 * 60))
        if minutes >= 60:
            return self.t("waiting.hours", n=minutes // 60)
        return self.t("waiting.minutes", n=minutes)

    def kind(self, kind: str) -> str:
        """A customer's kind (domain.models.CustomerKind) in words."""
        key = f"kind.{kind}"
        return self.t(key) if key in MESSAGES else kind

    def document(self, doc_type: str) -> str:
        """A document's title (domain.documents.DOCUMENT_TITLES); in English its key in words."""
        if doc_type not in DocumentType.__members__:
            return doc_type
        return DOCUMENT_TITLES[DocumentType(doc_type)] if self.locale == "zh" else doc_type.replace("_", " ")
