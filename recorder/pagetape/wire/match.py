"""Role-matched request comparison: a recorded request whose values were sanitized still matches
the unchanged test that recorded it.

A cassette marks which request values the sanitizer replaced (`Request.sanitized`: locations
such as `query.prefix`, `path.2`, `body.Path`, `form.Filter.1.Value.1`). On replay such a value
matches any real value in the same place, and the first real value seen for a fake stays bound
to it for the rest of the test: a second, different real value for the same fake is a miss that
says so. Every other value must be equal. The page size is never part of the match.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from pagetape.cassette.store import Request
from pagetape.wire import codec
from pagetape.wire.request import body_params, query_pairs


@dataclass(frozen=True)
class RequestView:
    """A request as comparable values by location, from a recording or from botocore."""

    method: str
    values: dict[str, Any]  # location -> scalar (str, number, bool, None)


def view(request: Request, drop: Iterable[str] = ()) -> RequestView:
    """Flatten a request to {location: value}; DROP names members left out (idempotency
    tokens, the limit key)."""
    dropped = frozenset(drop)
    method, path, query, body = request.method, request.path, request.query, request.body
    content_type = codec.content_type(request.headers)
    path, _, literal = (path or "/").partition("?")
    values: dict[str, Any] = {}
    for i, segment in enumerate(path.split("/")):
        if segment:
            values[f"path.{i}"] = unquote(segment)
    counts: dict[str, int] = {}
    for key, value in [*query_pairs(query), *query_pairs(literal)]:
        if key in dropped:
            continue
        n = counts[key] = counts.get(key, 0) + 1
        values[f"query.{key}" if n == 1 else f"query.{key}#{n}"] = value
    kind, decoded = body_params(body, content_type)
    if kind == "form":
        for key, value in decoded:
            if key not in dropped:
                values[f"form.{key}"] = value
    elif kind == "json":
        if isinstance(decoded, dict):
            decoded = {k: v for k, v in decoded.items() if k not in dropped}
        values.update(_flatten(decoded, "body"))
    elif kind == "text":
        values["body"] = decoded
    return RequestView(method.upper(), values)


def _flatten(value: Any, at: str) -> Iterator[tuple[str, Any]]:
    if isinstance(value, Mapping):
        if not value:
            yield at, {}
        for key, item in value.items():
            yield from _flatten(item, f"{at}.{key}")
    elif isinstance(value, list):
        if not value:
            yield at, []
        for i, item in enumerate(value):
            yield from _flatten(item, f"{at}[{i}]")
    else:
        yield at, value


def marks(raw: RequestView, clean: RequestView, is_token: Any = None) -> list[str]:
    """Locations whose value the sanitizer changed (pagination tokens excluded: they must be
    asked exactly as the replayed responses give them)."""
    out = []
    for location, value in clean.values.items():
        before = raw.values.get(location)
        if before is not None and before != value and not (is_token and is_token(value)):
            out.append(location)
    return sorted(out)


@dataclass
class Match:
    """How a live request compares with one recorded request."""

    matches: bool
    bindings: dict[str, str]  # fake -> real value, new ones this match would add
    differences: list[str]


def compare(
    recorded: RequestView,
    sanitized: Iterable[str],
    live: RequestView,
    bound: Mapping[str, str],
) -> Match:
    """Does LIVE match RECORDED, given the values sanitized at record time and the fakes
    already BOUND to real values in this test?"""
    roles = frozenset(sanitized)
    new: dict[str, str] = {}
    differences: list[str] = []
    if recorded.method != live.method:
        differences.append(f"method: asked {live.method}, recorded {recorded.method}")
    for location in sorted(set(recorded.values) | set(live.values)):
        want, got = recorded.values.get(location), live.values.get(location)
        if location in roles and want is not None and got is not None:
            fake, real = str(want), str(got)
            already = new.get(fake, bound.get(fake))
            if already is None:
                new[fake] = real
            elif already != real:
                differences.append(
                    f"{location}: asked {real!r}, but this test already used {already!r} for the "
                    f"recorded value {fake!r}"
                )
        elif want != got:
            differences.append(f"{location}: asked {_show(got)}, recorded {_show(want)}")
    return Match(not differences, new, differences)


def _show(value: Any) -> str:
    return "(absent)" if value is None else repr(value)
