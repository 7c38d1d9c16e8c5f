"""Every workflow the worker runs, found where it is written: each `@workflow.defn` class of a module
of `workflows/` (discovery.py). A new process's workflow registers itself; nothing lists it here."""

from __future__ import annotations

from temporalio import workflow

from discovery import defined_in, modules_of


def discovered_workflows(package: str = "workflows") -> list[type]:
    """The classes decorated `@workflow.defn` in `package`, module by module in name order. A class
    only inheriting a definition (not decorated itself) is not a workflow of its own and is left out."""
    return [
        value
        for module in modules_of(package)
        for value in defined_in(module)
        if isinstance(value, type) and workflow._Definition.from_class(value) is not None
    ]


WORKFLOWS: list[type] = discovered_workflows()
