"""History entries of the external-trade process (000 §7): who did what, when, with what and why.

Read from the update and activity arguments (the audit record's rows through `domain/history.py`,
Temporal's event history through `api/history.py`), so partner approval, bids and revisions, the
tender's closing, the award, the contract and every payment appear as one history for auditors.
A phrase is what the row says; the caller adds when and who (`domain.history.phrased`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

Detail = tuple[str | None, str | None]  # outcome, comment
Describe = Callable[[dict[str, Any]], Detail]


class Phrase(NamedTuple):
    action: str
    step: str | None
    outcome: str | None
    comment: str | None


def _leadership(arg: dict[str, Any]) -> Detail:
    d = arg.get("decision") or {}
    attendees = ", ".join(d.get("attendees") or [])
    meeting = f"领导班子会议 {d.get('meeting_date')}; 出席: {attendees}; 纪要 {d.get('minutes_ref')}"
    return d.get("outcome"), f"{d.get('comment')} | {meeting}"


def _tender(arg: dict[str, Any]) -> Detail:
    t = arg.get("tender") or {}
    return None, f"deadline {t.get('bidding_deadline')}; range: {t.get('invited_range')}; {t.get('conditions')}"


def _bid(arg: dict[str, Any]) -> Detail:
    b = arg.get("bid") or {}
    bidder = b.get("bidder") or {}
    return str(
        b.get("amount")
    ), f"{bidder.get('name')} ({bidder.get('credit_code')}, {b.get('ownership')}): {b.get('terms')}"


def _no_award(arg: dict[str, Any]) -> Detail:
    d = arg.get("decision") or {}
    deadline = f"; new deadline {d['bidding_deadline']}" if d.get("bidding_deadline") else ""
    return d.get("decision"), f"{d.get('reason')}{deadline}"


def _evaluation(arg: dict[str, Any]) -> Detail:
    e = arg.get("evaluation") or {}
    ranking = " > ".join(e.get("ranking") or []) or "the proposed default ranking"
    return "ranked", f"{e.get('rationale')} | {ranking}"


def _contract(arg: dict[str, Any]) -> Detail:
    c = arg.get("contract") or {}
    return str(c.get("amount")), f"{c.get('contract_no')}: {c.get('goods')}; payment terms: {c.get('payment_terms')}"


def _signing(arg: dict[str, Any]) -> Detail:
    s = arg.get("signing") or {}
    return None, f"signed {s.get('signed_on')} by {s.get('our_signatory')} / {s.get('counterpart_signatory')}"


def _title(arg: dict[str, Any]) -> Detail:
    c = arg.get("certificate") or {}
    return None, f"物权转移证明 {c.get('certificate_no')} signed {c.get('signed_on')}"


def _payment_form(arg: dict[str, Any]) -> Detail:
    f = arg.get("form") or {}
    note = f"; {f['instalment_note']}" if f.get("instalment_note") else ""
    return str(f.get("amount")), f"due {f.get('due_date')}, to {f.get('bank_name')} {f.get('bank_account')}{note}"


def _paid(arg: dict[str, Any]) -> Detail:
    p = arg.get("paid") or {}
    return f"payment #{arg.get('number')}", f"paid {p.get('paid_at')}, reference {p.get('reference')}"


def _settled(arg: dict[str, Any]) -> Detail:
    s = arg.get("settlement") or {}
    with_marketing = f"with marketing {s.get('marketing_confirmed_by')}"
    return (
        f"payment #{arg.get('number')}",
        f"入库结算 {s.get('settled_on')}, receipt {s.get('receipt_no')}, {with_marketing}",
    )


# update name -> (action, step, describe)
UPDATES: dict[str, tuple[str, str | None, Describe]] = {
    "leadership_decision": ("decision", "leadership_meeting", _leadership),
    "open_tender": ("tender_opened", "tender_opening", _tender),
    "submit_bid": ("bid", "bidding", _bid),
    "no_award_decision": ("no_award_decision", "no_award", _no_award),
    "evaluate": ("evaluated", "evaluation", _evaluation),
    "draft_contract": ("contract_drafted", "contract_drafting", _contract),
    "sign_contract": ("contract_signed", "contract_signing", _signing),
    "record_title_transfer": ("title_transferred", "title_transfer", _title),
    "file_payment": ("payment_filed", "payment", _payment_form),
    "record_payment": ("payment_made", "record_payment", _paid),
    "record_settlement": ("settled", "settlement", _settled),
}


def trade_update_phrase(name: str, arg: dict[str, Any]) -> Phrase | None:
    if name not in UPDATES:
        return None
    action, step, describe = UPDATES[name]
    outcome, comment = describe(arg)
    return Phrase(action, step, outcome, comment)


def trade_activity_phrase(name: str, arg: dict[str, Any], result: list[Any]) -> Phrase | None:
    """What the system did for a trade (its actor is the system)."""
    if name == "close_tender":  # the bidding deadline passed: the clock, not a person, closed the tender
        ranking = " > ".join(arg.get("proposed_ranking") or [])
        proposal = f"; proposed ranking {ranking}" if ranking else "; fewer than three bidders: no award"
        comment = f"tender #{arg.get('number')} closed with {arg.get('bidders')} bidders{proposal}"
        return Phrase("tender_closed", "bidding", arg.get("status"), comment)
    if name == "create_trade_customer":
        customer = arg.get("customer") or {}
        comment = f"customer #{result[0] if result else None}: {customer.get('name')} ({customer.get('credit_code')})"
        return Phrase("customer_created", None, None, comment)
    return None
