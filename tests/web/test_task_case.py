"""The approver's task page shows the whole case (issue 23 "Approvers"): the customer card with its
documents and their validity (an expired one in red, with its date), and who holds each seat of
the steps ahead — as the right user, never to the wrong one. Both databases, real Temporal."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.services.task_case import customer_card
from api.services.users import find_actor
from api.visibility import viewer_for
from db.models import CustomerDocument, Process
from tests.activities.test_credit_store import make_credit_customer
from tests.inbox_support import add_user
from tests.support import Api, application
from tests.web.approver_support import filed, open_task
from tests.web.pages_support import Browser, open_browser, signed_in
from web.i18n import Messages
from web.render import templates

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def filed_with_an_expired_extra(api: Api) -> tuple[str, dict[str, object], str]:
    """An onboarding whose required documents are in force, with an extra document already expired."""
    body = application()
    lapsed = (date.today() - timedelta(days=3)).isoformat()
    body["documents"].append(  # type: ignore[attr-defined]
        {"type": "fuel_oil_approval", "number": "SWT-2023-77", "issuer": "河南省商务厅", "valid_until": lapsed}
    )
    return await filed(api, body), body, lapsed


async def test_the_task_page_shows_the_customer_card_and_who_holds_the_seats_ahead(
    api: Api, browsers: list[Browser], sessions: async_sessionmaker[AsyncSession]
) -> None:
    pid, body, lapsed = await filed_with_an_expired_extra(api)
    task = await open_task(sessions, pid)
    reviewer = await signed_in(api, browsers, "marketing_reviewer")
    page = (await reviewer.get(f"/tasks/{task.task_id}")).text
    customer = body["customer"]
    assert isinstance(customer, dict)
    assert 'id="customer-card"' in page and "客户档案（申请中，尚未建档）" in page
    assert customer["credit_code"] in page and "配置自销" in page and "尚未评级" in page
    assert "营业执照" in page and "NO-BUSINE-001" in page  # the documents, by their Chinese titles
    # the lapsed one in red, with its date; the others in force
    assert f'<span class="error" data-expired="{lapsed}">已过期 ({lapsed})</span>' in page
    assert page.count('class="expired"') == 1 and "有效" in page
    # the chain ahead names the people who hold its seats today
    ahead = page.split('class="ahead"', 1)[1].split("</ol>", 1)[0]
    for holder in ("finance_reviewer", "business_vp", "general_manager"):
        assert holder in ahead

    # in English, as a colleague of the same role (the demo reviewer's own language is left alone)
    english = await signed_in(api, browsers, await add_user(sessions, "marketing_reviewer", unit="MKT"))
    await english.post("/locale", {"locale": "en", "next": "/"})
    shown = (await english.get(f"/tasks/{task.task_id}")).text
    assert "Customer (applied for, no file yet)" in shown and f"Expired ({lapsed})" in shown
    assert "business license" in shown and "Allocation self-sale" in shown


async def test_the_wrong_user_sees_no_card(
    api: Api, browsers: list[Browser], sessions: async_sessionmaker[AsyncSession]
) -> None:
    pid, body, _ = await filed_with_an_expired_extra(api)
    task = await open_task(sessions, pid)
    other = open_browser(api, browsers)
    await other.sign_in("station_manager_b")
    hidden = await other.get(f"/tasks/{task.task_id}")
    customer = body["customer"]
    assert isinstance(customer, dict)
    assert hidden.status_code == 404 and customer["credit_code"] not in hidden.text
    assert "customer-card" not in hidden.text


async def test_a_filed_customer_card_has_its_grade_credit_standing_and_a_lapsed_document(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """A case about a customer on file: the file's card (grade, credit standing) and its documents,
    read through api/visibility — the wrong unit's manager gets no card at all."""
    customer_id = await make_credit_customer(sessions, unit="DEPOT-ZZ", limit=Decimal("100000.00"), grade="A")
    lapsed = date.today() - timedelta(days=10)
    async with sessions.begin() as session:
        session.add(
            CustomerDocument(customer_id=customer_id, type="business_license", number="ZZ-LAPSED-1", valid_until=lapsed)
        )
    process = Process(process_id="not-stored", process_type="grading", customer_id=customer_id, unit_code="DEPOT-ZZ")
    async with sessions() as session:
        manager = await viewer_for(session, await find_actor(session, "depot_manager"))
        card = await customer_card(session, manager, process)
        assert card is not None and card.filed and card.grade == "A" and card.unit_code == "DEPOT-ZZ"
        assert card.standing is not None and card.standing.limit == Decimal("100000.00")
        assert [(d.number, d.expired, d.valid_until) for d in card.documents] == [("ZZ-LAPSED-1", True, lapsed)]
        shown = templates.get_template("_case_card.html").render(m=Messages("en"), card=card)
        assert "limit 100000.00" in shown and "risk Low" in shown and f"Expired ({lapsed.isoformat()})" in shown
        other = await viewer_for(session, await find_actor(session, "depot_manager_b"))
        assert await customer_card(session, other, process) is None


async def test_after_a_resubmission_the_card_shows_the_corrected_application(
    api: Api, browsers: list[Browser], sessions: async_sessionmaker[AsyncSession]
) -> None:
    pid, body, lapsed = await filed_with_an_expired_extra(api)
    assert (await api.decide("marketing_reviewer", pid, "return", "燃料油批文已过期, 请更新")).status_code == 200
    renewed = (date.today() + timedelta(days=200)).isoformat()
    documents = body["documents"]
    assert isinstance(documents, list)
    documents[-1] = {**documents[-1], "number": "SWT-2026-01", "valid_until": renewed}
    again = await api.post(
        f"/api/v1/onboarding/{pid}/resubmit", "sales_clerk", json=body, params={"comment": "已更新批文"}
    )
    assert again.status_code == 200, again.text
    task = await open_task(sessions, pid)
    reviewer = await signed_in(api, browsers, "marketing_reviewer")
    card = (await reviewer.get(f"/tasks/{task.task_id}")).text.split('id="customer-card"', 1)[1]
    card = card.split("</section>", 1)[0]
    assert "SWT-2026-01" in card and renewed in card
    assert "SWT-2023-77" not in card and 'class="expired"' not in card
