"""The payment approval form of a deal (issue 23, "Applicants"; 000 §7 (八)) over the real app, a real
worker and the Temporal dev server, on SQLite and PostgreSQL: filed by the deal's handler through
the API's own service once the title has passed, refusals beside their fields with nothing filed,
the wrong user refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests import trade_support as data
from tests.api.test_trade_api import _BIDS, deal_state, ok, today, wait_for_stage
from tests.support import Api
from tests.web.pages_support import Browser, signed_in

pytestmark = pytest.mark.asyncio(loop_scope="session")
BIDDING_SECONDS = 4


async def deal_at_payment(api: Api) -> str:
    """A deal through the partner review, the tender, the award, the contract and the title transfer
    (the path of tests/api/test_trade_api.py), waiting for its first payment form."""
    started = await api.post("/api/v1/trade", "sales_clerk", json=data.trade_application())
    pid = str((await ok(started, 201))["process_id"])
    meeting = data.leadership(today())

    async def reviewed() -> None:
        await ok(await api.decide("marketing_reviewer", pid, "approve", "资质齐全"))
        await ok(await api.decide("business_vp", pid, "approve", "同意上会"))
        await ok(await api.post(f"/api/v1/trade/{pid}/leadership-decision", "leadership_secretary", json=meeting))

    await reviewed()
    deadline = datetime.now(UTC) + timedelta(seconds=BIDDING_SECONDS)
    await ok(await api.post(f"/api/v1/trade/{pid}/tender", "sales_clerk", json=data.tender(deadline)))
    for name, amount, ownership in _BIDS:
        await ok(await api.post(f"/api/v1/trade/{pid}/bids", "sales_clerk", json=data.bid(name, amount, ownership)))
    await wait_for_stage(api, pid, "evaluation")
    await ok(await api.post(f"/api/v1/trade/{pid}/evaluation", "sales_clerk", json={"rationale": "国有控股优先"}))
    await reviewed()  # the winner is reviewed before the award (000 §7 (四))
    await ok(await api.decide("business_vp", pid, "approve", "同意定标"))
    await ok(await api.post(f"/api/v1/trade/{pid}/contract", "sales_clerk", json=data.contract("30000000.00")))
    await ok(await api.decide("legal_reviewer", pid, "approve", "合规"))
    await ok(await api.post(f"/api/v1/trade/{pid}/contract/sign", "sales_clerk", json=data.signing(today())))
    await ok(await api.post(f"/api/v1/trade/{pid}/title-transfer", "sales_clerk", json=data.title_transfer(today())))
    return pid


def payment(amount: str = "18000000.00", **more: str) -> dict[str, str]:
    return {key: str(value) for key, value in data.payment_form(amount, today()).items()} | more


async def payments_of(api: Api, pid: str) -> list[Any]:
    return list((await deal_state(api, pid))["payments"])


async def test_a_payment_form_is_filed_on_the_deal_through_the_apis_service(api: Api, browsers: list[Browser]) -> None:
    clerk = await signed_in(api, browsers, "sales_clerk")
    early = await api.post("/api/v1/trade", "sales_clerk", json=data.trade_application())
    early_pid = (await ok(early, 201))["process_id"]
    await clerk.get(f"/apply/trade/{early_pid}/payment")
    too_early = await clerk.post(f"/apply/trade/{early_pid}/payment", payment("1.00"))
    assert too_early.status_code == 409 and 'id="error-form"' in too_early.text
    assert await payments_of(api, early_pid) == []

    pid = await deal_at_payment(api)
    form_url = f"/apply/trade/{pid}/payment"
    assert f'href="{form_url}"' in (await clerk.get(f"/apply/cases/{pid}")).text
    page = await clerk.get(form_url)
    assert page.status_code == 200 and 'for="bank_account"' in page.text
    over = await clerk.post(form_url, payment("30000000.01"))
    assert over.status_code == 422 and 'id="error-amount"' in over.text and "outstanding" in over.text
    elsewhere = await clerk.post(form_url, payment(bank_account="6222 0000 1111 2222"))
    assert elsewhere.status_code == 422 and 'id="error-bank_account"' in elsewhere.text
    invalid = await clerk.post(form_url, payment("-1", instalment_note="付" * 501))
    assert (
        invalid.status_code == 422
        and 'id="error-amount"' in invalid.text
        and 'id="error-instalment_note"' in invalid.text
    )
    assert 'value="6222 0000 1111 2222"' in elsewhere.text  # the form as typed
    assert await payments_of(api, pid) == []

    stranger = await signed_in(api, browsers, "marketing_manager")  # marketing, but the deal names them not
    assert (await stranger.get(form_url)).status_code == 404
    assert (await stranger.post(form_url, payment())).status_code == 404
    finance = await signed_in(api, browsers, "finance_reviewer")  # approves payment forms, files none
    assert (await finance.get(form_url)).status_code == 403
    assert (await finance.post(form_url, payment())).status_code == 403
    assert (await clerk.post(form_url, payment(), csrf=False)).status_code == 403
    assert await payments_of(api, pid) == []

    filed = await clerk.post(form_url, payment())
    assert filed.status_code == 303, filed.text
    [form] = await payments_of(api, pid)
    assert form["amount"] == "18000000.00"
    assert (await api.task_for("finance_reviewer", pid)) is not None  # finance audits it next
