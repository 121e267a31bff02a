"""A small generator of one string that matches a model `pattern` within a length range.

It walks Python's own regex parse tree and picks the first printable character a class allows;
repeat counts start at their minimum and grow one at a time until the length range is met. It
is deterministic and fast (model patterns are short); the result is always checked with
`re.search`, as pagetape's parameter check does. Java-only syntax (`\\p{Alnum}`, `\\z`) is
translated to a close Python equivalent first, because pagetape skips such patterns anyway.
"""

from __future__ import annotations

import re
import warnings
from functools import cache
from typing import Any

try:  # Python 3.11+
    from re import _constants as sre_c  # type: ignore[attr-defined]
    from re import _parser as sre_p  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - Python 3.10
    import sre_constants as sre_c  # type: ignore[no-redef]
    import sre_parse as sre_p  # type: ignore[no-redef]

POOL = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-_.:/@ +=,"
_CATEGORY = {
    sre_c.CATEGORY_DIGIT: "0123456789",
    sre_c.CATEGORY_WORD: "abcdefghijklmnopqrstuvwxyz0123456789_",
    sre_c.CATEGORY_SPACE: " ",
    sre_c.CATEGORY_NOT_DIGIT: "abc",
    sre_c.CATEGORY_NOT_WORD: "-. ",
    sre_c.CATEGORY_NOT_SPACE: "abc",
}
_JAVA = re.compile(r"\\[pP]\{[^}]*\}|\\z|\\h|\\Q|\\E")


def java_to_python(pattern: str) -> str:
    """Replace Java-only escapes by something Python's `re` accepts and that means about the same."""
    out: list[str] = []
    depth = 0
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            m = _JAVA.match(pattern, i)
            if m:
                token = m.group(0)
                if token.startswith(("\\p", "\\P")):
                    out.append("a-zA-Z0-9" if depth else "[a-zA-Z0-9]")
                elif token == "\\z":
                    out.append("\\Z")
                elif token == "\\h":
                    out.append(" ")
                i = m.end()
                continue
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if ch == "[":
            depth += 1
        elif ch == "]" and depth:
            depth -= 1
        out.append(ch)
        i += 1
    return "".join(out)


def _class_allows(items: list[tuple[Any, Any]], ch: str) -> bool:
    negate = False
    hit = False
    for op, av in items:
        if op is sre_c.NEGATE:
            negate = True
        elif op is sre_c.LITERAL:
            hit = hit or ord(ch) == av
        elif op is sre_c.RANGE:
            hit = hit or av[0] <= ord(ch) <= av[1]
        elif op is sre_c.CATEGORY:
            hit = hit or bool(re.fullmatch(_category_regex(av), ch))
    return hit != negate


def _category_regex(cat: Any) -> str:
    return {
        sre_c.CATEGORY_DIGIT: r"\d",
        sre_c.CATEGORY_NOT_DIGIT: r"\D",
        sre_c.CATEGORY_WORD: r"\w",
        sre_c.CATEGORY_NOT_WORD: r"\W",
        sre_c.CATEGORY_SPACE: r"\s",
        sre_c.CATEGORY_NOT_SPACE: r"\S",
    }.get(cat, ".")


class _Gen:
    def __init__(self, extra: dict[int, int], branch: int) -> None:
        self.extra = extra  # repeat number -> extra repetitions beyond the minimum
        self.branch = branch  # 0: first alternative everywhere, 1: last
        self.groups: dict[int, str] = {}
        self.repeat_no = 0

    def seq(self, nodes: Any) -> str:
        return "".join(self.node(op, av) for op, av in nodes)

    def node(self, op: Any, av: Any) -> str:
        if op is sre_c.LITERAL:
            return chr(av)
        if op is sre_c.NOT_LITERAL:
            return next(c for c in POOL if ord(c) != av)
        if op is sre_c.ANY:
            return "a"
        if op is sre_c.IN:
            for c in POOL:
                if _class_allows(av, c):
                    return c
            for code in range(32, 0x250):
                if _class_allows(av, chr(code)):
                    return chr(code)
            return "a"
        if op is sre_c.CATEGORY:
            return _CATEGORY.get(av, "a")[0]
        if op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT, getattr(sre_c, "POSSESSIVE_REPEAT", None)):
            low, high, body = av
            number = self.repeat_no
            self.repeat_no += 1
            count = low + self.extra.get(number, 0)
            if high is not sre_c.MAXREPEAT:
                count = min(count, high)
            return "".join(self.seq(body) for _ in range(count))
        if op is sre_c.SUBPATTERN:
            group, _, _, body = av
            text = self.seq(body)
            if group:
                self.groups[group] = text
            return text
        if op is getattr(sre_c, "ATOMIC_GROUP", None):
            return self.seq(av)
        if op is sre_c.BRANCH:
            options = av[1]
            return self.seq(options[0] if self.branch == 0 else options[-1])
        if op is sre_c.GROUPREF:
            return self.groups.get(av, "")
        return ""  # anchors, lookarounds: checked afterwards


@cache
def sample(pattern: str | None, min_len: int = 0, max_len: int | None = None) -> str | None:
    """One string matching PATTERN (searched, as pagetape checks it) with a length in range,
    or None when this small generator cannot find one."""
    low = max(min_len, 0)
    if not pattern:
        return "synth"[: max_len or 5].ljust(max(low, 1), "x")
    try:
        compiled = re.compile(pattern)
    except re.error:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                compiled = re.compile(java_to_python(pattern))
        except re.error:
            return "a" * max(low, 1)
    tree = sre_p.parse(compiled.pattern)
    for branch in (0, 1):
        for target in [None, *range(_count_repeats(tree) + 4)]:
            for extra in _extras(tree, target, branch, low):
                text = _Gen({target: extra} if target is not None else {}, branch).seq(tree)
                if len(text) < low or (max_len is not None and len(text) > max_len):
                    continue
                if compiled.search(text):
                    return text
    return None


def _extras(tree: Any, target: int | None, branch: int, low: int) -> list[int]:
    """Extra repetitions of repeat TARGET that should bring the text to the minimum length."""
    if target is None:
        return [0]
    base = len(_Gen({target: 0}, branch).seq(tree))
    step = len(_Gen({target: 1}, branch).seq(tree)) - base
    if step <= 0:
        return []
    need = max(0, -(-(low - base) // step))
    return sorted({0, 1, need, need + 1})


def _count_repeats(nodes: Any) -> int:
    count = 0
    for op, av in nodes:
        if op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT, getattr(sre_c, "POSSESSIVE_REPEAT", None)):
            count += 1 + _count_repeats(av[2])
        elif op is sre_c.SUBPATTERN:
            count += _count_repeats(av[3])
        elif op is sre_c.BRANCH:
            count += max(_count_repeats(b) for b in av[1])
        elif op is getattr(sre_c, "ATOMIC_GROUP", None):
            count += _count_repeats(av)
    return count
