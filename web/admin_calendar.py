"""The working-day calendar as a month grid (issue 23, administrators): `/admin/calendar?year=&month=`
shows every day as a working day, a weekend, a holiday or a make-up working day (调休), with the
source and note of every day that is not ordinary; an administrator changes one day with the form
under it (`POST /admin/calendar/days`, CSRF), which is PUT /api/v1/calendar/days/{day}
(api/services/calendar.py: the same change, the same audit line, the same re-planning of provisional
deadlines).

`chinesecalendar` knows the official schedules up to `official_last_year()`; a later year is known
only once an administrator entered its schedule (PUT /api/v1/calendar/years/{year}). Until then the
page says so above the grid and marks every day of that year: it counts weekends only, and every
deadline falling in it is provisional (domain/calendar.py).

Reading chosen for who sees it: every signed-in user may read the calendar (as GET
/api/v1/calendar/days), only administrators change it (as PUT /api/v1/calendar/days/{day})."""

from __future__ import annotations

import calendar as month_calendar
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, Field

from activities.calendar import load_calendar
from api.deps import SessionDep, TemporalDep
from api.errors import AppError
from api.services.calendar import DayEntry, DayOut, set_calendar_day, year_days
from api.visibility import Viewer
from domain.calendar import WorkingCalendar, official_last_year
from domain.china_time import CHINA
from domain.roles import Role
from domain.text import StoredText
from web.forms import CsrfField
from web.i18n import Messages
from web.pages import refusal_words
from web.render import messages_for, render, templates
from web.session import Csrf, WebViewer

router = APIRouter(prefix="/admin/calendar", include_in_schema=False, default_response_class=HTMLResponse)

FIRST_YEAR, LAST_YEAR = 2004, 2100  # the years the API maintains (api/routes/calendar.py MaintainedYear)


def maintains_calendar(viewer: Viewer) -> bool:
    return viewer.actor.has(Role.admin)


templates.env.globals["maintains_calendar"] = maintains_calendar  # the header's link (base.html)


class CalendarDayForm(BaseModel):
    """As PUT /api/v1/calendar/days/{day}: the day and its body (DayEntry)."""

    day: date
    is_working_day: bool
    note: StoredText = Field(min_length=1, max_length=200)  # calendar_days.note
    csrf_token: str = CsrfField


@dataclass(frozen=True)
class GridDay:
    day: date
    kind: str  # workday | weekend | holiday (a weekday off) | makeup (a weekend worked, 调休)
    in_month: bool
    known: bool  # the year's schedule is known (official data or entered by an administrator)
    entry: DayOut | None  # why the day is not ordinary, and who says so


def kind_of(calendar: WorkingCalendar, day: date) -> str:
    working, weekday = calendar.is_working_day(day), day.weekday() < 5
    if working == weekday:
        return "workday" if working else "weekend"
    return "makeup" if working else "holiday"


def month_grid(calendar: WorkingCalendar, entries: dict[date, DayOut], year: int, month: int) -> list[list[GridDay]]:
    """The month's weeks, Monday first, with the days of the months around it to fill them."""
    weeks = month_calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    return [
        [
            GridDay(day, kind_of(calendar, day), day.month == month, calendar.is_known_year(day.year), entries.get(day))
            for day in week
        ]
        for week in weeks
    ]


def _neighbour(year: int, month: int, step: int) -> tuple[int, int] | None:
    index = year * 12 + month - 1 + step
    found = divmod(index, 12)
    return (found[0], found[1] + 1) if FIRST_YEAR <= found[0] <= LAST_YEAR else None


async def _grid_page(
    request: Request,
    session: SessionDep,
    viewer: Viewer,
    m: Messages,
    shown: tuple[int, int],
    refused: AppError | None = None,
) -> Response:
    """The grid of the month `shown` (year, month); after a refused change, its words and status."""
    year, month = shown
    calendar = await load_calendar(session)
    entries = {entry.day: entry for entry in await year_days(session, year)}
    return render(
        request,
        "admin_calendar.html",
        m,
        refused.status_code if refused else 200,
        viewer=viewer,
        year=year,
        month=month,
        weeks=month_grid(calendar, entries, year, month),
        known=calendar.is_known_year(year),
        official_last_year=official_last_year(),
        previous=_neighbour(year, month, -1),
        following=_neighbour(year, month, 1),
        may_edit=maintains_calendar(viewer),
        error=refusal_words(m, refused) if refused else None,
    )


@router.get("")
async def calendar_page(
    request: Request,
    viewer: WebViewer,
    session: SessionDep,
    year: Annotated[int | None, Query(ge=FIRST_YEAR, le=LAST_YEAR)] = None,
    month: Annotated[int | None, Query(ge=1, le=12)] = None,
) -> Response:
    m = await messages_for(session, viewer.username)
    today = datetime.now(CHINA).date()
    return await _grid_page(request, session, viewer, m, (year or today.year, month or today.month))


@router.post("/days", dependencies=[Csrf])
async def change_day(
    request: Request,
    form: Annotated[CalendarDayForm, Form()],
    viewer: WebViewer,
    session: SessionDep,
    temporal: TemporalDep,
) -> Response:
    m = await messages_for(session, viewer.username)
    year = min(max(form.day.year, FIRST_YEAR), LAST_YEAR)
    if not maintains_calendar(viewer):
        return render(request, "error.html", m, 403, viewer=viewer, message=m.t("calendar.forbidden"))
    try:
        entry = DayEntry(is_working_day=form.is_working_day, note=form.note)
        await set_calendar_day(session, temporal, viewer.actor, form.day, entry)
    except AppError as refused:
        return await _grid_page(request, session, viewer, m, (year, form.day.month), refused)
    return RedirectResponse(f"/admin/calendar?year={year}&month={form.day.month}", status_code=303)
