"""Read cassettes pagetape did not write: vcrpy / pytest-recording YAML or JSON with boto3
traffic, as raw exchanges for the sanitizer.

Which service, operation and region an exchange belongs to is `pagetape.imports.identify`'s job.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import msgspec

from pagetape.cassette import store as cassette_io
from pagetape.cassette.store import Interaction, Request, Response
from pagetape.errors import CassetteError
from pagetape.imports.identify import Identity, identify
from pagetape.sanitize.walker import NOT_AWS
from pagetape.wire import codec

_PLACEHOLDER = re.compile(r"\*+redacted\*+|redacted|x{3,}|\*{3,}|<[a-z_ -]+>", re.IGNORECASE)


def _text(value: Any) -> bytes:
    if value is None:
        return b""
    if isinstance(value, bytes):
        return value
    if isinstance(value, dict):  # vcrpy response bodies: {"string": ...}
        return _text(value.get("string"))
    return str(value).encode()


def _headers(raw: Any) -> dict[str, str]:
    """Header lists (or plain strings) as one string each; placeholder values a project's vcr
    config wrote (`**REDACTED**`, the header's own name) are dropped: they would mislead the
    codec (a redacted Content-Type) and identify nothing."""
    out: dict[str, str] = {}
    for key, value in (raw or {}).items() if isinstance(raw, dict) else ():
        values = value if isinstance(value, list) else [value]
        joined = ", ".join(v.decode("latin-1") if isinstance(v, bytes) else str(v) for v in values)
        if _PLACEHOLDER.fullmatch(joined.strip()) or joined.strip().lower() == str(key).lower():
            continue
        out[str(key)] = joined
    return out


def read_vcr(path: Path, raw: bytes | None = None) -> tuple[list[Interaction], str | None]:
    """Exchanges of a vcrpy cassette as real projects write them, and the region they name.

    Read: YAML or JSON, gzipped or not, `interactions` or pytest-recording's parallel
    `requests`/`responses`, binary bodies, bodies a custom serializer moved to `parsed_body`,
    gzip-encoded responses, placeholder headers. Each exchange is identified from everything it
    carries (`pagetape.imports.identify`); one that is AWS but not settled is refused by number.
    RAW is the file's content when already read (with `cassette.read`: bounded, regular files
    only); it passes the loader's size, UTF-8 and depth checks before a parser sees it."""
    exchanges: list[Interaction] = []
    regions: list[str] = []
    unsettled: list[str] = []
    for n, (uri, one) in enumerate(
        recorded(path, cassette_io.read(path) if raw is None else raw), 1
    ):
        found = identify(uri, one)
        if found is None:
            service = operation = NOT_AWS
            logical = one.request.path
        elif isinstance(found, Identity):
            service, operation, logical = found.service, found.operation, found.path
            if found.region:
                regions.append(found.region)
        else:
            unsettled.append(
                f"interaction {n} ({one.request.method} {_short(uri)}): {found.reason}"
            )
            continue
        request = msgspec.structs.replace(one.request, path=logical)
        exchanges.append(
            msgspec.structs.replace(one, service=service, operation=operation, request=request)
        )
    if unsettled:
        more = f" (and {len(unsettled) - 1} more)" if len(unsettled) > 1 else ""
        raise CassetteError(f"{path}: cannot tell which AWS operation {unsettled[0]}{more}")
    return exchanges, (regions[0] if regions else None)


def recorded(path: Path, raw: bytes) -> list[tuple[str, Interaction]]:
    """Every interaction of a vcrpy file, whichever layout it uses, as (URI, exchange) before
    identification (no service, no operation): headers as strings, bodies as the bytes that
    were on the wire (a gzip-encoded response decompressed, its Content-Encoding dropped).
    CassetteError naming the interaction for one that lacks its request or response."""
    out = []
    for n, (req, resp) in enumerate(vcr_pairs(path, raw), 1):
        try:
            method, uri = str(req["method"]), str(req["uri"])
            status_field = resp["status"]
            status = int(status_field["code"] if isinstance(status_field, dict) else status_field)
        except (KeyError, TypeError, ValueError):
            raise CassetteError(f"{path}: interaction {n} lacks a request or response") from None
        req_headers, resp_headers = _headers(req.get("headers")), _headers(resp.get("headers"))
        body = _body(resp)
        if any(k.lower() == "content-encoding" and "gzip" in v for k, v in resp_headers.items()):
            body = cassette_io.inflate(body, f"{path}: interaction {n}'s gzip body")
            resp_headers = {
                k: v for k, v in resp_headers.items() if k.lower() != "content-encoding"
            }
        parts = urlsplit(uri)
        request = Request(
            method=method,
            path=parts.path or "/",
            query=parse_qsl(parts.query, keep_blank_values=True),
            headers=req_headers,
            body=_body(req),
        )
        response = Response(status=status, headers=resp_headers, body=body)
        for part, one in (("request", request), ("response", response)):
            try:  # what the sanitizer will decode, refused here by file and interaction
                codec.decode(one.body, codec.content_type(one.headers))
            except cassette_io.Refused as exc:
                raise CassetteError(f"{path}: interaction {n}'s {part} {exc}; not read") from None
        out.append((uri, Interaction(operation="", request=request, response=response)))
    return out


def vcr_pairs(path: Path, raw: bytes) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(request, response) mappings of a vcrpy file, whichever of its layouts it uses."""
    import yaml

    if raw[:2] == b"\x1f\x8b":  # a gzipped cassette (.yaml.gz)
        raw = cassette_io.inflate(raw, str(path))
    cassette_io.check_text(raw, str(path))
    text = raw.decode("utf-8")
    try:
        data = (
            cassette_io.loads(text) if text.lstrip().startswith("{") else yaml.load(text, _loader())
        )
    except cassette_io.Refused as exc:
        raise CassetteError(f"{path} {exc}; not read") from None
    except (ValueError, yaml.YAMLError) as exc:
        if "block level" in str(exc):  # libyaml's own nesting limit
            raise CassetteError(f"{path} nests too deeply; not read") from None
        raise CassetteError(
            f"{path} is neither JSON nor YAML: {str(exc).splitlines()[0]}"
        ) from None
    except RecursionError:  # YAML block nesting, which the bracket scan cannot see
        raise CassetteError(f"{path} nests too deeply; not read") from None
    try:
        expanded = _expanded_size(data, {}, 0)
    except cassette_io.Refused as exc:
        raise CassetteError(f"{path} {exc}; not read") from None
    if expanded > cassette_io.MAX_BYTES:
        raise CassetteError(
            f"{path} expands through YAML aliases to more than "
            f"{cassette_io.MAX_BYTES // 2**20} MiB of data; not read"
        )
    if isinstance(data, dict) and isinstance(data.get("interactions"), list):
        items = data["interactions"]
        pairs = [
            (i.get("request"), i.get("response")) if isinstance(i, dict) else (None, None)
            for i in items
        ]
    elif isinstance(data, dict) and isinstance(data.get("requests"), list):
        responses = data.get("responses")
        if not isinstance(responses, list) or len(responses) != len(data["requests"]):
            raise CassetteError(f"{path}: its requests and responses lists differ in length")
        pairs = list(zip(data["requests"], responses, strict=True))
    else:
        raise CassetteError(f"{path} is not a vcrpy cassette: it has no 'interactions' list")
    for n, (req, resp) in enumerate(pairs, 1):
        if not isinstance(req, dict) or not isinstance(resp, dict):
            raise CassetteError(f"{path}: interaction {n} lacks a request or response")
    return pairs  # type: ignore[return-value]


def _expanded_size(value: Any, seen: dict[int, tuple[int, int]], depth: int) -> int:
    """About how many bytes VALUE would take written out with every YAML alias expanded: an
    alias is one object shared, so a 600-byte file of nested aliases loads small but expands
    to gigabytes in every walk over it (sanitizing, printing). Each shared object is sized
    once (SEEN: its size and height), so this costs one pass over what the file really holds.
    Refused when aliases nest it deeper than MAX_DEPTH (an alias of an alias of ... needs no
    indentation) or an object holds itself (`&a [*a]`: endless)."""
    size, height = _sized(value, seen)
    if depth + height > cassette_io.MAX_DEPTH:
        raise cassette_io.Refused(f"nests deeper than {cassette_io.MAX_DEPTH} levels")
    return size


_IN_PROGRESS = (-1, -1)


def _sized(value: Any, seen: dict[int, tuple[int, int]]) -> tuple[int, int]:
    known = seen.get(id(value))
    if known == _IN_PROGRESS:
        raise cassette_io.Refused("holds itself through a YAML alias (endless when expanded)")
    if known is not None:
        return known
    if not isinstance(value, (dict, list, tuple)):
        return (2 + len(value) if isinstance(value, (str, bytes)) else 1), 0
    seen[id(value)] = _IN_PROGRESS
    items = [x for kv in value.items() for x in kv] if isinstance(value, dict) else value
    parts = [_sized(v, seen) for v in items]
    height = 1 + max((h for _, h in parts), default=0)
    if height > cassette_io.MAX_DEPTH:
        raise cassette_io.Refused(f"nests deeper than {cassette_io.MAX_DEPTH} levels")
    size = 2 + sum(n for n, _ in parts)
    seen[id(value)] = size, height
    return size, height


@cache
def _loader() -> type:
    """A safe YAML loader that also reads the Python tags vcrpy's default (unsafe) loader
    writes: tuples, unicode strings and request bodies saved as BytesIO objects. No other
    Python object is built, whatever the file says."""
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class VcrLoader(base):  # type: ignore[misc,valid-type]
        pass

    def sequence(loader: Any, node: Any) -> list[Any]:
        return list(loader.construct_sequence(node, deep=True))

    def text(loader: Any, node: Any) -> str:
        return str(loader.construct_scalar(node))

    def python_object(loader: Any, suffix: str, node: Any) -> Any:
        if suffix == "_io.BytesIO" and isinstance(node, yaml.MappingNode):
            state = loader.construct_mapping(node, deep=True).get("state")
            if isinstance(state, (list, tuple)) and state and isinstance(state[0], bytes):
                return state[0]
        raise yaml.constructor.ConstructorError(
            None, None, f"a Python object ({suffix}) pagetape does not build", node.start_mark
        )

    def integer(loader: Any, node: Any) -> int:
        # 0x, 0b and 1:2:3 (base 60) ints are not bound by Python's digit limit: a 2 MB hex
        # int is built at once and fails every later str(); base 60 is quadratic to build.
        if len(str(node.value)) > cassette_io.MAX_DIGITS:
            raise cassette_io.Refused(
                f"holds a number of more than {cassette_io.MAX_DIGITS} digits"
            )
        return int(yaml.constructor.SafeConstructor.construct_yaml_int(loader, node))

    VcrLoader.add_constructor("tag:yaml.org,2002:int", integer)
    VcrLoader.add_constructor("tag:yaml.org,2002:python/tuple", sequence)
    VcrLoader.add_constructor("tag:yaml.org,2002:python/unicode", text)
    VcrLoader.add_constructor("tag:yaml.org,2002:python/str", text)
    VcrLoader.add_multi_constructor("tag:yaml.org,2002:python/object/new:", python_object)
    return VcrLoader


def _body(part: dict[str, Any]) -> bytes:
    """A request's or response's body bytes; a `parsed_body` (pydantic-ai's serializer keeps
    JSON bodies as data) is JSON again."""
    body = part.get("body")
    if (body is None or body == {} or body == {"string": ""}) and "parsed_body" in part:
        return json.dumps(part["parsed_body"]).encode()
    return _text(body)


def _short(uri: str) -> str:
    parts = urlsplit(uri)
    return f"{parts.scheme}://{parts.netloc}{parts.path[:60]}"
