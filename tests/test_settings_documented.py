"""The README's "Settings" section lists every setting `make run` reads, with its default (issue 23):
each field of `settings.py` under its environment name, and every variable the Makefile and the
scripts read from the environment. Built from the code, so a new setting without a row fails.
"""

from __future__ import annotations

import re
from datetime import time
from pathlib import Path

from settings import ROOT, Settings

README = ROOT / "README.md"
ROW = re.compile(r"^\| `([A-Z][A-Z0-9_]*)` \| ([^|]*) \|")


def settings_section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("\n## Settings\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def documented() -> dict[str, str]:
    """Variable → its default cell, from every table row of the section."""
    rows = (ROW.match(line) for line in settings_section().splitlines())
    return {row[1]: row[2].strip() for row in rows if row}


def shown(default: object) -> str:
    """A default as the README writes it: unset for None, the checkout as `<repo>`, times as HH:MM,
    booleans as the environment spells them."""
    if default is None:
        return "unset"
    if isinstance(default, bool):
        return f"`{str(default).lower()}`"
    if isinstance(default, time):
        return f"`{default.strftime('%H:%M')}`"
    if isinstance(default, Path):
        default = default.as_posix()
    return f"`{str(default).replace(ROOT.as_posix(), '<repo>')}`"


def environment_reads() -> set[str]:
    """Variables the Makefile (`VAR ?=`, `$${VAR:-…}`) and the scripts (`os.environ`) read."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    found = set(re.findall(r"^([A-Z][A-Z0-9_]*) \?=", makefile, re.MULTILINE))
    found |= set(re.findall(r"\$\$\{([A-Z][A-Z0-9_]*)", makefile))
    for script in (ROOT / "scripts").glob("*.py"):
        source = script.read_text(encoding="utf-8")
        found |= set(re.findall(r"os\.environ(?:\.get|\.setdefault)?\(\s*\"([A-Z][A-Z0-9_]*)\"", source))
        found |= set(re.findall(r"\"([A-Z][A-Z0-9_]*)\" in os\.environ", source))
    return found


def test_every_setting_has_a_row_with_its_default() -> None:
    rows = documented()
    expected = {name.upper(): shown(field.default) for name, field in Settings.model_fields.items()}
    assert {name: rows.get(name) for name in expected} == expected


def test_every_variable_the_makefile_and_scripts_read_has_a_row() -> None:
    reads = environment_reads()
    assert {"PYTHON", "APP_ENV", "API_PORT", "TEMPORAL_ADDRESS"} <= reads  # the scan finds what it should
    assert sorted(reads - documented().keys()) == []


def test_the_section_names_nothing_that_is_read_nowhere() -> None:
    known = {name.upper() for name in Settings.model_fields} | environment_reads()
    assert sorted(documented().keys() - known) == []
