"""Every word the web pages show, in Chinese (the default) and English: one message table, and
the domain's own declarations for what the domain already names (step and process titles are
declared bilingual in domain/approvals.py, role titles in domain/roles.py).

Dates are China time, `YYYY-MM-DD HH:mm` (domain/china_time.py)."""

from __future__ import annotations

import re
from datetime import datetime
from importlib import import_module

from domain.approvals import ChainSpec
from domain.china_time import in_china
from domain.documents import DOCUMENT_TITLES, DocumentType
from domain.roles import ROLE_TITLES, Role
from domain.step_deadlines import CHAIN_MODULES
from web.messages import table

LOCALES = ("zh", "en")
DEFAULT = "zh"

# key: (中文, English), one module per area (web/messages/); `{name}` placeholders filled by `Messages.t`.
MESSAGES: dict[str, tuple[str, str]] = table()
# Each document's name: the domain's Chinese title (domain/documents.py), in English here.
MESSAGES.update(
    {
        f"doc.{doc_type.value}": (DOCUMENT_TITLES[doc_type], english)
        for doc_type, english in {
            DocumentType.business_license: "Business licence",
            DocumentType.tax_registration: "Tax registration certificate",
            DocumentType.oil_wholesale_certificate: "Oil wholesale certificate",
            DocumentType.hazardous_chemicals_certificate: "Hazardous chemicals certificate",
            DocumentType.organization_code: "Organisation code certificate",
            DocumentType.bank_account_permit: "Bank account permit",
            DocumentType.general_taxpayer: "VAT general taxpayer status",
            DocumentType.invoicing_info: "Invoicing information",
            DocumentType.legal_rep_id: "Copy of the legal representative's ID",
            DocumentType.power_of_attorney: "Original power of attorney",
            DocumentType.hazardous_chemicals_trading_license: "Hazardous chemicals trading licence",
            DocumentType.fuel_oil_approval: "Fuel oil trading approval (provincial commerce department)",
            DocumentType.invoicing_certificate: "Invoicing certificate",
            DocumentType.invoicing_power_of_attorney: "Invoicing power of attorney",
            DocumentType.oil_business_license: "Oil products business licence",
        }.items()
    }
)

# Every chain the domain declares (the modules the step-deadline rule reads), for its titles: a
# process type's (its first chain's) and each step's. A type no chain declares is in MESSAGES.
_CHAINS = [
    value
    for module in CHAIN_MODULES
    for value in vars(import_module(f"domain.{module}")).values()
    if isinstance(value, ChainSpec)
]
TYPE_TITLES: dict[str, str] = {}
STEP_TITLES: dict[tuple[str, str], str] = {}
for _chain in _CHAINS:
    TYPE_TITLES.setdefault(_chain.process_type, _chain.title)
    for _step in _chain.steps:
        STEP_TITLES.setdefault((_chain.process_type, _step.key), _step.title)

_BILINGUAL = re.compile(r"\s+(?=[A-Za-z][\x00-\x7f]*$)")  # "营销业务部资质审核 Qualification review"


def bilingual(title: str) -> tuple[str, str]:
    """A domain title declared as "中文 English" split in two (either half the whole when undeclared)."""
    parts = _BILINGUAL.split(title, maxsplit=1)
    return (parts[0], parts[1]) if len(parts) == 2 else (title, title)


class Messages:
    """The words of one page in one language."""

    def __init__(self, locale: str | None) -> None:
        self.locale = locale if locale in LOCALES else DEFAULT
        self._index = LOCALES.index(self.locale)

    def t(self, key: str, **values: object) -> str:
        text = MESSAGES[key][self._index]
        return text.format(**values) if values else text

    def pick(self, title: str) -> str:
        return bilingual(title)[self._index]

    def error(self, status: int) -> str:
        """What a refusal of this HTTP status means; a status without words of its own as a failure (500)."""
        key = f"error.{status}"
        return self.t(key if key in MESSAGES else ("error.500" if status >= 500 else "error.400"))

    def fields(self, names: list[str]) -> str:
        """The fields a form or an address got wrong, named in words ("请检查填写内容：意见说明…")."""
        named = [self.t(f"field.{name}") if f"field.{name}" in MESSAGES else name for name in names]
        return self.t("error.fields", fields=", ".join(dict.fromkeys(named)))

    def status(self, status: str) -> str:
        key = f"status.{status}"
        return self.t(key) if key in MESSAGES else status

    def action(self, action: str) -> str:
        """A history line's action (domain/history.py); one not in the table by its own word."""
        key = f"action.{action}"
        return self.t(key) if key in MESSAGES else action

    def outcome(self, outcome: str | None) -> str:
        key = f"outcome.{outcome}"
        return self.t(key) if key in MESSAGES else (outcome or "")

    def process_type(self, process_type: str) -> str:
        if process_type in TYPE_TITLES:
            return self.pick(TYPE_TITLES[process_type])
        key = f"type.{process_type}"
        return self.t(key) if key in MESSAGES else process_type

    def step(self, process_type: str, step: str | None) -> str:
        """A step's declared title; a step of no declared chain (e.g. a complaint stage) by its key."""
        if step is None:
            return ""
        title = STEP_TITLES.get((process_type, step))
        return self.pick(title) if title else step

    def role(self, role: str) -> str:
        if role not in Role.__members__:
            return role
        return ROLE_TITLES[Role(role)] if self.locale == "zh" else role.replace("_", " ")

    def holder(self, holder: str) -> str:
        """`role@unit`, a role, or a username (domain.models.holder_of)."""
        role, _, unit = holder.partition("@")
        return f"{self.role(role)} ({unit})" if unit else self.role(role)

    @staticmethod
    def when(moment: datetime | None) -> str:
        return in_china(moment).strftime("%Y-%m-%d %H:%M") if moment is not None else ""

    def waited(self, since: datetime, now: datetime) -> str:
        minutes = max(0, int((now - in_china(since)).total_seconds() // 60))
        if minutes >= 24 * 60:
            return self.t("waiting.days", n=minutes // (24 * 60))
        if minutes >= 60:
            return self.t("waiting.hours", n=minutes // 60)
        return self.t("waiting.minutes", n=minutes)

    def kind(self, kind: str) -> str:
        """A customer's kind (domain.models.CustomerKind) in words."""
        key = f"kind.{kind}"
        return self.t(key) if key in MESSAGES else kind

    def document(self, doc_type: str) -> str:
        """A document's title (domain.documents.DOCUMENT_TITLES); in English its key in words."""
        if doc_type not in DocumentType.__members__:
            return doc_type
        return DOCUMENT_TITLES[DocumentType(doc_type)] if self.locale == "zh" else doc_type.replace("_", " ")
