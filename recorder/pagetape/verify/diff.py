"""What changed between two cassettes, by chain, page and member path: `pagetape diff` and
`pagetape record --check` (`pagetape.verify.recheck`) print it.

Re-recording rewrites every page, and a text diff of two cassettes is hundreds of lines of
JSON. Here interactions are aligned by what was asked: a chain (a walk from a first page) by
the canonical request key of its first request, page size and tokens left out (the same key
replay looks requests up by), then page k of a chain against page k of its counterpart, since
tokens are fakes numbered by position and say nothing of which page is which. Chains whose
first requests differ (another parameter, another secret) are paired in order within their
operation. Bodies are compared as values (`pagetape.verify.members`), lists item by item with
insertions and deletions found (difflib), so one new item is one line, not a shifted page.

Both sides are sanitized cassettes: every value shown is a fake or a public value already.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from pagetape.cassette.store import Cassette
from pagetape.terminal import counted
from pagetape.verify import members
from pagetape.verify.members import PageValues, scalar

Kind = Literal["added", "removed", "changed"]
_INDEX = re.compile(r"\[\d+(?:→\d+)?\]")
_SIGN = {"added": "+", "removed": "-", "changed": "~"}


@dataclass(frozen=True)
class Change:
    """One member added, removed or changed at WHERE (`metadata`, `page 2`, `chain 2 page 1`)."""

    where: str
    kind: Kind
    path: str
    old: Any = None
    new: Any = None

    def line(self) -> str:
        if self.kind == "changed":
            note = ""
            if _type(self.old) != _type(self.new):
                note = f" ({_type(self.old)} → {_type(self.new)})"
            return f"{self.where}: ~ {self.path}: {scalar(self.old)} → {scalar(self.new)}{note}"
        value = self.new if self.kind == "added" else self.old
        return f"{self.where}: {_SIGN[self.kind]} {self.path} = {scalar(value)}"


@dataclass(frozen=True)
class Count:
    """A count that differs: pages of the cassette, items on a page (None: no such page)."""

    where: str
    what: str
    old: int | None
    new: int | None

    def line(self) -> str:
        prefix = f"{self.where} " if self.where else ""
        return f"{prefix}{self.what}: {_count(self.old)} → {_count(self.new)}"


@dataclass(frozen=True)
class ShapeChange:
    """A member path (list indexes as `[]`) present on one side only, or of another type."""

    path: str
    kind: Literal["added", "removed", "retyped"]
    old: str = ""
    new: str = ""

    def line(self) -> str:
        if self.kind == "retyped":
            return f"shape: ~ {self.path}: {self.old} → {self.new}"
        sign = "+" if self.kind == "added" else "-"
        return f"shape: {sign} {self.path} ({self.new or self.old})"


@dataclass
class CassetteDiff:
    """Everything that differs between OLD and NEW, in reading order."""

    pages: tuple[int, int]
    items: tuple[int, int]
    counts: list[Count] = field(default_factory=list)
    shape: list[ShapeChange] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)

    @property
    def same(self) -> bool:
        return not (self.counts or self.shape or self.changes)

    def tally(self) -> dict[str, int]:
        """Members added, removed and changed (metadata and pages together)."""
        out = {"added": 0, "removed": 0, "changed": 0}
        for change in self.changes:
            out[change.kind] += 1
        return out

    def lines(self) -> list[str]:
        return [
            *(c.line() for c in self.counts),
            *(s.line() for s in self.shape),
            *(c.line() for c in self.changes),
        ]

    def stat(self) -> str:
        t = self.tally()
        return (
            f"pages {_span(self.pages)}, items {_span(self.items)}, members: {t['added']} added, "
            f"{t['removed']} removed, {t['changed']} changed; shape: "
            f"{counted(len(self.shape), 'change')}"
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "same": self.same,
            "pages": list(self.pages),
            "items": list(self.items),
            "members": self.tally(),
            "counts": [vars(c) for c in self.counts],
            "shape": [vars(s) for s in self.shape],
            "changes": [vars(c) for c in self.changes],
        }


def _count(n: int | None) -> str:
    return "none" if n is None else str(n)


def _span(pair: tuple[int, int]) -> str:
    return str(pair[0]) if pair[0] == pair[1] else f"{pair[0]} → {pair[1]}"


def _type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "map"
    if isinstance(value, list):
        return "list"
    return "null" if value is None else type(value).__name__


# -- values -------------------------------------------------------------------------------------


def _identity(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def values(old: Any, new: Any, at: str = "") -> Iterator[tuple[Kind, str, Any, Any]]:
    """(kind, path, old, new) for every difference between two value trees. A subtree only
    one side has is one change holding the whole subtree."""
    if isinstance(old, dict) and isinstance(new, dict):
        for key in [*old, *(k for k in new if k not in old)]:
            path = members.join(at, str(key))
            if key not in new:
                yield "removed", path, old[key], None
            elif key not in old:
                yield "added", path, None, new[key]
            else:
                yield from values(old[key], new[key], path)
    elif isinstance(old, list) and isinstance(new, list):
        if _identity(old) == _identity(new):
            return
        a, b = [_identity(v) for v in old], [_identity(v) for v in new]
        matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
        for op, i1, i2, j1, j2 in matcher.get_opcodes():
            if op == "equal":
                continue
            paired = min(i2 - i1, j2 - j1) if op == "replace" else 0
            for n in range(paired):
                i, j = i1 + n, j1 + n
                index = f"[{j}]" if i == j else f"[{i}→{j}]"
                yield from values(old[i], new[j], f"{at}{index}")
            for i in range(i1 + paired, i2):
                yield "removed", f"{at}[{i}]", old[i], None
            for j in range(j1 + paired, j2):
                yield "added", f"{at}[{j}]", None, new[j]
    elif old != new or _type(old) != _type(new):
        yield "changed", at, old, new


# -- shape --------------------------------------------------------------------------------------


def _shape(pages: list[PageValues]) -> dict[str, set[str]]:
    """Member paths with list indexes generalized (`Items[].name.S`) and the types seen there;
    empty maps and lists are left out (an empty page says nothing of its items' members)."""
    out: dict[str, set[str]] = {}
    for page in pages:
        for path, value in members.leaves(page.body):
            if value == {} or value == []:
                continue
            out.setdefault(_INDEX.sub("[]", path), set()).add(_type(value))
    return out


def shape(old: list[PageValues], new: list[PageValues]) -> list[ShapeChange]:
    a, b = _shape(old), _shape(new)
    out = []
    for path in sorted(set(a) | set(b)):
        if path not in b:
            out.append(ShapeChange(path, "removed", old="/".join(sorted(a[path]))))
        elif path not in a:
            out.append(ShapeChange(path, "added", new="/".join(sorted(b[path]))))
        elif a[path] != b[path]:
            out.append(
                ShapeChange(path, "retyped", "/".join(sorted(a[path])), "/".join(sorted(b[path])))
            )
    return out


# -- alignment ----------------------------------------------------------------------------------


def _chains(pages: list[PageValues]) -> list[list[PageValues]]:
    grouped: dict[int, list[PageValues]] = {}
    for page in pages:
        grouped.setdefault(page.chain, []).append(page)
    return list(grouped.values())


def align(
    old: list[list[PageValues]], new: list[list[PageValues]]
) -> list[tuple[list[PageValues] | None, list[PageValues] | None]]:
    """Pairs of chains: by the first request's key, then in order within an operation; a chain
    without a counterpart is paired with None."""
    pairs: dict[int, int] = {}
    free = list(range(len(new)))
    for rounds in (lambda c: (c[0].operation, c[0].first_key), lambda c: c[0].operation):
        for i, chain in enumerate(old):
            if i in pairs:
                continue
            for j in free:
                if rounds(new[j]) == rounds(chain):
                    pairs[i] = j
                    free.remove(j)
                    break
    out: list[tuple[list[PageValues] | None, list[PageValues] | None]] = []
    for i, chain in enumerate(old):
        out.append((chain, new[pairs[i]] if i in pairs else None))
    out += [(None, new[j]) for j in free]
    return out


def diff(old: Cassette, new: Cassette) -> CassetteDiff:
    """Compare two cassettes (see the module docstring)."""
    a, b = members.pages(old), members.pages(new)
    result = CassetteDiff(
        pages=(len(a), len(b)),
        items=(sum(p.items or 0 for p in a), sum(p.items or 0 for p in b)),
    )
    for kind, path, was, now in values(members.metadata_values(old), members.metadata_values(new)):
        result.changes.append(Change("metadata", kind, path, was, now))
    if result.pages[0] != result.pages[1]:
        result.counts.append(Count("", "pages", *result.pages))
    if result.items[0] != result.items[1]:
        result.counts.append(Count("", "items", *result.items))
    result.shape = shape(a, b)
    chains_a, chains_b = _chains(a), _chains(b)
    several = max(len(chains_a), len(chains_b)) > 1
    for number, (was, now) in enumerate(align(chains_a, chains_b), 1):
        _chain(result, was or [], now or [], f"chain {number} " if several else "")
    return result


def _chain(result: CassetteDiff, old: list[PageValues], new: list[PageValues], label: str) -> None:
    for k in range(max(len(old), len(new))):
        was = old[k] if k < len(old) else None
        now = new[k] if k < len(new) else None
        where = f"{label}page {k + 1}"
        either = was or now
        assert either is not None
        what = either.result_key or "items"
        if was is None or now is None:
            state = "added" if was is None else "removed"
            result.counts.append(Count(where, f"({state}) {what}", _items(was), _items(now)))
            continue
        if was.items != now.items:
            result.counts.append(Count(where, what, was.items, now.items))
        if was.operation != now.operation:
            result.changes.append(
                Change(where, "changed", "operation", was.operation, now.operation)
            )
        if was.status != now.status:
            result.changes.append(Change(where, "changed", "status", was.status, now.status))
        for location in [*was.request, *(k for k in now.request if k not in was.request)]:
            before, after = was.request.get(location), now.request.get(location)
            if location not in now.request:
                result.changes.append(Change(where, "removed", f"request.{location}", before))
            elif location not in was.request:
                result.changes.append(Change(where, "added", f"request.{location}", None, after))
            elif before != after or _type(before) != _type(after):
                result.changes.append(
                    Change(where, "changed", f"request.{location}", before, after)
                )
        for kind, path, before, after in values(was.body, now.body):
            result.changes.append(Change(where, kind, path or "(body)", before, after))


def _items(page: PageValues | None) -> int | None:
    if page is None:
        return None
    return page.items if page.items is not None else 0
