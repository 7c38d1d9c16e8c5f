"""The actor of an update, signed by the API that authenticated it (issue 24 §2).

Every update of a process carries the actor who acts (`request.actor`); the workflows check that
actor's roles and unit against the step. Before this signature they trusted it as written, so any
client that reached Temporal's port could decide as anybody. Now the API signs what it
authenticated and the worker refuses an update whose actor is not signed (workflows/actor_check.py).

The signature is HMAC-SHA256 (RFC 2104) over the namespace, the workflow id, the update's name and
id, the actor's username, roles and unit, and an expiry: a captured signature is worth one update
(its id: the same act sent again is the same update, which Temporal runs once) on one process by
one person for a few minutes — not another `decide` by that person on that process. A start has no
update id (its "update" is `start:<type>`, once per workflow id). Readings chosen:
- The run id is not signed: the API addresses a process by its run, but an update reaches only
  the running run of a workflow id, and a signature for one run of an id must not be replayed on
  a later run of the same id within minutes (a re-application), which the short expiry bounds.
- The full name is not signed: it is a label, never a permission.
- Clocks: the worker compares the expiry with its workflow clock (`workflow.now()`, the time of
  the workflow task), so a few seconds of skew between the API's and the worker's hosts is
  absorbed by the lifetime (`LIFETIME`).

Pure: no clock of its own (the caller passes `now`), no I/O; used by the API's client interceptor
(api/actor_signing.py) and the worker's (workflows/actor_check.py).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from temporalio.api.common.v1 import Payload

from domain.models import Actor

HEADER = "x-actor-signature"  # the Temporal header that carries it
VERSION = "v1"
LIFETIME = timedelta(minutes=5)
SYSTEM = "system"  # the actor of what the system opens by itself (a round's processes)
ARTICLE = "issue 24 §2"  # not a regulation's article: the engine's own rule, named in every refusal


def actor_of(args: Sequence[object]) -> Actor | None:
    """The actor an update's request names (`request.actor`), or None for one that names nobody
    (`current`, the read every process answers)."""
    first = args[0] if args else None
    actor = getattr(first, "actor", None)
    return actor if isinstance(actor, Actor) else None


def starter_of(args: Sequence[object]) -> Actor | None:
    """The person a start input names as who starts the process (its one `Actor` field: `applicant`,
    `author`, `registered_by`, `requested_by`, `salesperson`; or a credit review's `requested_by`
    username), or None. The system actor (`SYSTEM`)
    is signed too: a process "filed by the system" (the API's prepaid-overdrawn approval,
    api/over_limit.py) must not be opened by a client without the key. The rounds open theirs as
    children (not checked), and schedules start only rounds, whose inputs name nobody
    (tests/workflows/test_actor_signature.py)."""
    first = args[0] if args else None
    for name in getattr(type(first), "model_fields", {}):
        value = getattr(first, name, None)
        if isinstance(value, Actor):
            return value
    requested_by = getattr(first, "requested_by", None)  # a credit review opened by hand names its requester
    if isinstance(requested_by, str):  # by username only (domain/credit.py `CreditReviewInput`): signed as such
        return Actor(username=requested_by)
    return None


def start_name(workflow_type: str) -> str:
    """What a start's signature names in place of an update's name: the workflow type started."""
    return f"start:{workflow_type}"


def with_header(headers: Mapping[str, Payload], name: str, text: str) -> Mapping[str, Payload]:
    """`headers` with a signature (`HEADER`) or a seal (`SIGNAL_HEADER`) added, as `header_text` reads it."""
    return {**headers, name: Payload(metadata={"encoding": b"binary/plain"}, data=text.encode())}


def header_text(headers: Mapping[str, Payload], name: str) -> str | None:
    """The signature or seal a message carries in its header `name`, or None when it carries none."""
    header = headers.get(name)
    return header.data.decode(errors="replace") if header is not None else None


def _canonical(fields: list[object]) -> bytes:
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()


def _message(namespace: str, workflow_id: str, name: str, actor: Actor, expires: int, update_id: str) -> bytes:
    return _canonical(
        [VERSION, namespace, workflow_id, name, update_id, actor.username, sorted(actor.roles), actor.unit, expires]
    )


def _mac(key: bytes, message: bytes) -> str:
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _signed_by_one_of(keys: Sequence[bytes], mac: str, message: bytes) -> bool:
    """Every key of the ring verifies (the newest signs), so a key is rotated without refusing what
    was signed a moment before."""
    return any(hmac.compare_digest(mac, _mac(key, message)) for key in keys)


def sign(
    key: bytes, namespace: str, workflow_id: str, name: str, actor: Actor, now: datetime, *, update_id: str = ""
) -> str:
    """`v1.<expiry, unix seconds>.<hex HMAC>`: what the API puts in the `HEADER` of an update (with
    its `update_id`) or of a start (none)."""
    expires = int((now + LIFETIME).timestamp())
    return f"{VERSION}.{expires}.{_mac(key, _message(namespace, workflow_id, name, actor, expires, update_id))}"


def refusal(
    keys: Sequence[bytes],
    signature: str | None,
    namespace: str,
    workflow_id: str,
    name: str,
    actor: Actor,
    now: datetime,
    *,
    update_id: str = "",
) -> str | None:
    """Why the update is refused, or None when one of `keys` signed exactly this act and it has
    not expired at `now`."""
    if not signature:
        return f"the actor of '{name}' is not signed by the API ({ARTICLE})"
    version, _, rest = signature.partition(".")
    expiry, _, mac = rest.partition(".")
    if version != VERSION or not expiry.isdigit() or not mac:
        return f"the actor signature of '{name}' is malformed ({ARTICLE})"
    if not _signed_by_one_of(keys, mac, _message(namespace, workflow_id, name, actor, int(expiry), update_id)):
        return f"the actor signature of '{name}' does not match {actor.username}'s act on this process ({ARTICLE})"
    if int(expiry) < now.timestamp():
        return f"the actor signature of '{name}' has expired ({ARTICLE})"
    return None


# --- a deal's and its children's signals (issue 24 §2) -------------------------------------------
# A deal hands each act to its child (and a child its writes to the deal) by a signal, and a signal
# has no validator: before this seal, anyone who reached Temporal's port could signal `act` to
# `<deal>/tender` with a bid of their own. The worker's outbound interceptor seals every signal a
# workflow sends with the newest key of the actor ring; the receiving workflow drops an internal
# signal whose seal does not match (workflows/actor_check.py). The seal names the target workflow id,
# the signal and a digest of its arguments; it has no expiry and no namespace, since it is checked
# again on every replay, and a replay may run under another namespace (a `Replayer`'s own); so a key
# is retired only after every run that may replay with it has closed.
SIGNAL_HEADER = "x-signal-seal"


def _signal_message(workflow_id: str, signal: str, digest: str) -> bytes:
    return _canonical([VERSION, "signal", workflow_id, signal, digest])


def seal_signal(key: bytes, workflow_id: str, signal: str, digest: str) -> str:
    """`v1.<hex HMAC>`: what a workflow puts in the `SIGNAL_HEADER` of a signal it sends."""
    return f"{VERSION}.{_mac(key, _signal_message(workflow_id, signal, digest))}"


def signal_refusal(keys: Sequence[bytes], seal: str | None, workflow_id: str, signal: str, digest: str) -> str | None:
    """Why the signal is dropped, or None when one of `keys` sealed exactly this signal to this workflow."""
    if not seal:
        return f"the signal '{signal}' is not sealed by a workflow of this engine ({ARTICLE})"
    version, _, mac = seal.partition(".")
    if version != VERSION or not mac:
        return f"the seal of the signal '{signal}' is malformed ({ARTICLE})"
    if not _signed_by_one_of(keys, mac, _signal_message(workflow_id, signal, digest)):
        return f"the seal of the signal '{signal}' does not match it ({ARTICLE})"
    return None
