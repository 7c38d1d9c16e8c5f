"""The onboarding form of web/apply.py as flat fields, to and from the API's own body
(domain.models.OnboardingApplication): no rule here, only where each answer goes and where each
refusal is shown. A document row is named by its type: `<type>-number`, `<type>-issuer`,
`<type>-valid_until`, `<type>-stamped`, `<type>-original`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from domain.documents import Document, DocumentType
from domain.models import CustomerData, OnboardingApplication

# The card's fields the form asks for (000 §10); the API takes more, all optional.
CUSTOMER_FIELDS = ("name", "credit_code", "kind", "address", "legal_representative", "phone", "postcode", "delegate")
CARD_INPUTS = tuple(name for name in CUSTOMER_FIELDS if name != "kind")  # the card's text inputs
FORM_LEVEL = "form"  # a refusal that concerns no one field
PAPER_FIELDS = ("title", "number", "issuer", "issued_on", "period", "valid_until")  # inputs of a document row
FLAGS = {"stamped": "stamped_copy", "original": "original"}  # checkbox → Document field


def max_lengths(model: type[BaseModel], names: Sequence[str]) -> dict[str, int | None]:
    """The `maxlength` of each input: the bound the API body puts on its field (None: none by length)."""
    bounds: dict[str, int | None] = {}
    for name in names:
        found = [meta.max_length for meta in model.model_fields[name].metadata if hasattr(meta, "max_length")]
        bounds[name] = found[0] if found else None
    return bounds


CARD_BOUNDS = max_lengths(CustomerData, CUSTOMER_FIELDS)
DOCUMENT_BOUNDS = max_lengths(Document, ("number", "issuer"))


def filled(form: Mapping[str, Any], names: Iterable[str]) -> dict[str, str]:
    """The answers given among `names`, without surrounding spaces (an empty answer is none)."""
    return {name: value for name in names if (value := _filled(form, name)) is not None}


def filled_part(form: Mapping[str, Any], prefix: str, names: Iterable[str]) -> dict[str, str]:
    """The answers given among the inputs `<prefix>-<name>` of one part of a form (a row, a
    sub-form), by name; empty when none was given."""
    return {name: value for name in names if (value := _filled(form, f"{prefix}-{name}")) is not None}


def _filled(form: Mapping[str, Any], name: str) -> str | None:
    value = form.get(name)
    return value.strip() or None if isinstance(value, str) else None


def _document(form: Mapping[str, Any], doc_type: DocumentType) -> dict[str, Any]:
    key = doc_type.value
    return {
        "type": key,
        "number": _filled(form, f"{key}-number"),
        "issuer": _filled(form, f"{key}-issuer"),
        "valid_until": _filled(form, f"{key}-valid_until"),
        **{field: form.get(f"{key}-{box}") == "on" for box, field in FLAGS.items()},
    }


Body = dict[str, Any]


def application_body(form: Mapping[str, Any], rows: Sequence[DocumentType]) -> tuple[Body, list[DocumentType]]:
    """The API body the form describes, and the document type of each of its `documents` in order.
    A row without a number is a document not filed (the checklist then names it missing)."""
    customer = filled(form, CUSTOMER_FIELDS)
    filed = [doc_type for doc_type in rows if _filled(form, f"{doc_type.value}-number") is not None]
    return {"customer": customer, "documents": [_document(form, t) for t in filed]}, filed


def form_values(application: OnboardingApplication) -> dict[str, str]:
    """The form's fields filled with an application as filed (`application_body` the other way)."""
    card = application.customer.model_dump(mode="json")
    values = {name: str(card[name]) for name in CUSTOMER_FIELDS if card.get(name) is not None}
    for doc in application.documents:
        key = doc.type.value
        filled = {"number": doc.number, "issuer": doc.issuer, "valid_until": doc.valid_until}
        values |= {f"{key}-{name}": str(value) for name, value in filled.items() if value is not None}
        values |= {f"{key}-{name}": "on" for name in ("stamped", "original") if getattr(doc, FLAGS[name])}
    return values


CARDS = ("customer", "partner")  # where a body holds the customer card (onboarding, unit customers; trade)


def _field_of(loc: tuple[int | str, ...], filed: Sequence[str]) -> str:
    """`('customer', 'phone')` → `phone`; `('documents', 2, 'valid_until')` → `<type>-valid_until`;
    `('customer', 'taxpayer_check', 'source')` → `taxpayer_check-source`; `('vat_invoice', 'title')`
    → `vat_invoice-title`; `('visits', 1, 'purpose')` → `<row>-purpose`; `('co_handlers', 0)` →
    `co_handlers`."""
    if len(loc) == 1 and isinstance(loc[0], str):  # a flat form's field (e.g. the complaint's)
        return loc[0]
    if len(loc) == 2 and loc[0] in CARDS and isinstance(loc[1], str):
        return loc[1]
    if len(loc) >= 3 and loc[0] in CARDS and isinstance(loc[1], str):  # a part of the card (taxpayer_check)
        return f"{loc[1]}-{loc[2]}"
    if len(loc) >= 2 and isinstance(loc[0], str) and isinstance(loc[1], str):
        return f"{loc[0]}-{loc[1]}"  # a part of the body (vat_invoice, outsider)
    if len(loc) >= 3 and isinstance(loc[1], int) and loc[1] < len(filed):  # a row of the body's list
        row = filed[loc[1]]
        return f"{row}-{loc[2]}" if loc[0] != "documents" or loc[2] in PAPER_FIELDS else row
    if len(loc) == 2 and isinstance(loc[0], str) and loc[0] != "documents":  # an item of a list of values
        return loc[0]
    return FORM_LEVEL


def invalid_fields(error: ValidationError, filed: Sequence[str]) -> dict[str, list[str]]:
    """Each refusal of the body's validation beside the field it concerns; `filed` names the row of
    each item of the body's list (`documents`, a plan's `visits`) in order."""
    fields: dict[str, list[str]] = {}
    for problem in error.errors():
        fields.setdefault(_field_of(tuple(problem["loc"]), filed), []).append(problem["msg"])
    return fields


# A word a service's refusal may say, and the field the refusal then stands beside (a form's own).
Named = Sequence[tuple[str, str]]


def named_field(problem: str, named: Named) -> str:
    """The field of the first of `named`'s words that `problem` says; else above the form."""
    return next((field for word, field in named if word in problem), FORM_LEVEL)


def refused_fields(detail: Any, rows: Sequence[DocumentType], named: Named = ()) -> dict[str, list[str]]:
    """The service's refusals (an `Invalid`'s detail: its problems, or one; each names its article)
    beside the document row or field they name: a document by its type as the domain writes it
    (`business_license (营业执照)`), the customer kind, else the first of the form's `named` words."""
    fields: dict[str, list[str]] = {}
    for problem in map(str, detail if isinstance(detail, list) else [detail]):
        documents = [t.value for t in rows if f"{t.value} (" in problem]
        where = documents[0] if documents else "kind" if "customer kind" in problem else named_field(problem, named)
        fields.setdefault(where, []).append(problem)
    return fields
