"""The correction of a returned credit application (issue 23, "Applicants"; 000 §13) over the real
app, a real worker and the Temporal dev server, on SQLite and PostgreSQL: the form starts from what
was filed (the workflow's `filed` query), is resubmitted through the API's own service, a refusal
stands beside its field with nothing changed, and only the applicant corrects it."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.support import Api
from tests.web.pages_support import Browser, signed_in
from tests.web.test_apply_credit import credit
from tests.workflows.test_credit_application import new_customer

pytestmark = pytest.mark.asyncio(loop_scope="session")
P = "/api/v1/processes"


async def state(api: Api, process_id: str) -> dict[str, Any]:
    return dict((await api.get(f"{P}/{process_id}", "auditor")).json())


async def filed_and_returned(api: Api, clerk: Browser, customer_id: int, reason: str) -> str:
    """A credit application filed from the web, returned to its applicant by finance at the joint review."""
    await clerk.get("/apply/credit")
    filed = await clerk.post("/apply/credit", credit(customer_id))
    assert filed.status_code == 303, filed.text
    process_id = filed.headers["location"].rsplit("=", 1)[1]
    returned = await api.decide("finance_reviewer", process_id, "return", reason)
    assert returned.status_code == 200 and returned.json()["status"] == "returned", returned.text
    return process_id


async def test_a_returned_credit_application_is_corrected_from_what_was_filed(
    api: Api, browsers: list[Browser], sessions: async_sessionmaker[AsyncSession]
) -> None:
    customer = await new_customer(sessions)
    clerk = await signed_in(api, browsers, "sales_clerk")
    process_id = await filed_and_returned(api, clerk, customer.customer_id, "请补充担保材料")

    case = await clerk.get(f"/apply/cases/{process_id}")
    form_url = f"/apply/credit/{process_id}/resubmit"
    assert f'href="{form_url}"' in case.text and "请补充担保材料" in case.text
    form = await clerk.get(form_url)
    assert form.status_code == 200 and f'action="{form_url}"' in form.text
    for as_filed in ("房产抵押", "300000.00", "年度资产负债表"):
        assert f'value="{as_filed}"' in form.text

    corrected = credit(customer.customer_id) | {"collateral": "房产抵押及法人担保", "comment": "已补充担保"}
    too_long = await clerk.post(form_url, corrected | {"comment": "补" * 2001})
    assert too_long.status_code == 422 and 'id="error-comment"' in too_long.text
    invalid = await clerk.post(form_url, corrected | {"term_days": "400"})
    assert invalid.status_code == 422 and 'id="error-term_days"' in invalid.text
    assert 'value="房产抵押及法人担保"' in invalid.text  # the form as typed
    other_customer = await clerk.post(form_url, corrected | {"customer_id": str(customer.customer_id + 1)})
    assert other_customer.status_code in (404, 422) and 'id="error-form"' in other_customer.text
    assert (await state(api, process_id))["status"] == "returned"

    resubmitted = await clerk.post(form_url, corrected)
    assert resubmitted.status_code == 303, resubmitted.text
    now = await state(api, process_id)
    assert (now["status"], now["current_step"]) == ("running", "joint_review")
    history = (await api.get(f"{P}/{process_id}/history", "auditor")).json()
    assert [e["comment"] for e in history if e["action"] == "resubmitted"] == ["已补充担保"]
    assert 'value="房产抵押及法人担保"' in (await clerk.get(form_url)).text  # what was filed last


async def test_only_the_applicant_corrects_it_and_nothing_changes(
    api: Api, browsers: list[Browser], sessions: async_sessionmaker[AsyncSession]
) -> None:
    customer = await new_customer(sessions)
    clerk = await signed_in(api, browsers, "sales_clerk")
    process_id = await filed_and_returned(api, clerk, customer.customer_id, "请补充")
    form_url = f"/apply/credit/{process_id}/resubmit"
    reviewer = await signed_in(api, browsers, "finance_reviewer")  # returned it and reads it; did not file it
    assert (await reviewer.get(form_url)).status_code == 403
    assert (await reviewer.post(form_url, credit(customer.customer_id))).status_code == 403
    stranger = await signed_in(api, browsers, "station_manager_b")  # another unit's user: no such case
    assert (await stranger.get(form_url)).status_code == 404
    assert (await stranger.post(form_url, credit(customer.customer_id))).status_code == 404
    assert (await clerk.post(form_url, credit(customer.customer_id), csrf=False)).status_code == 403
    assert (await state(api, process_id))["status"] == "returned"
