"""The words of the applicant's further forms (web/apply_unit_customer.py, apply_borrowing.py,
apply_visits.py): key -> (中文, English)."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    # depot and station customers (000 §8, §9)
    "nav.unit_customer": ("油库/加油站客户申请", "Depot or station customer"),
    "apply.unit_customer.title": ("油库、加油站客户资信申请 (000 §8, §9)", "Depot or station customer (000 §8, §9)"),
    "apply.unit_customer.intro": (
        "油库营业室申报社会客户及在本库提油的加油站 (000 §8)，加油站申报预付款客户 (000 §9)；只能为本单位申报。",
        "A depot office files social customers and stations buying from it (000 §8); a gas station files "
        "prepaid customers (000 §9); a unit files for itself only.",
    ),
    "apply.kind.depot_social": ("油库社会客户", "Depot social customer"),
    "apply.kind.depot_station": ("在油库提油的加油站", "Gas station buying at the depot"),
    "apply.kind.station_prepaid": ("加油站预付款客户", "Station prepaid customer"),
    "unit_customer.field.unit": ("申报单位（油库或加油站代码）", "Filing unit (depot or station code)"),
    "unit_customer.field.prepaid": ("先款后货（预付款客户）", "Payment before goods (prepaid customer)"),
    "unit_customer.taxpayer": ("国税局一般纳税人资格查询 (000 §8 (一))", "Tax-bureau taxpayer check (000 §8 (一))"),
    "unit_customer.taxpayer.checked_by": ("查询人", "Checked by"),
    "unit_customer.taxpayer.checked_at": ("查询时间（北京时间）", "Checked at (China time)"),
    "unit_customer.taxpayer.source": ("查询渠道", "Source queried"),
    "unit_customer.taxpayer.reference": ("查询回执或网址", "Reply, reference or address"),
    "unit_customer.taxpayer.general_taxpayer": ("查询结果", "Result"),
    "unit_customer.answer.none": ("（未查询）", "(not checked)"),
    "unit_customer.answer.true": ("是一般纳税人", "A general taxpayer"),
    "unit_customer.answer.false": ("不是一般纳税人", "Not a general taxpayer"),
    "unit_customer.vat": (
        "增值税专用发票证明单（需开专用发票时填写, 000 §9 (二)）",
        "VAT special-invoice certificate (when the customer wants them, 000 §9 (二))",
    ),
    "unit_customer.vat.invoice_title": ("开票名称", "Invoice title"),
    "unit_customer.vat.taxpayer_id": ("纳税人识别号", "Taxpayer number"),
    "unit_customer.vat.address_phone": ("地址、电话", "Address and phone"),
    "unit_customer.vat.bank_account": ("开户行及账号", "Bank and account"),
    "unit_customer.list.depot_social": ("社会客户", "social customer"),
    "unit_customer.list.depot_station": ("在库提油加油站", "station at the depot"),
    "unit_customer.list.station_vat": ("需开专用发票", "VAT invoices"),
    # file borrowing (002 rule 1, 004 §3)
    "nav.borrowing": ("借阅客户档案", "Borrow a customer file"),
    "apply.borrowing.title": ("客户档案借阅申请 (002 第一条)", "Borrow a customer file (002 rule 1)"),
    "apply.borrowing.intro": (
        "借阅须经本部门领导批准，外单位人员还须经理批准并持单位介绍信；查阅他单位档案须财务部门同意 (004 §3)。",
        "Your department leader approves; an outsider's reading also the manager, with their unit's "
        "introduction letter; reading another unit's file needs finance's consent (004 §3).",
    ),
    "borrowing.field.purpose": ("借阅用途", "Purpose"),
    "borrowing.field.return_by": ("归还日期", "Returned by"),
    "borrowing.outsider": ("外单位查阅人（代外单位人员申请时填写）", "Outsider reading it (when you file for one)"),
    "borrowing.outsider.name": ("查阅人", "Reader"),
    "borrowing.outsider.organisation": ("工作单位", "Organisation"),
    "borrowing.outsider.introduction_letter": ("单位介绍信编号及日期", "Introduction letter (number and date)"),
    # visit plans and reports (000 §12, 002 rule 7)
    "nav.visit_plan": ("拜访计划", "Visit plan"),
    "apply.visit_plan.title": ("下月客户拜访计划 (000 §12)", "Next month's visit plan (000 §12)"),
    "apply.visit_plan.intro": (
        "月底前报下月拜访计划，经营销部经理批准；拜访后两个工作日内填写拜访报告 (002 第七条)。",
        "Plan next month's visits before the month ends, for the marketing manager's approval; report each "
        "visit within two working days (002 rule 7).",
    ),
    "visit.field.month": ("计划月份", "Month"),
    "visit.row": ("拜访 {n}", "Visit {n}"),
    "visit.field.planned_on": ("计划日期", "Planned on"),
    "visit.field.purpose": ("拜访目的", "Purpose"),
    "visit.more_rows": ("增加拜访行", "More rows"),
    "visit.to_report": ("待填写的拜访报告", "Visits to report"),
    "visit.none_to_report": ("暂无待填写的拜访报告", "No visit awaits its report"),
    "apply.visit_report.title": ("客户拜访报告 (002 第七条)", "Visit report (002 rule 7)"),
    "visit.field.visited_on": ("拜访日期", "Visited on"),
    "visit.field.summary": ("拜访情况", "What was discussed"),
    "visit.field.findings": ("发现的问题、需求及竞争信息", "Problems, needs, competitor news"),
    # external trade: the partner's credit application (000 §7 (四))
    "nav.trade": ("外采外销客户申请", "External-trade partner"),
    "apply.trade.title": ("外采外销客户资信申请 (000 §7 (四))", "External-trade partner application (000 §7 (四))"),
    "apply.trade.intro": (
        "营销部门报送合作单位资信资料，经营销审查、主管副总审核及公司领导班子集体决策后招标 (000 §7)。",
        "Marketing files the partner's credit file; after marketing's review, the business VP's and the "
        "leadership meeting's collective decision, the tender opens (000 §7).",
    ),
    "trade.partner": ("合作单位档案", "Partner card"),
    "trade.field.business_scope": (
        "经营范围（经营石脑油须明确列明）",
        "Business scope (must name naphtha for naphtha)",
    ),
    "trade.field.ownership": ("企业性质", "Ownership"),
    "trade.ownership.state_owned": ("国有企业", "State-owned"),
    "trade.ownership.state_controlled": ("国有控股企业", "State-controlled"),
    "trade.ownership.private": ("其他企业", "Other"),
    "trade.field.direction": ("业务方向", "Direction"),
    "trade.direction.purchase": ("外采", "Purchase"),
    "trade.direction.sale": ("外销", "Sale"),
    "trade.field.products": ("经营品种", "Products"),
    "trade.product.refined_oil": ("成品油", "Refined oil"),
    "trade.product.fuel_oil": ("燃料油", "Fuel oil"),
    "trade.product.naphtha": ("石脑油", "Naphtha"),
    "trade.field.purpose": ("拟开展业务（品种、数量、期限）", "Intended business (goods, volume, period)"),
    "trade.field.co_handlers": (
        "协办人（营销部门同事用户名，逗号分隔）",
        "Co-handlers (marketing usernames, comma-separated)",
    ),
    "trade.fuel_oil_only": ("仅燃料油", "fuel oil only"),
    # the correction of a returned credit application (000 §13)
    "apply.credit.correction_title": (
        "修改并重新提交信用额度申请 (000 §13)",
        "Correct and resubmit the credit application (000 §13)",
    ),
    # a payment approval form on a deal (000 §7 (八))
    "apply.trade_payment.title": ("填写付款审批单 (000 §7 (八))", "File a payment approval form (000 §7 (八))"),
    "trade_payment.field.amount": ("付款金额（元）", "Amount (yuan)"),
    "trade_payment.field.due_date": ("付款日期", "Due on"),
    "trade_payment.field.bank_name": ("收款开户行", "Payee's bank"),
    "trade_payment.field.bank_account": ("收款账号（须与客户档案一致）", "Payee's account (as on the customer's file)"),
    "trade_payment.field.instalment_note": ("分期说明", "Instalment note"),
}
