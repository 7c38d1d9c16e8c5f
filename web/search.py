"""The search box of every page (issue 23 "Everyone"): a customer's name or credit code → the
processes and the customers this user may read — the same searches as GET /api/v1/processes
(`customer=`) and GET /api/v1/customers (`q=`), so what a page finds is what the API would."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse

from api.deps import SessionDep
from api.services.customers import customers_matching
from api.services.processes import ProcessFilters, search_processes
from web.render import messages_for, render
from web.session import WebViewer

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

FOUND_AT_MOST = 50


@router.get("/search")
async def search(
    request: Request,
    viewer: WebViewer,
    session: SessionDep,
    q: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    m = await messages_for(session, viewer.username)
    asked = q.strip()
    processes, customers = [], []
    if asked:
        processes = await search_processes(session, viewer, ProcessFilters(customer=asked, limit=FOUND_AT_MOST))
        customers = list(await session.scalars(customers_matching(viewer, asked).limit(FOUND_AT_MOST)))
    return render(request, "search.html", m, viewer=viewer, q=asked, processes=processes, customers=customers)
