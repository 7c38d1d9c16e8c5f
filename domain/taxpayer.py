"""The tax-bureau check of a depot's social customer (000 §8 (一)): the record, not the rule.

"向国税局查询是否为一般纳税人, 如果没有纳税资格则不予开展业务": the check is an act with an author, a
moment, a source and a result. The record travels with the customer card, so the customer's file and
the application's audit record show who checked, when, where and what the bureau said. The rule that
reads it is `domain.unit_customers.taxpayer_check_problems`.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from domain.text import Moment, StoredText


class TaxpayerCheck(BaseModel):
    """Who checked the customer's VAT general-taxpayer status with the tax bureau, when, against
    which source, and the result (000 §8 (一))."""

    checked_by: StoredText = Field(min_length=1, max_length=100, description="who queried the tax bureau")
    checked_at: Moment = Field(description="when the bureau was queried (not in the future)")
    source: StoredText = Field(
        min_length=2, max_length=200, description="the source queried, e.g. 国家税务总局 一般纳税人资格查询"
    )
    reference: StoredText = Field(
        min_length=1, max_length=300, description="the query's URL, or the bureau's reply or reference number"
    )
    general_taxpayer: bool = Field(description="the result: a VAT general taxpayer (一般纳税人) or not")
