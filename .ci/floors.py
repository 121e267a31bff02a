"""Print pip constraints pinning every `>=X` requirement of pyproject.toml (the runtime ones
and those of the extras named on the command line) to `==X`: the oldest versions pagetape declares, so CI can prove they are real floors."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import tomllib

FLOOR = re.compile(r"([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?\s*>=\s*([0-9][^,;\s]*)\s*(;.*)?$")


def floors(pyproject: Path, extras: list[str]) -> list[str]:
    project = tomllib.loads(pyproject.read_text())["project"]
    wanted = list(project["dependencies"])
    for extra in extras:
        wanted += project["optional-dependencies"][extra]
    out = []
    for requirement in wanted:
        found = FLOOR.match(requirement.split("#")[0].strip())
        if found is None:
            sys.exit(f"{pyproject}: {requirement!r} has no '>=' floor to pin")
        name, version, marker = found.groups()
        out.append(f"{name}=={version}{' ' + marker if marker else ''}")
    return out


if __name__ == "__main__":
    # usage: floors.py [EXTRA ...]   (the extras whose floors to pin too, e.g. test)
    print("\n".join(floors(Path("pyproject.toml"), sys.argv[1:])))
