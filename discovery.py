"""Finding the pieces of a package by walking it, so a new process registers itself (issue 22).

The worker's workflows and activities and the API's routers are what their packages declare: a
`@workflow.defn` class in `workflows/`, an `@activity.defn` method in `activities/`, a module of
`api/routes/` exposing `router`. Nothing else lists them, so a new process touches no registry.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from types import ModuleType


def modules_of(package: str) -> list[ModuleType]:
    """Every module of `package` and its sub-packages, imported, in the order of their dotted names
    (deterministic: the same files give the same order on every machine)."""
    root = importlib.import_module(package)
    names = sorted(info.name for info in pkgutil.walk_packages(root.__path__, f"{package}."))
    return [importlib.import_module(name) for name in names]


def defined_in(module: ModuleType) -> Iterator[object]:
    """What `module` defines itself, in the order it defines it (what it imports is left out: a class
    imported by a second module is found once, where it is written)."""
    for value in vars(module).values():
        if getattr(value, "__module__", None) == module.__name__:
            yield value
