"""The web's message table, one module per area (each a dict key -> (中文, English)): `table()` joins
them and refuses a key two areas both define, so no word is written twice."""

from __future__ import annotations

from web.messages import (
    admin,
    admin_calendar,
    apply,
    apply_more,
    approval_form,
    audit,
    common,
    dashboard,
    notification_settings,
    sso,
    task_actions,
)

AREAS = (
    common,
    dashboard,
    audit,
    approval_form,
    admin_calendar,
    task_actions,
    apply,
    sso,
    notification_settings,
    admin,
    apply_more,
)


class RepeatedKey(ValueError):
    pass


def table() -> dict[str, tuple[str, str]]:
    joined: dict[str, tuple[str, str]] = {}
    for area in AREAS:
        repeated = joined.keys() & area.MESSAGES.keys()
        if repeated:
            raise RepeatedKey(f"{area.__name__} repeats {sorted(repeated)}")
        joined.update(area.MESSAGES)
    return joined
