"""Every activity the worker runs, found where it is written and bound to its dependencies.

An activity is an `@activity.defn` method of a class in a module of `activities/` (or a plain
`@activity.defn` function there): discovery.py finds it, and the class is built once with the
dependencies its constructor names (`sessions`, `channels`, `calendar`, `hours`, `mail`), so a new process's
store registers itself. A constructor asking for anything else fails the worker's start, naming it.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from activities.calendar import CalendarActivities
from activities.mail import MailChannel, MailServer
from activities.notifications import Channel, WebhookChannel
from discovery import defined_in, modules_of
from domain.calendar import OfficeHours


def is_activity(value: object) -> bool:
    return callable(value) and activity._Definition.from_callable(value) is not None


def activity_classes(package: str = "activities") -> Iterator[type]:
    """The classes of `package` that declare activity methods of their own, in module name order."""
    for module in modules_of(package):
        for value in defined_in(module):
            if isinstance(value, type) and any(is_activity(member) for member in vars(value).values()):
                yield value


def activity_functions(package: str = "activities") -> Iterator[Callable[..., Any]]:
    """Plain `@activity.defn` functions at the top of a module of `package`."""
    for module in modules_of(package):
        for value in defined_in(module):
            if not isinstance(value, type) and callable(value) and is_activity(value):
                yield value


def build(cls: type, dependencies: dict[str, object]) -> object:
    """`cls` with the dependencies its constructor names; a parameter with a default it may go without."""
    given: dict[str, object] = {}
    for name, parameter in list(inspect.signature(cls).parameters.items()):
        if name in dependencies:
            given[name] = dependencies[name]
        elif parameter.default is inspect.Parameter.empty:
            raise TypeError(f"{cls.__name__} needs {name!r}: the worker provides only {sorted(dependencies)}")
    return cls(**given)


def bound_activities(instance: object) -> list[Callable[..., Any]]:
    """The activity methods `instance`'s class declares itself, bound to it, in declaration order."""
    return [getattr(instance, name) for name, member in vars(type(instance)).items() if is_activity(member)]


def build_activities(
    sessions: async_sessionmaker[AsyncSession],
    webhook_url: str | None = None,
    office_hours: OfficeHours | None = None,
    mail: MailServer | None = None,
) -> list[Callable[..., Any]]:
    channels: list[Channel] = [WebhookChannel(webhook_url)] if webhook_url else []
    if mail is not None:
        channels.append(MailChannel())
    calendar = CalendarActivities(sessions, office_hours)  # also dates the steps each write opens
    dependencies: dict[str, object] = {
        "sessions": sessions,
        "channels": channels,
        "calendar": calendar,
        "hours": office_hours,
        "mail": mail,
    }
    found: list[Callable[..., Any]] = []
    for cls in activity_classes():
        found += bound_activities(calendar if cls is CalendarActivities else build(cls, dependencies))
    return found + list(activity_functions())
