"""Every input has a name a screen reader reads (issue 23 "Acceptance": labels on every input): each
GET page of the web app, rendered over ASGI for a user who may open it, on SQLite and PostgreSQL;
every input, select and textarea it holds (hidden inputs and buttons aside) is named by a
`<label for=its id>`, by a `<label>` around it, or by `aria-label` / `aria-labelledby`.

Reading chosen: a `<label>` wrapping its control labels it as `for=` does (HTML's implicit label; the
browser's `control.labels` counts both, tests/browser/test_layout_in_chromium.py asks the browser).
The pages come from the app's routes: a new page without an entry in PAGES fails here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.api.test_authorization_matrix import TABLE, WebPage
from tests.support import Api, random_credit_code
from tests.web.pages_support import Browser, signed_in
from tests.web.test_apply_credit_resubmit import filed_and_returned
from tests.web.test_apply_trade_payment import deal_at_payment
from tests.web.test_apply_visits import approved_visit
from tests.workflows.test_borrowing import a_customer
from tests.workflows.test_credit_application import new_customer as credit_customer
from tests.workflows.test_grading import new_customer as visited_customer

pytestmark = pytest.mark.asyncio(loop_scope="session")

# Not pages a person reads: files downloaded (the exports, the printable form).
FILES = {
    "/audit/export.{fmt}",
    "/dashboard/overdue.{fmt}",
    "/audit/processes/{process_id}/timeline.{fmt}",
    "/audit/processes/{process_id}/form.pdf",
}

# path -> (the user who opens it, the address with its records: {task}, {process}, {returned}, {code},
# {credit} a returned credit application, {deal} a trade deal at its payment stage, {visit} an approved
# visit to report, {customer} a depot's customer file)
PAGES: dict[str, tuple[str | None, str]] = {
    "/login": (None, "/login"),
    "/": ("marketing_reviewer", "/"),
    "/tasks/{task_id}": ("marketing_reviewer", "/tasks/{task}"),
    "/dashboard": ("marketing_manager", "/dashboard"),
    "/audit": ("auditor", "/audit"),
    "/audit/processes/{process_id}": ("auditor", "/audit/processes/{process}"),
    "/admin/calendar": ("admin", "/admin/calendar"),
    "/admin/users": ("admin", "/admin/users"),
    "/admin/users/{username}": ("admin", "/admin/users/sales_clerk"),
    "/admin/units": ("admin", "/admin/units"),
    "/notifications": ("sales_clerk", "/notifications"),
    "/notifications/bell": ("sales_clerk", "/notifications/bell"),
    "/search": ("sales_clerk", "/search?q=郑州"),
    "/apply/onboarding": ("sales_clerk", "/apply/onboarding"),
    "/apply/credit-code": ("sales_clerk", "/apply/credit-code?credit_code={code}"),
    "/apply/onboarding/{process_id}/resubmit": ("sales_clerk", "/apply/onboarding/{returned}/resubmit"),
    "/apply/cases/{process_id}": ("sales_clerk", "/apply/cases/{process}"),
    "/apply/complaint": ("sales_clerk", "/apply/complaint"),
    "/apply/credit": ("sales_clerk", "/apply/credit"),
    "/apply/credit/{process_id}/resubmit": ("sales_clerk", "/apply/credit/{credit}/resubmit"),
    "/apply/borrowing": ("depot_manager_b", "/apply/borrowing?customer={customer}"),
    "/apply/unit-customer": ("depot_manager", "/apply/unit-customer"),
    "/apply/visit-plan": ("sales_clerk", "/apply/visit-plan"),  # the approved visit listed to report
    "/apply/visits/{visit_id}/report": ("sales_clerk", "/apply/visits/{visit}/report"),
    "/apply/trade": ("sales_clerk", "/apply/trade"),
    "/apply/trade/{process_id}/payment": ("sales_clerk", "/apply/trade/{deal}/payment"),
    "/settings/notifications": ("admin", "/settings/notifications"),  # with the list of the others' settings
}

CONTROLS = {"input", "select", "textarea"}
NOT_LABELLED = {"hidden", "submit", "button", "reset", "image"}  # hidden, or named by their own value


@dataclass
class Control:
    tag: str
    attrs: dict[str, str]
    in_label: bool


class Labels(HTMLParser):
    """The controls of a page and the ids its `<label for=...>` name."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[Control] = []
        self.label_for: set[str] = set()
        self.open_labels = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "label":
            self.open_labels += 1
            if values.get("for"):
                self.label_for.add(values["for"])
        elif tag in CONTROLS and values.get("type", "text") not in NOT_LABELLED:
            self.controls.append(Control(tag, values, self.open_labels > 0))

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self.open_labels = max(0, self.open_labels - 1)

    def unlabelled(self) -> list[str]:
        return [
            f"<{c.tag} {c.attrs}>"
            for c in self.controls
            if not (
                c.in_label
                or c.attrs.get("id", "") in self.label_for
                or c.attrs.get("aria-label")
                or c.attrs.get("aria-labelledby")
            )
        ]


def unlabelled(page: str) -> list[str]:
    parser = Labels()
    parser.feed(page)
    return parser.unlabelled()


async def test_the_parser_finds_an_unlabelled_input() -> None:
    """The check itself can fail: a control named by nothing is reported, each way of naming it is not."""
    assert unlabelled('<label for="a">A</label><input id="a"><input id="b" name="b">') == [
        "<input {'id': 'b', 'name': 'b'}>"
    ]
    assert unlabelled('<label>C <input name="c"></label><select aria-label="D"></select>') == []
    assert unlabelled('<input type="hidden" name="csrf_token"><textarea aria-labelledby="h"></textarea>') == []


async def test_every_get_page_has_an_entry() -> None:
    pages = {path for (method, path), entry in TABLE.items() if method == "GET" and isinstance(entry.rule, WebPage)}
    missing = sorted(pages - FILES - PAGES.keys() - {"/login"})
    assert missing == [], f"pages without an entry in PAGES (who opens them, at which address): {missing}"


async def test_every_input_of_every_page_has_a_label(
    api: Api, browsers: list[Browser], sessions: async_sessionmaker[AsyncSession]
) -> None:
    filed, returned = await api.submit(), await api.submit()
    assert filed.status_code == 201 and returned.status_code == 201, (filed.text, returned.text)
    process, back = filed.json()["process_id"], returned.json()["process_id"]
    assert (await api.decide("marketing_reviewer", back, "return", "补充开票信息")).status_code == 200
    task = (await api.task_for("marketing_reviewer", process))["task_id"]
    # The applicants' forms that need a record: made as their own tests make them (tests/web/test_apply_*).
    clerk = await signed_in(api, browsers, "sales_clerk")
    credit = await filed_and_returned(api, clerk, (await credit_customer(sessions)).customer_id, "请补充担保材料")
    visit = await approved_visit(api, clerk, sessions, (await visited_customer(sessions, datetime.now(UTC))).id)
    deal = await deal_at_payment(api)  # the longest: a tender's bidding time and the deal's steps (about 10 s)
    records = {
        "task": task,
        "process": process,
        "returned": back,
        "code": random_credit_code(),
        "credit": credit,
        "deal": deal,
        "visit": visit,
        "customer": (await a_customer(sessions, "DEPOT-ZZ")).id,
    }

    signed: dict[str | None, Browser] = {"sales_clerk": clerk}
    for path, (username, address) in PAGES.items():
        if username not in signed:
            signed[username] = await signed_in(api, browsers, username) if username else Browser(api)
            if username is None:
                browsers.append(signed[username])
        page = await signed[username].get(address.format(**records))
        assert page.status_code == 200, (path, username, page.status_code)
        assert "text/html" in page.headers["content-type"], path
        assert unlabelled(page.text) == [], path
