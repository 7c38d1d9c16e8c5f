"""Finding customers a reader may read (api/visibility's `customer_readable`): GET /api/v1/customers
and the web workbench's search box ask the same question."""

from __future__ import annotations

from sqlalchemy import Select, or_, select

from api.visibility import Who, customer_readable
from db.models import Customer


def customers_matching(who: Who, q: str | None) -> Select[Customer]:
    """Readable customers; with `q`, those whose credit code is `q` or whose name contains it."""
    query = select(Customer).where(customer_readable(who))
    if q:
        query = query.where(or_(Customer.credit_code == q.upper(), Customer.name.contains(q)))
    return query
