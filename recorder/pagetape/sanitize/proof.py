"""The leak proof: nothing identifying that the sanitizer replaced survives in what is written.

Every identifying original (never common words: `pagetape.sanitize.rewrite.identifying`) is searched
for in every string of the encoded cassette, plain, URL-encoded and base64, in one Aho-Corasick
pass per string (`pagetape.sanitize.needles`). A hit raises LeakError naming the interaction, the field path
and the rule that replaced the value; the value itself is never printed.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from pagetape.errors import LeakError
from pagetape.sanitize.needles import Needles
from pagetape.sanitize.rewrite import identifying, standalone
from pagetape.sanitize.structured import plain_key

if TYPE_CHECKING:
    from pagetape.sanitize.rewrite import Rewriter


def forms(value: str) -> list[tuple[str, str]]:
    """The encodings an original could hide in. Only the stable prefix of base64 is
    searchable: its last group depends on what follows."""
    raw = value.encode()
    b64 = base64.b64encode(raw).decode().rstrip("=")
    b64url = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    cut = len(b64) - len(b64) % 4
    out = [("plain", value)]
    encoded = quote(value, safe="")
    if encoded != value:
        out.append(("URL-encoded", encoded))
    if cut >= 8:
        out += [("base64", b64[:cut]), ("base64url", b64url[:cut])]
    return out


def strings(data: Any, path: str = "$") -> Iterator[tuple[str, str]]:
    """(JSON path, string) for every string value of a decoded cassette, and every map key
    that is not a plain word (model member names are structure, not data)."""
    if isinstance(data, dict):
        for key, value in data.items():
            if not plain_key(str(key)):
                yield f"{path}.<key>", str(key)
            yield from strings(value, f"{path}.{key}")
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from strings(value, f"{path}[{i}]")
    elif isinstance(data, str):
        yield path, data


# Metadata pagetape writes in its own words, from nothing a response holds: an import's
# `source` (its prose and the fixture's file names). A word of it that a value in the data
# happens to equal (a description "placebo") is not that value surviving.
_OWN_WORDS = frozenset({"source"})


def check(data: bytes, values: Rewriter) -> None:
    """Raise LeakError at the first place in DATA (an encoded cassette) holding an original."""
    automaton = Needles()
    for original, fake in values.pseudo.replaced.items():
        if original == fake or not identifying(original) or values.is_public(original):
            continue
        for form, needle in forms(original):
            automaton.add(needle, (original, form, needle))
    if not len(automaton):
        return
    automaton.make()
    doc = json.loads(data)
    # Interactions first: metadata (parameters, error) is derived from them.
    ordered = [
        *strings(doc.get("interactions", []), "$.interactions"),
        *strings(
            {k: v for k, v in doc.get("metadata", {}).items() if k not in _OWN_WORDS},
            "$.metadata",
        ),
    ]
    for path, text in ordered:
        for end, (original, form, needle) in automaton.iter(text):
            start = end - len(needle) + 1
            if form.startswith("base64") or standalone(text, start, end + 1):
                rule = values.rule_of.get(original, "token")
                off = sorted(values.disabled)
                raise LeakError(
                    f"{_where(path)}: a value the {rule!r} rule replaced is still there ({form}), "
                    "so nothing was written"
                    + (f" (rules switched off: {', '.join(off)})" if off else "")
                )


def _where(path: str) -> str:
    """`$.interactions[2].response.body.x` -> `interaction 3, response.body.x`."""
    if path.startswith("$.interactions["):
        index, _, rest = path[len("$.interactions[") :].partition("]")
        return f"interaction {int(index) + 1}, {rest.lstrip('.')}"
    return path.removeprefix("$.")
