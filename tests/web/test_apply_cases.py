"""An applicant's case on the web (issue 23, "Applicants") over the real app, a real worker and the
Temporal dev server, on SQLite and PostgreSQL: where it stands and who holds it, urge and withdraw
through the API's services, a returned onboarding corrected from the form pre-filled with what was
filed; the wrong user gets the 404 page or a refusal, and a refusal changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import Api, application, random_credit_code
from tests.web.pages_support import Browser, signed_in
from tests.web.test_apply_pages import clerk, form_of

pytestmark = pytest.mark.asyncio(loop_scope="session")
P = "/api/v1/processes"


async def filed(api: Api, body: dict[str, Any] | None = None) -> str:
    response = await api.submit(body=body)
    assert response.status_code == 201, response.text
    process_id: str = response.json()["process_id"]
    return process_id


async def state(api: Api, process_id: str) -> dict[str, Any]:
    found: dict[str, Any] = (await api.get(f"{P}/{process_id}", "auditor")).json()
    return found


async def actions(api: Api, process_id: str) -> list[tuple[str, str]]:
    history = (await api.get(f"{P}/{process_id}/history", "auditor")).json()
    return [(e["actor"], e["action"]) for e in history]


async def test_my_case_says_where_it_stands_and_who_holds_it(api: Api, browsers: list[Browser]) -> None:
    process_id = await filed(api)
    browser = await clerk(api, browsers)
    mine = await browser.get("/?tab=mine")
    assert f'href="/apply/cases/{process_id}"' in mine.text
    case = await browser.get(f"/apply/cases/{process_id}")
    assert case.status_code == 200 and "郑州华豫石化贸易有限公司" in case.text
    assert "营销业务部资质审核" in case.text and "营销业务部 (资质审核)" in case.text  # the step, who holds it
    assert 'id="withdraw-case"' in case.text and 'id="urge-case"' in case.text

    reviewer = await signed_in(api, browsers, "marketing_reviewer")  # reads the case, files nothing in it
    seen = await reviewer.get(f"/apply/cases/{process_id}")
    assert seen.status_code == 200 and 'id="withdraw-case"' not in seen.text
    stranger = await signed_in(api, browsers, "depot_manager_b")  # another unit (DEPOT-KF)
    hidden = await stranger.get(f"/apply/cases/{process_id}")
    assert hidden.status_code == 404 and "找不到该记录" in hidden.text and "郑州华豫" not in hidden.text


async def test_urge_then_withdraw_and_the_refusals_change_nothing(api: Api, browsers: list[Browser]) -> None:
    process_id = await filed(api)
    browser = await clerk(api, browsers)
    await browser.get(f"/apply/cases/{process_id}")
    urged = await browser.post(f"/apply/cases/{process_id}/urge", {"comment": "客户等着提货"})
    assert urged.status_code == 303 and urged.headers["location"] == f"/apply/cases/{process_id}"
    assert ("sales_clerk", "urged") in await actions(api, process_id)
    again = await browser.post(f"/apply/cases/{process_id}/urge", {})  # once per the chain's interval
    assert again.status_code == 409 and 'id="error-urge"' in again.text
    assert [a for a in await actions(api, process_id) if a == ("sales_clerk", "urged")] == [("sales_clerk", "urged")]

    no_reason = await browser.post(f"/apply/cases/{process_id}/withdraw", {"reason": ""})
    assert no_reason.status_code == 422 and "理由" in no_reason.text
    reviewer = await signed_in(api, browsers, "marketing_reviewer")
    await reviewer.get(f"/apply/cases/{process_id}")
    not_theirs = await reviewer.post(f"/apply/cases/{process_id}/withdraw", {"reason": "不是我的申请"})
    assert not_theirs.status_code == 403 and 'id="error-withdraw"' in not_theirs.text
    assert (await state(api, process_id))["status"] == "running"

    withdrawn = await browser.post(f"/apply/cases/{process_id}/withdraw", {"reason": "客户决定暂缓合作"})
    assert withdrawn.status_code == 303
    assert (await state(api, process_id))["status"] == "withdrawn"
    case = await browser.get(f"/apply/cases/{process_id}")
    assert "已撤回" in case.text and 'id="withdraw-case"' not in case.text


async def test_a_returned_onboarding_is_corrected_from_what_was_filed(api: Api, browsers: list[Browser]) -> None:
    code = random_credit_code()
    process_id = await filed(api, application(code))
    returned = await api.decide("marketing_reviewer", process_id, "return", "电话有误, 请更正")
    assert returned.status_code == 200, returned.text
    browser = await clerk(api, browsers)
    case = await browser.get(f"/apply/cases/{process_id}")
    assert 'id="correct-case"' in case.text and "电话有误" in case.text

    form_url = f"/apply/onboarding/{process_id}/resubmit"
    form = await browser.get(form_url)
    assert form.status_code == 200 and f'value="{code}"' in form.text and 'value="0371-65550000"' in form.text
    assert 'value="NO-BUSINE-001"' in form.text and f'action="{form_url}"' in form.text
    reviewer = await signed_in(api, browsers, "marketing_reviewer")
    assert (await reviewer.get(form_url)).status_code == 403
    stranger = await signed_in(api, browsers, "depot_manager_b")
    assert (await stranger.get(form_url)).status_code == 404

    corrected = form_of(application(code)) | {"phone": "0371-65551111", "comment": "已更正电话"}
    lacking = {key: value for key, value in corrected.items() if not key.startswith("legal_rep_id-")}
    refused = await browser.post(form_url, lacking)
    assert refused.status_code == 422 and 'id="error-legal_rep_id"' in refused.text
    assert 'value="0371-65551111"' in refused.text  # the form as typed
    assert (await state(api, process_id))["status"] == "returned"

    resubmitted = await browser.post(form_url, corrected)
    assert resubmitted.status_code == 303, resubmitted.text
    now = await state(api, process_id)
    assert (now["status"], now["current_step"]) == ("running", "marketing_review")
    history = (await api.get(f"{P}/{process_id}/history", "auditor")).json()
    assert [e["comment"] for e in history if e["action"] == "resubmitted"] == ["已更正电话"]
    assert 'value="0371-65551111"' in (await browser.get(form_url)).text  # what was filed last
