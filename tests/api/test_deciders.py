"""No process without a decider (issue 20 item 11, 000 §5-§6): a seat only the applicant holds goes
one level up; a filing nobody could ever decide is refused with 422 and starts nothing. Real API,
worker and Temporal dev server, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select, update

from activities.process_store import step_facts, unit_path
from api.security import hash_password
from db.models import OrgUnit, Process, User, UserRole
from domain.approvals import CHAINS, CUSTOMER_CHANGE_DEPOT_CHAIN, CUSTOMER_CHANGE_STATION_CHAIN, ChainSpec
from domain.deciders import Undecidable, seated_chain
from domain.models import Actor
from domain.roles import Role
from tests.api.test_depot_station_customers import depot_application, station_application
from tests.support import Api

pytestmark = pytest.mark.asyncio(loop_scope="session")

P = "/api/v1"


async def test_a_depot_manager_filing_for_their_own_depot_goes_to_the_head_above(api: Api) -> None:
    body = depot_application("DEPOT-ZZ")
    response = await api.post(f"{P}/depot-customers", "depot_manager", json=body)
    assert response.status_code == 201, response.text
    answer = response.json()
    # Nobody else manages DEPOT-ZZ: the head of the unit above (HQ: the general manager) decides.
    assert (answer["current_step"], answer["holders"]) == ("depot_manager_review", ["general_manager"])
    process_id = answer["process_id"]
    assert (await api.get(f"{P}/tasks", "depot_manager", params={"process_id": process_id})).json()["items"] == []
    decided = await api.decide("general_manager", process_id, "approve", "代油库审查: 资料齐全")
    assert decided.status_code == 200, decided.text
    assert decided.json()["status"] == "approved" and decided.json()["customer_id"] is not None


async def test_a_station_manager_filing_a_vat_customer_keeps_finance_in_the_review(api: Api) -> None:
    response = await api.post(f"{P}/station-customers", "station_manager", json=station_application())
    assert response.status_code == 201, response.text
    answer = response.json()
    assert (answer["current_step"], answer["holders"]) == ("joint_review_above", ["general_manager"])
    process_id = answer["process_id"]
    step = await api.decide("general_manager", process_id, "approve", "代加油站审核")
    assert (step.json()["current_step"], step.json()["holders"]) == ("joint_review", ["finance_reviewer"])
    final = await api.decide("finance_reviewer", process_id, "approve", "开票资料齐全")
    assert final.status_code == 200, final.text
    assert final.json()["status"] == "approved"


async def test_a_filing_nobody_could_decide_is_refused_and_starts_nothing(api: Api, sessions: Any) -> None:
    """A depot with no unit above and no other manager: its manager's own filing has no decider."""
    tag = uuid.uuid4().hex[:6].upper()
    unit, manager = f"DEPOT-LONE-{tag}", f"lone_manager_{tag.lower()}"
    async with sessions.begin() as session:
        session.add(OrgUnit(code=unit, name="孤立油库", kind="depot", parent_code=None, head=manager))
        await session.flush()
        session.add(
            User(
                username=manager,
                full_name="孤立油库经理",
                password_hash=hash_password("demo"),
                unit_code=unit,
                created_at=datetime.now(UTC),
                roles=[UserRole(role=Role.depot_manager.value)],
            )
        )
    body = depot_application(unit)
    response = await api.post(f"{P}/depot-customers", manager, json=body)
    assert response.status_code == 422, response.text
    detail = str(response.json()["detail"])
    assert "depot_manager_review" in detail and "000 §5" in detail and "could never be decided" in detail
    async with sessions() as session:
        started = await session.scalar(
            select(func.count()).select_from(Process).where(Process.subject_key == body["customer"]["credit_code"])
        )
    assert started == 0
    # Once someone else manages the depot, the same filing starts.
    async with sessions.begin() as session:
        session.add(
            User(
                username=f"deputy_{tag.lower()}",
                full_name="副经理",
                password_hash=hash_password("demo"),
                unit_code=unit,
                created_at=datetime.now(UTC),
                roles=[UserRole(role=Role.depot_manager.value)],
            )
        )
    again = await api.post(f"{P}/depot-customers", manager, json=body)
    assert again.status_code == 201, again.text
    assert again.json()["holders"] == [f"depot_manager@{unit}"]


# Who may file each chain (the routes' filer roles) and the unit the process acts for.
FILERS: list[tuple[ChainSpec, tuple[str, ...], str | None]] = [
    (CHAINS["onboarding"], ("sales_clerk",), None),
    (CHAINS["depot_customer"], ("sales_clerk", "depot_manager"), "DEPOT-ZZ"),
    (CHAINS["depot_customer"], ("sales_clerk", "depot_manager_b"), "DEPOT-KF"),
    (CHAINS["station_vat_customer"], ("sales_clerk", "station_manager"), "STATION-ZZ01"),
    (CHAINS["station_prepaid_customer"], ("sales_clerk", "station_manager_b"), "STATION-KF01"),
    (CHAINS["prepaid_top_up"], ("sales_clerk", "station_manager", "depot_manager"), "STATION-ZZ01"),
    (CHAINS["customer_change"], ("sales_clerk", "marketing_reviewer", "marketing_manager"), None),
    (CUSTOMER_CHANGE_DEPOT_CHAIN, ("sales_clerk",), "DEPOT-ZZ"),
    (CUSTOMER_CHANGE_STATION_CHAIN, ("sales_clerk",), "STATION-ZZ01"),
    (CHAINS["customer_destruction"], ("sales_clerk", "marketing_reviewer"), None),
    (CHAINS["borrowing"], ("depot_manager", "station_manager", "finance_reviewer", "sales_clerk"), None),
]


async def actor(session: Any, username: str) -> Actor:
    user = await session.scalar(select(User).where(User.username == username))
    assert user is not None
    return Actor(username=username, roles=[Role(r.role) for r in user.roles], unit=user.unit_code)


@pytest.mark.parametrize(("chain", "filers", "unit"), FILERS, ids=lambda v: getattr(v, "title", None))
async def test_every_seat_of_every_chain_has_a_decider_other_than_its_filer(
    sessions: Any, chain: ChainSpec, filers: tuple[str, ...], unit: str | None
) -> None:
    """Each filer's chain, as it would start: every step has someone other than the applicant
    (a holder of its role in scope, or the head a lone seat moved up to)."""
    async with sessions() as session:
        for username in filers:
            applicant = await actor(session, username)
            path = await unit_path(session, unit or applicant.unit)
            try:
                seated = seated_chain(chain, username, await step_facts(session, chain, applicant, path))
            except Undecidable as refused:
                pytest.fail(f"{username} cannot file {chain.process_type}: {refused}")
            for step, facts in zip(seated.steps, await step_facts(session, seated, applicant, path), strict=True):
                if step.named:
                    assert step.signers and username not in step.signers, (username, step.key)
                else:
                    assert all(facts.others[role] for role in step.seat_roles), (username, step.key)


async def test_a_deal_only_its_filer_could_review_is_refused_at_filing(sessions: Any) -> None:
    """A deal's chains are the workflow's own, so no seat of them moves: when the filer is the only
    marketing reviewer left, the filing is refused (422) instead of starting a deal nobody reviews."""
    from api.errors import Invalid
    from api.starts import with_deciders
    from domain.trade_models import TradeApplication, TradeInput
    from tests import trade_support as data

    async with sessions() as session:
        application = TradeApplication.model_validate(data.trade_application())
        start = TradeInput(application=application, applicant=await actor(session, "marketing_reviewer"))
        colleague = User(
            username=f"colleague_{uuid.uuid4().hex[:8]}",
            full_name="同事",
            password_hash="-",
            unit_code="MKT",
            created_at=datetime.now(UTC),
            roles=[UserRole(role=Role.marketing_reviewer.value)],
        )
        session.add(colleague)  # everything here is rolled back at the end
        await session.flush()
        assert await with_deciders("ExternalTrade", start, session) is start  # a colleague reviews it
        others = (
            update(User)
            .where(User.username != "marketing_reviewer")
            .where(User.id.in_(select(UserRole.user_id).where(UserRole.role == Role.marketing_reviewer.value)))
            .values(is_active=False)
        )
        await session.execute(others)  # the other reviewers, as if gone
        with pytest.raises(Invalid) as refused:
            await with_deciders("ExternalTrade", start, session)
        assert "marketing_credit_review" in str(refused.value.detail) and "000 §5" in str(refused.value.detail)
        await session.rollback()
