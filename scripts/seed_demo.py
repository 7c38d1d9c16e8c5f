"""Demo data for the embedded default: organisational units and one user per role (password `demo`).

Refuses to run outside demo mode, so production never gets well-known passwords.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.security import hash_password
from db.models import OrgUnit, User, UserRole
from db.session import make_engine, make_sessionmaker
from domain.roles import DEMO_ROLES, ROLE_TITLES, Role
from scripts.demo_records import add_credit_customers
from settings import DEMO_PASSWORD, get_settings

# (code, name, kind, parent, head): the head is the unit's leader, who decides leader-chain steps.
UNITS: tuple[tuple[str, str, str, str | None, str | None], ...] = (
    ("HQ", "河南延长石油销售有限公司", "company", None, "general_manager"),
    ("MKT", "营销业务部", "department", "HQ", "marketing_manager"),
    ("FIN", "财务资产部", "department", "HQ", "chief_accountant"),
    ("LEGAL", "法务部门", "department", "HQ", "legal_reviewer"),
    ("TECH", "技术部", "department", "HQ", "technical_dept"),
    ("PROD", "生产部", "department", "HQ", "production_dept"),
    ("AUDIT", "审计监督小组", "department", "HQ", "auditor"),
    ("DEPOT-ZZ", "郑州油库营业室", "depot", "HQ", "depot_manager"),
    ("STATION-ZZ01", "郑州一号加油站", "station", "HQ", "station_manager"),
    ("DEPOT-KF", "开封油库营业室", "depot", "HQ", "depot_manager_b"),
    ("STATION-KF01", "开封一号加油站", "station", "HQ", "station_manager_b"),
)

UNIT_OF_ROLE: dict[Role, str] = {
    Role.sales_clerk: "MKT",
    Role.marketing_reviewer: "MKT",
    Role.marketing_manager: "MKT",
    Role.finance_reviewer: "FIN",
    Role.chief_accountant: "FIN",
    Role.legal_reviewer: "LEGAL",
    Role.technical_dept: "TECH",
    Role.production_dept: "PROD",
    Role.auditor: "AUDIT",
    Role.depot_manager: "DEPOT-ZZ",
    Role.station_manager: "STATION-ZZ01",
}

# (username, role, full name, unit): the leadership meeting is a collective body, not a person;
# its secretary records the meeting's decisions with date, attendees and minutes (000 §7 (四)).
DEMO_USERS: tuple[tuple[str, Role, str, str], ...] = (
    *((role.value, role, f"演示 {ROLE_TITLES[role]}", UNIT_OF_ROLE.get(role, "HQ")) for role in DEMO_ROLES),
    ("leadership_secretary", Role.leadership_meeting, "领导班子会议记录", "HQ"),
    # A second depot and station, so that "another unit" can be tried (000 §5 分级实施).
    ("depot_manager_b", Role.depot_manager, "演示 开封油库营业室经理", "DEPOT-KF"),
    ("station_manager_b", Role.station_manager, "演示 开封一号加油站", "STATION-KF01"),
)


async def seed(sessions: async_sessionmaker[AsyncSession], password: str = DEMO_PASSWORD) -> int:
    """Create what is missing; returns how many users were added (0 on a second run)."""
    added = 0
    hashed = hash_password(password)
    async with sessions.begin() as session:
        for code, name, kind, parent, head in UNITS:
            if await session.get(OrgUnit, code) is None:
                session.add(OrgUnit(code=code, name=name, kind=kind, parent_code=parent, head=head))
                await session.flush()
        for username, role, full_name, unit in DEMO_USERS:
            existing = await session.scalar(select(User).where(User.username == username))
            if existing is not None:
                existing.is_demo = True  # a database seeded before the flag existed
                continue
            session.add(
                User(
                    username=username,
                    full_name=full_name,
                    password_hash=hashed,
                    unit_code=unit,
                    is_demo=True,
                    created_at=datetime.now(UTC),
                    roles=[UserRole(role=role.value)],
                )
            )
            added += 1
    return added


async def main() -> None:
    settings = get_settings()
    if not settings.demo_mode:
        sys.exit("demo users exist only in demo mode (APP_ENV=demo)")
    engine = make_engine(settings.database_url)
    try:
        sessions = make_sessionmaker(engine)
        added = await seed(sessions)
        customers = await add_credit_customers(sessions)  # `make run` only: tests call seed() alone
    finally:
        await engine.dispose()
    print(
        f"demo data ready: {added} users and {customers} customers on credit added; "
        f"every demo user's password is '{DEMO_PASSWORD}'"
    )


if __name__ == "__main__":
    asyncio.run(main())
