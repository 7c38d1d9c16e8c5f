"""Everyone's bell and search box (issue 23 "Everyone"): the unread count in the header, the
latest notifications, marking one or all read (per user: a role's notification is read by each
holder on their own); searching a customer's name or credit code finds the processes and
customers the user may read, and nothing for the wrong user. Both databases, real Temporal."""

from __future__ import annotations

import asyncio
import re

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import Notification, NotificationRead
from tests.inbox_support import add_user
from tests.support import Api, application, random_credit_code
from tests.web.pages_support import Browser, signed_in

pytestmark = pytest.mark.asyncio(loop_scope="session")
APPROVERS = ("marketing_reviewer", "finance_reviewer", "business_vp", "general_manager")


def unread_in(bell: str) -> int:
    found = re.search(r'data-unread="(\d+)"', bell)
    return int(found[1]) if found else 0


async def notes_of(sessions: async_sessionmaker[AsyncSession], process_id: str) -> list[int]:
    async with sessions() as session:
        return list(await session.scalars(select(Notification.id).where(Notification.process_id == process_id)))


async def test_the_bell_counts_unread_and_marks_read_per_user(
    api: Api, browsers: list[Browser], sessions: async_sessionmaker[AsyncSession]
) -> None:
    reviewer_name = await add_user(sessions, "marketing_reviewer", unit="MKT")
    reviewer = await signed_in(api, browsers, reviewer_name)
    workbench = await reviewer.get("/")
    assert 'hx-get="/notifications/bell"' in workbench.text and 'id="search-q"' in workbench.text
    before = unread_in((await reviewer.get("/notifications/bell")).text)

    filed = await api.submit()
    assert filed.status_code == 201, filed.text
    pid = filed.json()["process_id"]
    urged = await api.post(f"/api/v1/processes/{pid}/urge", "sales_clerk", json={"comment": "客户等着提货"})
    assert urged.status_code == 200, urged.text
    new = await notes_of(sessions, pid)
    assert new, "催办 notifies the reviewers"
    bell = await reviewer.get("/notifications/bell")
    assert bell.status_code == 200 and "<html" not in bell.text
    assert unread_in(bell.text) == before + len(new)
    listing = await reviewer.get("/notifications")
    assert f'<li class="unread" data-notification="{new[0]}">' in listing.text

    # the wrong user marks it: nothing recorded, and they do not see it
    stranger = await signed_in(api, browsers, "station_manager_b")
    await stranger.get("/notifications")
    assert f'data-notification="{new[0]}"' not in (await stranger.get("/notifications")).text
    assert (await stranger.post("/notifications/read", {"notification_id": str(new[0])})).status_code == 303
    async with sessions() as session:
        read = select(NotificationRead.username).where(NotificationRead.notification_id == new[0])
        marks = await session.scalars(read)
        assert list(marks) == []

    one = await reviewer.post("/notifications/read", {"notification_id": str(new[0])})
    assert one.status_code == 303 and one.headers["location"] == "/notifications"
    assert unread_in((await reviewer.get("/notifications/bell")).text) == before + len(new) - 1
    assert f'<li class="read" data-notification="{new[0]}">' in (await reviewer.get("/notifications")).text

    # a colleague of the same role still has it unread: read marks are per user
    colleague = await signed_in(api, browsers, await add_user(sessions, "marketing_reviewer", unit="MKT"))
    assert f'<li class="unread" data-notification="{new[0]}">' in (await colleague.get("/notifications")).text

    await reviewer.get("/notifications")
    # "mark all" twice at once (a double click): both fine, each notification marked once
    both = await asyncio.gather(reviewer.post("/notifications/read", {}), reviewer.post("/notifications/read", {}))
    assert [r.status_code for r in both] == [303, 303]
    assert unread_in((await reviewer.get("/notifications/bell")).text) == 0


async def test_search_by_credit_code_or_name_finds_what_the_user_may_read(
    api: Api, browsers: list[Browser], sessions: async_sessionmaker[AsyncSession]
) -> None:
    code = random_credit_code()
    name = f"洛阳检索测试石化有限公司{code[-4:]}"
    filed = await api.submit(body=application(code, name=name))
    assert filed.status_code == 201, filed.text
    pid = filed.json()["process_id"]
    for approver in APPROVERS:
        decided = await api.decide(approver, pid, "approve", "同意")
        assert decided.status_code == 200, decided.text
    clerk = await signed_in(api, browsers, "sales_clerk")
    by_code = await clerk.get("/search", params={"q": code.lower()})
    assert by_code.status_code == 200
    assert f'data-process="{pid}"' in by_code.text and 'id="found-customers"' in by_code.text and code in by_code.text
    by_name = await clerk.get("/search", params={"q": name[2:8]})
    assert f'data-process="{pid}"' in by_name.text and name in by_name.text

    stranger = await signed_in(api, browsers, "station_manager_b")
    hidden = await stranger.get("/search", params={"q": code})
    assert hidden.status_code == 200 and pid not in hidden.text and name not in hidden.text
    assert 'id="found-processes"' not in hidden.text and 'id="found-customers"' not in hidden.text
    assert (await stranger.get("/search", params={"q": "x" * 201})).status_code == 422
