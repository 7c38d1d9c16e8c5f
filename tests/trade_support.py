"""External-trade test data (000 §7): a partner's credit file, bids, a contract, payment forms — as JSON
bodies the API takes and the workflow tests validate into the boundary models."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from domain.trade import required_documents
from domain.trade_models import Product
from tests.support import random_credit_code

CHINA_OFFSET = timedelta(hours=8)


def china_day(moment: datetime) -> date:
    return (moment + CHINA_OFFSET).date()


def card(name: str, credit_code: str | None = None, **extra: Any) -> dict[str, Any]:
    """A 000 §10 customer card of an external-trade counterpart."""
    return {
        "name": name,
        "credit_code": credit_code or random_credit_code(),
        "kind": "external_trade",
        "address": "河南省郑州市郑东新区商务外环路 8 号",
        "legal_representative": "李国强",
        "phone": "0371-68880000",
        "business_scope": "成品油批发; 危险化学品经营",
        "bank_name": "中国银行郑州分行",
        "bank_account": "2560000100001234",
        **extra,
    }


def documents(products: list[str], drop: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    valid = (date.today() + timedelta(days=365)).isoformat()
    return [
        {"type": t.value, "number": f"NO-{t.value[:8].upper()}-7", "issuer": "河南省商务厅", "valid_until": valid}
        for t in required_documents(Product(p) for p in products)
        if t.value not in drop
    ]


def trade_application(
    products: tuple[str, ...] = ("refined_oil",),
    ownership: str = "state_owned",
    drop: tuple[str, ...] = (),
    direction: str = "purchase",
    **partner: Any,
) -> dict[str, Any]:
    """Marketing's credit file on a partner (000 §7 (四)); fuel oil adds the provincial approval."""
    return {
        "partner": card("中石化河南石油分公司", **partner),
        "ownership": ownership,
        "direction": direction,
        "products": list(products),
        "documents": documents(list(products), drop),
        "purpose": "2026 年四季度外采 92# 汽油 5000 吨",
    }


def bid(name: str, amount: str, ownership: str = "private", credit_code: str | None = None) -> dict[str, Any]:
    """A bid with the bidder's 000 §7 (四) credit file: a winner is reviewed on it before the award."""
    return {
        "bidder": card(name, credit_code),
        "ownership": ownership,
        "amount": amount,
        "quantity": "5000 吨",
        "terms": "郑州油库交货, 货到验收后分两期付款",
        "documents": documents(["refined_oil"]),
    }


def tender(deadline: datetime) -> dict[str, Any]:
    return {
        "conditions": "92# 汽油 5000 吨, 国六标准, 11 月底前交货",
        "invited_range": "河南省内具备成品油批发资质的企业",
        "bidding_deadline": deadline.isoformat(),
    }


def leadership(day: date, outcome: str = "approve") -> dict[str, Any]:
    return {
        "meeting_date": day.isoformat(),
        "attendees": ["董事长 张明", "总经理 刘强", "业务副总 王磊"],
        "minutes_ref": "领导班子会议纪要〔2026〕第 18 号",
        "outcome": outcome,
        "comment": "同意与该单位开展外采业务",
    }


def contract(amount: str = "30000000.00", contract_no: str = "WC-2026-018") -> dict[str, Any]:
    return {
        "contract_no": contract_no,
        "amount": amount,
        "goods": "92# 汽油 5000 吨",
        "payment_terms": "合同签订后付 60%, 入库验收后付 40%",
        "delivery_terms": "郑州油库交货",
    }


def signing(day: date) -> dict[str, Any]:
    return {"signed_on": day.isoformat(), "our_signatory": "总经理 刘强", "counterpart_signatory": "经理 陈涛"}


def title_transfer(day: date) -> dict[str, Any]:
    return {"certificate_no": "WQ-2026-0031", "signed_on": day.isoformat()}


def payment_form(amount: str, due: date) -> dict[str, Any]:
    return {
        "amount": amount,
        "due_date": due.isoformat(),
        "bank_name": "中国银行郑州分行",
        "bank_account": "2560000100001234",
        "instalment_note": "按合同第 5 条分期付款",
    }


def paid(at: datetime, reference: str) -> dict[str, Any]:
    return {"paid_at": at.isoformat(), "reference": reference}


def settlement(day: date, receipt_no: str) -> dict[str, Any]:
    return {
        "settled_on": day.isoformat(),
        "receipt_no": receipt_no,
        "marketing_confirmed_by": "marketing_reviewer",
        "quantity": "3000 吨",
    }
