"""Path and query parameters bounded by what the database can hold: a value no row can have is a
422 with the limit, never an integer overflow (500) in the driver."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from domain.text import INT32_MAX, INT64_MAX

RowId = Annotated[int, Path(ge=1, le=INT32_MAX, description="a row id (32-bit)")]
PaymentNumber = Annotated[int, Path(ge=1, le=INT32_MAX, description="the payment form's number")]
Offset = Annotated[int, Query(ge=0, le=INT64_MAX, description="rows to skip")]
