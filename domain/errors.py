"""Error types shared by workflows (ApplicationError.type) and the API (HTTP status)."""

from __future__ import annotations

FORBIDDEN = "Forbidden"  # 403: wrong role, self-approval, segregation of duties
NOT_FOUND = "NotFound"  # 404
CONFLICT = "Conflict"  # 409: stale or already-decided task, process not in that state
INVALID = "Invalid"  # 422: malformed decision, missing reason
# 409: the update was applied, but its write failed on data the database refused; the process
# waits for an administrator's repair (workflows/repair.py), and the act stays in the history.
STORE_FAILED = "StoreFailed"

HTTP_STATUS: dict[str, int] = {FORBIDDEN: 403, NOT_FOUND: 404, CONFLICT: 409, INVALID: 422, STORE_FAILED: 409}


class Refused(Exception):
    """A domain rule refused an act (raised by pure rules, e.g. domain/customer_gate.py): `kind` is
    one of the types above, so the API answers HTTP_STATUS[kind] and a workflow the same type."""

    def __init__(self, message: str, kind: str = CONFLICT) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind
