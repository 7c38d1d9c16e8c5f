"""The managers' dashboard page (issue 23 "Managers") over the real app, on SQLite and PostgreSQL:
the figures as tables (readable without script), the charts' canvases and the scripts that draw
them — every one served by the app itself, the vendored Chart.js among them —, the header link only
for those who may open it, the other unit's figures never shown, a clerk refused."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from openpyxl import load_workbook
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.dashboard_support import World, build_world
from tests.inbox_support import Rows, add_unit, add_user, api_without_temporal
from tests.web.pages_support import Browser
from web.dashboard import OVERDUE_SHOWN

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest_asyncio.fixture(loop_scope="session")
async def world(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[World]:
    rows = Rows(sessions)
    yield await build_world(sessions, rows)
    await rows.close_all()


@pytest_asyncio.fixture(loop_scope="session")
async def browser(sessions: async_sessionmaker[AsyncSession], database_url: str) -> AsyncIterator[Browser]:
    async with api_without_temporal(sessions, database_url) as api:
        opened = Browser(api)
        yield opened
        await opened.close()


def table(page: str, key: str) -> list[list[str]]:
    """The body rows of one figure's table, as the cells' text."""
    found = re.search(rf'<table id="table-{key}"[^>]*>.*?<tbody>(.*?)</tbody>', page, re.S)
    assert found, f"no table {key}"
    return [re.findall(r"<td[^>]*>(.*?)</td>", row, re.S) for row in re.findall(r"<tr>(.*?)</tr>", found[1], re.S)]


async def test_the_dashboard_shows_the_figures_as_tables_and_charts(browser: Browser, world: World) -> None:
    await browser.sign_in(world.manager_a)
    workbench = await browser.get("/")
    assert 'href="/dashboard"' in workbench.text  # the header links to it for a manager
    response = await browser.get("/dashboard")
    assert response.status_code == 200, response.text
    page = response.text
    overdue = table(page, "overdue")
    assert [world.unit_a, world.kind, "review", "2"] in overdue
    assert all(world.unit_b not in row for row in overdue)  # the other depot's never
    assert [[world.kind, "3"]] == [row for row in table(page, "open-cases") if row[0] == world.kind]
    assert table(page, "complaints") == [["3", "2", "1", "50.0%"]]
    assert table(page, "grades") == [["A", "1"], ["C", "2"]]
    assert table(page, "risks") == [["低", "1"], ["高", "1"], ["无信用额度 (先款后货)", "1"]]
    assert [world.kind, "review", "3", "20.0 小时"] in table(page, "decision-times")
    for key in ("open-cases", "overdue", "decision-times", "complaints", "grades", "risks"):
        assert f'<canvas id="chart-{key}"' in page
    assert "本单位" in page and world.unit_a in page  # whose figures these are


async def test_every_script_and_stylesheet_is_served_by_the_app(browser: Browser, world: World) -> None:
    await browser.sign_in(world.auditor)
    page = (await browser.get("/dashboard")).text
    sources = re.findall(r'<script[^>]* src="([^"]+)"', page) + re.findall(r'<link[^>]* href="([^"]+)"', page)
    assert "/static/vendor/chartjs/chart.umd.js" in sources and "/static/dashboard.js" in sources
    for source in sources:
        assert source.startswith("/") and not source.startswith("//"), source  # same origin, no CDN
        served = await browser.get(source)
        assert served.status_code == 200, source
    chart = (await browser.get("/static/vendor/chartjs/chart.umd.js")).text
    assert chart.startswith("/*!\n * Chart.js v4.")
    assert "全公司" in page


async def test_a_clerk_sees_no_link_and_is_refused(browser: Browser, world: World) -> None:
    await browser.sign_in(world.clerk_a)
    assert 'href="/dashboard"' not in (await browser.get("/")).text
    response = await browser.get("/dashboard")
    assert response.status_code == 403
    assert "000 §5" in response.text and 'id="table-' not in response.text


async def test_the_dashboard_needs_a_sign_in(browser: Browser) -> None:
    response = await browser.get("/dashboard")
    assert response.status_code == 303 and response.headers["location"] == "/login"


async def test_the_dashboard_in_english(browser: Browser, world: World) -> None:
    await browser.sign_in(world.manager_b)
    switched = await browser.post("/locale", {"locale": "en", "next": "/dashboard"})
    assert switched.status_code == 303 and switched.headers["location"] == "/dashboard"
    page = (await browser.get("/dashboard")).text
    assert "Overdue tasks by unit and step" in page and "Active customers by credit risk" in page
    assert table(page, "risks") == [["Low", "1"]] and table(page, "complaints") == [["1", "1", "1", "100.0%"]]
    assert [world.unit_b, world.kind, "review", "1"] in table(page, "overdue")


async def busy_depot(sessions: async_sessionmaker[AsyncSession], rows: Rows, kind: str) -> tuple[str, str]:
    """A fresh depot (and its manager) with more late-task groups than the page lists: 30 steps late
    once each, and `step-00` late three times, so it heads the list."""
    unit = await add_unit(sessions, "HQ", "depot")
    manager = await add_user(sessions, "depot_manager", unit=unit)
    case = (await rows.process(process_type=kind, unit_code=unit)).process_id
    for step in [f"step-{n:02d}" for n in range(30)] + ["step-00", "step-00"]:
        await rows.task(process_id=case, process_type=kind, step=step, unit_code=unit, overdue=True)
    return unit, manager


async def test_the_page_lists_the_most_late_groups_and_the_files_hold_every_one(
    browser: Browser, world: World, sessions: async_sessionmaker[AsyncSession]
) -> None:
    rows = Rows(sessions)
    unit, manager = await busy_depot(sessions, rows, world.kind)
    try:
        await browser.sign_in(manager)
        page = (await browser.get("/dashboard")).text
        listed = table(page, "overdue")
        assert len(listed) == OVERDUE_SHOWN and listed[0] == [unit, world.kind, "step-00", "3"]
        more = re.search(r'<p class="more" id="more-overdue">(.*?)</p>', page, re.S)
        assert more and "共 30 组 32 项" in more[1], page
        assert '<table id="table-overdue" aria-describedby="more-overdue">' in page  # read with the table
        assert 'href="/dashboard/overdue.csv"' in more[1] and 'href="/dashboard/overdue.xlsx"' in more[1]
        csv = await browser.get("/dashboard/overdue.csv")
        assert csv.status_code == 200 and csv.headers["content-disposition"] == 'attachment; filename="overdue.csv"'
        lines = csv.content.decode("utf-8-sig").splitlines()
        assert lines[0] == "单位,流程类型,步骤,数量" and lines[1] == f"{unit},{world.kind},step-00,3", lines[:2]
        assert len(lines) == 31 and all(line.startswith(f"{unit},") for line in lines[1:])  # theirs, all of them
        book = load_workbook(io.BytesIO((await browser.get("/dashboard/overdue.xlsx")).content))
        assert book.active is not None and book.active.max_row == 31
        # the other depot's manager: none of these, in the page or the file
        await browser.sign_in(world.manager_a)
        assert unit not in (await browser.get("/dashboard")).text
        assert unit not in (await browser.get("/dashboard/overdue.csv")).content.decode("utf-8-sig")
        # a depot with few late groups lists them all and offers no files
        assert 'id="more-overdue"' not in (await browser.get("/dashboard")).text
    finally:
        await rows.close_all()


async def test_a_clerk_cannot_download_the_late_tasks(browser: Browser, world: World) -> None:
    await browser.sign_in(world.clerk_a)
    response = await browser.get("/dashboard/overdue.csv")
    assert response.status_code == 403 and "000 §5" in response.text
    assert "attachment" not in response.headers.get("content-disposition", "")
    await browser.post("/logout", {})
    assert (await browser.get("/dashboard/overdue.xlsx")).status_code == 303
