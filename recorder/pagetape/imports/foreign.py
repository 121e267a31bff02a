"""Fixtures pagetape did not write (vcrpy YAML/JSON, gzipped or not, placebo JSON), audited by
the sanitizer itself: a repository that still uses vcrpy or placebo can guard its fixtures
before it switches, and what the audit names is what `pagetape sanitize` (or `pagetape import
placebo`) would replace, no more, no less.

The file is read as sanitize reads it (`importer.read_vcr`, `placebo.exchanges`), every exchange
goes through one `Sanitizer` in memory, and the result is compared field by field with what it
was: each field that would change is a `Replacement`, named by interaction and field path, with
the replaced values inside it and the rule that replaces each. Nothing is written; the secret is
a throw-away one (which values change does not depend on it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote, unquote
from xml.etree import ElementTree

from pagetape.aws import arn as arn_mod
from pagetape.aws.specs import botocore_session
from pagetape.cassette import store as cassette_io
from pagetape.errors import CassetteError
from pagetape.imports import placebo as placebo_io
from pagetape.imports.placebo import FILE_NAME
from pagetape.imports.vcr import read_vcr
from pagetape.sanitize import detect
from pagetape.sanitize.needles import Needles
from pagetape.sanitize.pseudonym import TOKEN_RE
from pagetape.sanitize.rewrite import standalone
from pagetape.sanitize.secret import AUDIT_SECRET
from pagetape.sanitize.walker import NOT_AWS, Sanitizer
from pagetape.wire import chain, codec
from pagetape.wire.eventstream import B64_MARK

if TYPE_CHECKING:
    from pagetape.cassette.store import Interaction
    from pagetape.imports.placebo import PlaceboResponse
    from pagetape.sanitize.walker import Sanitizer

DROPPED_BY = "headers"  # the one rule that drops fields (headers, SigV2 form fields) whole
# Values made of parts each rule fakes on its own (an ARN's account and names, a URL's host and
# path): named by those parts. Any other value is named whole (an email, a host name).
CONTAINERS = frozenset({"arn", "s3_uri", "embedded_url", "jwt"})
# A form body: two pairs or more (a base64 run ending in "=" is none).
_FORM = re.compile(r"[A-Za-z0-9_.\-]+=[^&\s]*(?:&[A-Za-z0-9_.\-]+=[^&\s]*)+")
_GONE = object()  # a field the sanitizer leaves out


def is_pagetape(raw: bytes) -> bool:
    return b'"pagetape"' in raw[:200]


def is_placebo(path: Path, raw: bytes) -> bool:
    """A placebo response file: named `<service>.<Operation>_<N>.json`, holding a status."""
    return bool(FILE_NAME.fullmatch(path.name)) and b'"status_code"' in raw


def is_placebo_name(path: Path) -> bool:
    """A regular file named like a placebo response (a sibling read for context)."""
    return bool(FILE_NAME.fullmatch(path.name)) and path.is_file() and not path.is_symlink()


@dataclass(frozen=True)
class Replacement:
    """One value the sanitizer would replace: where (interaction, field path), the rule, and
    the real value (None for a field left out whole, such as a header); IN is the field's
    whole text when the value is only part of a short one (`redash` in `/dev/redash/app`)."""

    where: str
    path: str
    rule: str
    value: str | None
    within: str | None = None


SHORT_FIELD = 48  # a field this long is shown whole beside the part of it replaced


def vcr(path: Path, raw: bytes) -> list[Replacement]:
    """Everything `pagetape sanitize` would replace in the vcrpy file PATH (content RAW);
    CassetteError for a file sanitize would refuse to read."""
    if raw.lstrip()[:1] == b"{" and b'"metadata"' in raw[:4096]:
        cassette_io.decode(raw, str(path))  # pagetape's, damaged: its own message
    exchanges, _ = read_vcr(path, raw)
    aws = [x for x in exchanges if x.operation and x.service != NOT_AWS]
    service, operation = (aws[0].service or "", aws[0].operation) if aws else ("", "")
    sanitizer = _sanitizer()
    clean, _ = sanitizer.sanitize(exchanges, None, service, operation)
    names = _Names(sanitizer)
    out: list[Replacement] = []
    for n, (before, after) in enumerate(zip(exchanges, clean, strict=True), 1):
        for field, old, new in _diff(_raw_view(before), _view(after), ""):
            out.extend(names.replacements(f"interaction {n}", field, old, new))
    return out


def placebo(
    files: Iterable[Path], within: Path | None = None
) -> tuple[dict[Path, list[Replacement]], dict[Path, CassetteError]]:
    """What `pagetape import placebo` would replace in each of FILES, placebo responses of one
    folder, with one sanitizer for all of them as the import has; only responses are compared
    (placebo records no request). A file that cannot be read or put on the wire is not
    audited: its CassetteError is returned beside the others' replacements."""
    errors: dict[Path, CassetteError] = {}
    responses: list[PlaceboResponse] = []
    for path in files:
        try:
            responses.append(placebo_io.read_response(path, within))
        except CassetteError as exc:
            errors[path] = exc
    responses.sort(key=lambda r: (r.prefix, r.service, r.operation, r.index))
    region = placebo_io.guess_region(responses)
    made: list[tuple[PlaceboResponse, Interaction]] = []
    for group in _placebo_groups(responses):
        try:
            made.extend(zip(group, placebo_io.exchanges(group, region), strict=True))
        except CassetteError as exc:
            errors.update((r.path, exc) for r in group)
    sanitizer = _sanitizer()
    clean, _ = sanitizer.sanitize([x for _, x in made])
    names = _Names(sanitizer)
    audited: dict[Path, list[Replacement]] = {}
    for (response, before), after in zip(made, clean, strict=True):
        found = audited.setdefault(response.path, [])
        old, new = _parsed(before), _parsed_interaction(before, after)
        for field, was, now in _diff(old, new, "response.body"):
            found.extend(names.replacements("interaction 1", field, was, now))
    return audited, errors


def _placebo_groups(responses: list[PlaceboResponse]) -> Iterator[list[PlaceboResponse]]:
    group: list[PlaceboResponse] = []
    for response in responses:
        if group and (group[0].prefix, group[0].service, group[0].operation) != (
            response.prefix, response.service, response.operation,
        ):  # fmt: skip
            yield group
            group = []
        group.append(response)
    if group:
        yield group


def _sanitizer() -> Sanitizer:
    return Sanitizer(AUDIT_SECRET)


# -- the two sides ------------------------------------------------------------------------------


class _Query(list[tuple[str, str]]):
    """A query string's (key, value) pairs: compared by key, not by position."""


def _raw_view(x: Interaction) -> dict[str, Any]:
    """An exchange as the sanitizer reads it, in a cassette's layout."""
    return {
        "request": {
            "path": x.request.path,
            "query": _Query(x.request.query),
            "headers": x.request.headers,
            "body": codec.decode(x.request.body, codec.content_type(x.request.headers)),
        },
        "response": {
            "headers": x.response.headers,
            "body": codec.decode(x.response.body, codec.content_type(x.response.headers)),
        },
    }


def _view(i: cassette_io.Interaction) -> dict[str, Any]:
    return {
        "request": {
            "path": i.request.path,
            "query": _Query(i.request.query),
            "headers": i.request.headers,
            "body": i.request.body,
        },
        "response": {"headers": i.response.headers, "body": i.response.body},
    }


def _operation(x: Interaction) -> Any:

    return botocore_session().get_service_model(x.service).operation_model(x.operation)


def _parsed(x: Interaction) -> dict[str, Any]:
    """A placebo response as botocore parses it off the wire: placebo's own data, converted."""
    parsed = codec.parse_response(
        _operation(x), x.response.status, dict(x.response.headers), x.response.body
    )
    parsed.pop("ResponseMetadata", None)
    return parsed


def _parsed_interaction(x: Interaction, i: cassette_io.Interaction) -> dict[str, Any]:

    data = chain.parsed(_operation(x), i)
    data.pop("ResponseMetadata", None)
    return data


# -- comparing ----------------------------------------------------------------------------------


def _diff(before: Any, after: Any, path: str) -> Iterator[tuple[str, Any, Any]]:
    """(field path, old, new) of every leaf that differs; structured text (JSON, XML, form
    bodies) is compared part by part, and a field left out has new `_GONE`."""
    if before == after:
        return
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        yield from _diff_maps(before, after, path)
    elif isinstance(before, _Query) and isinstance(after, _Query) and len(before) == len(after):
        for (key, old), (_, new) in zip(before, after, strict=True):
            yield from _diff(old, new, f"{path}.{key}")
    elif isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        for i, (old, new) in enumerate(zip(before, after, strict=True)):
            yield from _diff(old, new, f"{path}[{i}]")
    elif isinstance(before, str) and _shown_base64(after):
        # An event payload's base64 text, shown decoded once sanitized.
        yield from _diff(_base64_text(before), after[B64_MARK], f"{path}.{B64_MARK}")
    elif isinstance(before, str) and isinstance(after, str):
        if unquote(before) == unquote(after):
            return  # encoded differently (`%3A` or `:`), nothing replaced
        opened = _opened(before, after)
        if opened is None:
            yield path, before, after
        else:
            yield from _diff(*opened, path)
    else:
        yield path, before, after


def _diff_maps(
    before: Mapping[Any, Any], after: Mapping[Any, Any], path: str
) -> Iterator[tuple[str, Any, Any]]:
    """Keys the sanitizer kept are paired by name (headers in any case), the others in order:
    a faked key (an email used as a map key) is named as it was; a key with no partner left
    was dropped."""
    fold = path.endswith(".headers")

    def norm(key: Any) -> Any:
        return str(key).lower() if fold else key

    by_name = {norm(k): k for k in after}
    paired = {k: by_name[norm(k)] for k in before if norm(k) in by_name}
    taken = set(paired.values())
    unpaired = [k for k in after if k not in taken]
    for key, value in before.items():
        field = f"{path}.{key}" if path else str(key)
        if key in paired:
            yield from _diff(value, after[paired[key]], field)
        elif unpaired:
            new_key = unpaired.pop(0)
            yield field, str(key), str(new_key)
            yield from _diff(value, after[new_key], field)
        else:
            yield field, value, _GONE


def _shown_base64(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {B64_MARK} and isinstance(value[B64_MARK], str)


def _base64_text(value: str) -> str:
    return base64_text(value) or value


def base64_text(text: str) -> str | None:
    """The text a base64 field encodes (a launch configuration's user data, an id that holds
    an account); None for one that is no base64 of printable text."""
    import base64
    import binascii

    if len(text) < 8 or len(text) % 4:
        return None
    try:
        decoded = base64.b64decode(text, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):  # UnicodeDecodeError and non-ASCII input included
        return None
    return decoded if all(ch.isprintable() or ch in "\t\r\n" for ch in decoded) else None


def _opened(before: str, after: str) -> tuple[Any, Any] | None:
    """Both sides of a changed string decoded the same way, when they are JSON, XML or form
    text; None when they are plain text."""
    for decode in (_json, _xml, _form, base64_text):
        old, new = decode(before), decode(after)
        if old is not None and new is not None:
            return old, new
    return None


def _json(text: str) -> Any:
    if text[:3].upper() == "%7B":
        text = unquote(text)
    if not text.lstrip().startswith(("{", "[")):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, (dict, list)) else None


def _xml(text: str) -> Any:
    if not text.lstrip().startswith("<") or "<!DOCTYPE" in text:
        return None
    try:
        root = ElementTree.fromstring(text.encode())
        return {_local(root.tag): _element(root)}
    except ElementTree.ParseError:
        return None
    except RecursionError:  # nested past the walk (the sanitizer kept it as text): text too
        return None


def _element(element: ElementTree.Element) -> Any:
    """An element as plain data: text for a leaf, else attributes (`@name`) and children by
    tag (a list when a tag repeats)."""
    if not len(element) and not element.attrib:
        return element.text or ""
    out: dict[str, Any] = {f"@{_local(k)}": v for k, v in element.attrib.items()}
    for child in element:
        tag, value = _local(child.tag), _element(child)
        if tag in out:
            existing = out[tag]
            out[tag] = [*existing, value] if isinstance(existing, list) else [existing, value]
        else:
            out[tag] = value
    if (element.text or "").strip():
        out["#text"] = element.text
    return out


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _form(text: str) -> Any:
    if not _FORM.fullmatch(text):
        return None
    return dict(parse_qsl(text, keep_blank_values=True))


# -- naming what was replaced ------------------------------------------------------------------


class _Names:
    """Which of the sanitizer's replaced values a changed field holds, and by which rule."""

    def __init__(self, sanitizer: Sanitizer) -> None:
        values = sanitizer.values
        self.pseudo = values.pseudo
        self.fakes = values.pseudo.replaced
        self.rule_of = values.rule_of
        self.automaton: Needles | None = None
        originals = [o for o, f in self.fakes.items() if o and o != f]
        if originals:
            self.automaton = Needles()
            for original in originals:
                self.automaton.add(original, (original, original))
                encoded = quote(original, safe="")
                if encoded != original:
                    self.automaton.add(encoded, (encoded, original))
            self.automaton.make()

    def rule(self, original: str) -> str:

        return self.rule_of.get(original) or detect.fullmatch(original) or "name"

    def replacements(self, where: str, path: str, old: Any, new: Any) -> list[Replacement]:
        """The replaced values a field changed from OLD to NEW holds, each once with its rule
        (the one the leak proof names too: the rule that replaced the value first)."""
        if new is _GONE:
            return [Replacement(where, path, DROPPED_BY, None)]
        text = old if isinstance(old, str) else json.dumps(old, default=str)
        after = new if isinstance(new, str) else json.dumps(new, default=str)
        found = self._inside(text, after)
        if not found:  # a value with no pseudonym of its own (an empty token)
            rule = "token" if TOKEN_RE.match(after) else detect.fullmatch(text) or "name"
            return [Replacement(where, path, rule, text)]
        seen: dict[tuple[str, str, str | None], None] = {}
        for original, context in self._named(found, _shown(text)):
            seen.setdefault((self.rule(original), original, context), None)
        return [
            Replacement(where, path, rule, value, context if context != value else None)
            for rule, value, context in seen
        ]

    def _inside(self, text: str, after: str) -> list[tuple[int, int, str]]:
        """(start, end, original) of each replaced value in TEXT whose fake is in AFTER."""
        if self.automaton is None:
            return []
        decoded_after = unquote(after)
        out = []
        for end, (needle, original) in self.automaton.iter(text):
            start = end + 1 - len(needle)
            if not standalone(text, start, end + 1):
                continue
            # A value may have two fakes: a token and a name (IAM's Marker is an id).
            fakes = {self.fakes[original], self.pseudo.fake_of(original) or ""} - {""}
            if any(f in after or f in decoded_after or quote(f, safe="") in after for f in fakes):
                out.append((start, end + 1, original))
        return out

    def _named(
        self, found: list[tuple[int, int, str]], context: str | None
    ) -> Iterator[tuple[str, str | None]]:
        """The outermost values, with the CONTEXT they are part of, except that a container
        (an ARN, a URL) is named by the values inside it when it holds any; those in its
        resource or path have that as context (`parameter/dev/redash/app`), when short."""
        for start, end, original in found:
            if any(s <= start and end <= e and (s, e) != (start, end) for s, e, _ in found):
                continue  # inside another: that one decides
            inner = [
                f for f in found if start <= f[0] and f[1] <= end and (f[0], f[1]) != (start, end)
            ]
            if not inner or self.rule(original) not in CONTAINERS:
                yield original, context
                continue
            offset = start + _resource_at(original)
            shown = _shown(original[offset - start :])
            head = [f for f in inner if f[0] < offset]
            yield from self._named(head, None)  # an account id: its own format says enough
            yield from self._named([f for f in inner if f[0] >= offset], shown or context)


def _shown(text: str) -> str | None:
    return text if len(text) <= SHORT_FIELD else None


def _resource_at(container: str) -> int:
    """Where the names of an ARN, S3 URI or URL start: after the account, the scheme."""
    if container.startswith("arn:"):
        parts = arn_mod.parse(container)
        return len(container) - len(parts.resource) if parts is not None else 0
    scheme, sep, _ = container.partition("://")
    return len(scheme) + len(sep)
