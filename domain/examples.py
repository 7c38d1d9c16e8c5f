"""Realistic request bodies for the OpenAPI docs (issue 23): "Try it out" works at once.

Each request model names its example with `model_config = examples(...)`; the pieces several
bodies share (a customer card with a valid credit code, the 000 §6 documents, dates) live here once.
Dates lie far enough ahead that a document stays valid and a plan stays in the future for years;
amounts are strings with two decimals, as the API answers them.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from domain.credit_code import make_credit_code
from domain.documents import ONBOARDING_REQUIRED

# A unified social credit code of Zhengzhou (4101) whose check character GB 32100-2015 computes.
CREDIT_CODE = make_credit_code("91410100MA9G5XK4Y")
PARTNER_CREDIT_CODE = make_credit_code("91410105MA44HY7R3")
VALID_UNTIL = "2031-12-31"  # a licence's validity: in the future for years
FUTURE_DAY = "2030-06-15"  # a day ahead: a return date, a payment due date, a planned visit
FUTURE_MONTH = "2030-06"
FUTURE_MOMENT = "2030-06-15T17:00:00+08:00"  # China time, as the API answers
PAST_DAY = "2025-03-18"  # a day behind: a meeting held, a contract signed
PAST_MOMENT = "2025-03-18T10:30:00+08:00"

CUSTOMER_CARD: dict[str, Any] = {
    "name": "郑州华豫石化贸易有限公司",
    "credit_code": CREDIT_CODE,
    "kind": "allocation_self_sale",
    "address": "河南省郑州市金水区花园路 88 号",
    "legal_representative": "王建国",
    "phone": "0371-65550000",
    "postcode": "450000",
    "contact_person": "李娜",
    "registered_capital": "50000000.00",
    "registration_authority": "郑州市市场监督管理局",
    "registered_on": "2015-04-20",
    "business_scope": "成品油批发; 危险化学品经营",
    "bank_name": "中国工商银行郑州花园路支行",
    "bank_account": "1702020109024567890",
}

ONBOARDING_DOCUMENTS: list[dict[str, Any]] = [
    {"type": kind.value, "number": f"HY-{index:03d}", "issuer": "郑州市市场监督管理局", "valid_until": VALID_UNTIL}
    for index, kind in enumerate(ONBOARDING_REQUIRED, start=1)
]


def examples(*bodies: dict[str, Any]) -> ConfigDict:
    """A request model's configuration carrying `bodies` as its OpenAPI examples.

    A schema shows only the bodies its own model accepts as JSON: a record that extends a request
    model (a `ContractDraft` is a `ContractIn` plus who and when) inherits the configuration, but
    not an example that lacks its own fields."""

    def add_examples(schema: dict[str, Any], model: type[BaseModel]) -> None:
        accepted = [body for body in bodies if _accepts(model, body)]
        if accepted:
            schema["examples"] = accepted

    return ConfigDict(json_schema_extra=add_examples)


def _accepts(model: type[BaseModel], body: dict[str, Any]) -> bool:
    try:
        model.model_validate_json(json.dumps(body))
    except ValidationError:
        return False
    return True
