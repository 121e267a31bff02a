"""Keep paths: values a user names to keep real because the test asserts them.

Default-deny fakes every string that is not provably public; a test that asserts
`item["status"]["S"] == "active"` names the member instead (`--keep Items[].status.S`). A path
is member names (as on the wire) joined by dots, `[]` for any list element and `*` for any one
member or map key, from the root of a request or response body. The cassette records the
paths (`metadata.kept_paths`), so re-sanitizing and `verify` honour them. A secret-looking key
can never be kept: a password is never a value a test needs to see.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from pagetape.errors import UsageError
from pagetape.sanitize import detect

_SEGMENT = re.compile(r"(\*|[A-Za-z0-9_:@$-][A-Za-z0-9_:@$.-]*?)((?:\[\])*)")


@lru_cache(maxsize=256)
def parse(path: str) -> tuple[str, ...]:
    """`Items[].status.S` -> ("Items", "[]", "status", "S"); one sentence when malformed."""
    segments: list[str] = []
    for part in path.split("."):
        m = _SEGMENT.fullmatch(part)
        if m is None:
            raise UsageError(
                f"--keep {path!r}: {part!r} is no member name (write Items[].status.S: member "
                "names joined by dots, [] for list elements, * for any member)"
            )
        name, lists = m.groups()
        if name != "*" and detect.is_secret_key(name):
            raise UsageError(
                f"--keep {path!r}: {name!r} is a secret-looking key, and secrets can never be kept"
            )
        segments.append(name)
        segments.extend("[]" for _ in range(len(lists) // 2))
    return tuple(segments)


@dataclass(frozen=True)
class KeepPaths:
    """The paths a cassette keeps, matched against the path of each value walked."""

    paths: tuple[str, ...] = ()

    @classmethod
    def of(cls, paths: Iterable[str]) -> KeepPaths:
        unique = tuple(sorted(set(paths)))
        for path in unique:
            parse(path)
        return cls(unique)

    def __bool__(self) -> bool:
        return bool(self.paths)

    def matches(self, at: Sequence[str]) -> bool:
        """Does a value at AT (member names and `[]`) sit on a kept path?"""
        return any(_match(parse(path), tuple(at)) for path in self.paths)


def _match(pattern: tuple[str, ...], at: tuple[str, ...]) -> bool:
    if len(pattern) != len(at):
        return False
    return all(p == a or (p == "*" and a != "[]") for p, a in zip(pattern, at, strict=True))
