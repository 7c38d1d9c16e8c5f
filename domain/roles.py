"""Roles of the organisation (REGULATIONS.md "Organisation and roles"; 000 §4-§5, 001 credit §3, 003)."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    sales_clerk = "sales_clerk"
    marketing_reviewer = "marketing_reviewer"
    marketing_manager = "marketing_manager"
    finance_reviewer = "finance_reviewer"
    business_vp = "business_vp"
    general_manager = "general_manager"
    chief_accountant = "chief_accountant"
    leadership_meeting = "leadership_meeting"
    legal_reviewer = "legal_reviewer"
    depot_manager = "depot_manager"
    station_manager = "station_manager"
    technical_dept = "technical_dept"
    production_dept = "production_dept"
    auditor = "auditor"
    admin = "admin"


ROLE_TITLES: dict[Role, str] = {
    Role.sales_clerk: "业务员 / 营销业务部经办",
    Role.marketing_reviewer: "营销业务部 (资质审核)",
    Role.marketing_manager: "营销业务部经理",
    Role.finance_reviewer: "财务资产部",
    Role.business_vp: "业务副总 / 主管副总经理",
    Role.general_manager: "总经理",
    Role.chief_accountant: "总会计师",
    Role.leadership_meeting: "公司领导班子会议",
    Role.legal_reviewer: "法务部门",
    Role.depot_manager: "油库营业室经理",
    Role.station_manager: "加油站",
    Role.technical_dept: "技术部",
    Role.production_dept: "生产部",
    Role.auditor: "审计 / 监督小组",
    Role.admin: "系统管理员",
}

# Roles that may read every process and its history (003 §7: supervision reads everything).
OVERSIGHT_ROLES = frozenset({Role.auditor, Role.admin})
# Issue 24 §1: who the codec server (web/codec.py) opens sealed Temporal payloads for — those who
# already read every process and its history in the app (003 §7), so the Temporal UI shows them
# nothing they could not read here; and who may seal a payload for the UI or CLI to send into a
# workflow — the administrator alone (an auditor reads, never acts).
PAYLOAD_READERS = OVERSIGHT_ROLES
PAYLOAD_SEALERS = frozenset({Role.admin})

# Roles held per unit (000 §5 分级实施): a task for one of them, in a unit-scoped step, carries the
# process's unit; head-office roles in the same step (finance in a joint review) are not scoped.
UNIT_SCOPED_ROLES = frozenset({Role.depot_manager, Role.station_manager})

# The competent department for complaints reads every complaint: marketing owns them and serious
# ones go to the business VP at once (000 §16; REGULATIONS.md P7).
COMPLAINT_DESK = frozenset({Role.marketing_reviewer, Role.marketing_manager, Role.business_vp})

# Head-office marketing (the archive's custodian) and finance read every customer file; anyone else
# reads the files of their own unit and the units below it (003 §2, 004 §3). A clerk is not of this
# desk: they read the files they look after (000 §10; api/visibility/ `looked_after_by`).
CUSTOMER_DESK = frozenset(
    {Role.marketing_reviewer, Role.marketing_manager, Role.finance_reviewer, Role.chief_accountant}
)

# Roles that file applications on behalf of customers (000 §6: the clerk collects documents).
APPLICANT_ROLES = frozenset({Role.sales_clerk})

# Demo accounts: one per role; the leadership meeting is a collective body whose secretary records
# its decisions (the `leadership_secretary` demo user, see scripts/seed_demo.py).
DEMO_ROLES: tuple[Role, ...] = tuple(r for r in Role if r is not Role.leadership_meeting)

# Who reads the credit lists (over the limit, by risk): finance and marketing, who grant and watch
# credit (000 §13 营销、财务资产部门), the leaders who approve it (001 §3), and oversight (issue 12 §1).
CREDIT_DESK = frozenset(
    {
        Role.finance_reviewer,
        Role.chief_accountant,
        Role.marketing_reviewer,
        Role.marketing_manager,
        Role.business_vp,
        Role.general_manager,
        Role.auditor,
        Role.admin,
    }
)

# Who opens the managers' dashboard (issue 23 "Managers"): the managers (marketing, depot, station),
# the leaders above them (000 §4: business VP, general manager, chief accountant) and the auditors
# (003 §7). Reading chosen: the system administrator keeps the system, not the business, so is not
# among them; the leadership meeting is a body whose secretary records minutes, not a manager.
DASHBOARD_READERS = frozenset(
    {
        Role.marketing_manager,
        Role.depot_manager,
        Role.station_manager,
        Role.business_vp,
        Role.general_manager,
        Role.chief_accountant,
        Role.auditor,
    }
)
# Of them, the head-office managers, the leaders and the auditors see the whole company's figures;
# a depot or station manager those of their unit and the units below it (000 §5 分级实施).
DASHBOARD_COMPANY_WIDE = DASHBOARD_READERS - UNIT_SCOPED_ROLES
